// The spec's journey end to end over real HTTP: a person sends a message, the agent's real HTTP
// endpoint receives it signed, answers through the webhook, and the answer reaches get-responses.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { startAgentServer, type TestAgentServer } from '../support/agent-server.js';
import { eventually, Session } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';

describe('the spec journey', () => {
  let server: TestServer;
  let agentServer: TestAgentServer;

  before(async () => {
    server = await startServer();
    agentServer = await startAgentServer();
  });
  after(async () => {
    await server.stop();
    await agentServer.close();
  });

  it('delivers a signed task to the agent and shows its webhook answer', async () => {
    const agent = await server.createAgent({ name: 'Helper', endpointUrl: agentServer.url });
    const listed = await new Session(server.url).json<{ agents: Array<{ id: string; mode: string }> }>('GET', '/api/agents');
    assert.deepEqual(listed.body.agents.find((a) => a.id === agent.id)?.mode, 'push');

    const page = new Session(server.url);
    const sent = await page.send(agent.id, 'What is the weather?');
    assert.equal(sent.status, 201);
    assert.match(sent.body.taskId, /^task_\d{13}_[0-9a-f]{32}$/);
    assert.equal(sent.body.task.state, 'queued');

    const received = await eventually(() => {
      assert.equal(agentServer.received.length, 1);
      return agentServer.received[0]!;
    });
    // The signature verifies independently with the standardwebhooks package.
    new Webhook(agent.signingSecret).verify(received.raw, received.headers as Record<string, string>);
    assert.deepEqual(
      { ...received.body, createdAt: undefined },
      {
        type: 'task.message',
        taskId: sent.body.taskId,
        messageId: sent.body.messageId,
        agentId: agent.id,
        message: 'What is the weather?',
        createdAt: undefined,
        responseUrl: `${server.url}/api/communications/webhook-response`,
      },
    );
    assert.equal(received.headers['webhook-id']?.toString().startsWith('dlv_'), true);

    await eventually(async () => assert.equal((await page.responses(sent.body.taskId)).body.task.turns[0]?.state, 'delivered'));

    // The agent answers through the spec's webhook, as in the spec's curl example plus auth.
    const answer = await fetch(received.body.responseUrl as string, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.token}` },
      body: JSON.stringify({ taskId: sent.body.taskId, response: 'This is a test response from the backend!' }),
    });
    assert.equal(answer.status, 200);
    const answerBody = (await answer.json()) as { success: boolean; duplicate: boolean; seq: number };
    assert.equal(answerBody.success, true);
    assert.equal(answerBody.duplicate, false);

    const read = await page.responses(sent.body.taskId);
    assert.equal(read.status, 200);
    assert.equal(read.body.success, true);
    assert.equal(read.body.taskId, sent.body.taskId);
    assert.equal(read.body.responses.length, 1);
    assert.equal(read.body.responses[0]?.response, 'This is a test response from the backend!');
    assert.equal(read.body.responses[0]?.final, true);
    assert.equal(read.body.responses[0]?.inReplyTo, sent.body.messageId);
    assert.equal(read.body.cursor, read.body.responses[0]?.seq);
    assert.equal(read.body.task.state, 'answered');

    // A second message continues the same task.
    const second = await page.send(agent.id, 'And tomorrow?', { taskId: sent.body.taskId });
    assert.equal(second.status, 201);
    assert.equal(second.body.taskId, sent.body.taskId);
    assert.equal(second.body.seq, 3);
    await eventually(() => assert.equal(agentServer.received.length, 2));
  });

  it('serves the chat page, the OpenAPI document and the docs page', async () => {
    const root = await fetch(`${server.url}/`, { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/chat');
    const openapi = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    for (const path of ['/api/tasks/assign-user-task', '/api/communications/webhook-response', '/api/communications/get-responses', '/api/communications/test-response', '/api/communications/stream', '/api/agents']) {
      assert.ok(openapi.paths[path], `OpenAPI documents ${path}`);
    }
    const docs = await fetch(`${server.url}/docs`, { redirect: 'follow' });
    assert.equal(docs.status, 200);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });
});
