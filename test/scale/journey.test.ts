/**
 * The spec's journey on a PostgreSQL-backed server (src/main.ts in its own process, as operators
 * run it): a person sends a message, the agent's endpoint receives it signed, the agent answers
 * with its bearer token through the responseUrl it was given, and get-responses shows the answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { startAgentServer, type TestAgentServer } from '../support/agent-server.js';
import { eventually, Session } from '../support/client.js';
import { postgresSkip, startPostgres, type PostgresServer } from '../support/postgres.js';
import { startServer, type TestServer } from '../support/server.js';

describe('the spec journey in PostgreSQL mode', { skip: postgresSkip(), timeout: 60_000 }, () => {
  let postgres: PostgresServer;
  let server: TestServer;
  let agentServer: TestAgentServer;

  before(async () => {
    postgres = await startPostgres();
    agentServer = await startAgentServer();
    server = await startServer({ env: { DATABASE_URL: await postgres.createDatabase() }, process: true });
  });
  after(async () => {
    await server?.stop();
    await agentServer?.close();
    await postgres?.stop();
  });

  test('the server runs on PostgreSQL', async () => {
    const ready = await fetch(`${server.url}/readyz`);
    assert.deepEqual(await ready.json(), { status: 'ready', database: 'postgres' });
    assert.match(server.output(), /Webhook Chat is running \(postgres\)/);
  });

  test('/metrics shows the database ping, and no SQLite WAL gauge', async () => {
    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /^database_ping_seconds \d/m);
    assert.match(text, /^outbox_backlog \d/m);
    // The WAL gauge exists only for a store that has a WAL file of its own (SQLite on a file).
    assert.doesNotMatch(text, /sqlite_wal_bytes/);
  });

  test('assign, signed delivery, bearer answer, get-responses', async () => {
    const agent = await server.createAgent({ name: 'Helper', endpointUrl: agentServer.url });
    const page = new Session(server.url);
    const listed = await page.json<{ agents: Array<{ id: string; mode: string }> }>('GET', '/api/agents');
    assert.equal(listed.body.agents.find((a) => a.id === agent.id)?.mode, 'push');

    const sent = await page.send(agent.id, 'What is the weather?');
    assert.equal(sent.status, 201);
    assert.match(sent.body.taskId, /^task_\d{13}_[0-9a-f]{32}$/);
    assert.equal(sent.body.task.state, 'queued');

    const received = await eventually(() => {
      assert.equal(agentServer.received.length, 1);
      return agentServer.received[0]!;
    });
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
    assert.match(String(received.headers['webhook-id']), /^dlv_/);
    await eventually(async () => assert.equal((await page.responses(sent.body.taskId)).body.task.turns[0]?.state, 'delivered'));

    const answer = await fetch(received.body.responseUrl as string, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.token}` },
      body: JSON.stringify({ taskId: sent.body.taskId, response: 'This is a test response from the backend!' }),
    });
    assert.equal(answer.status, 200);
    const answerBody = (await answer.json()) as { success: boolean; duplicate: boolean; seq: number };
    assert.equal(answerBody.success, true);
    assert.equal(answerBody.duplicate, false);
    assert.equal(answerBody.seq, 2);

    const read = await page.responses(sent.body.taskId);
    assert.equal(read.status, 200);
    assert.equal(read.body.success, true);
    assert.equal(read.body.taskId, sent.body.taskId);
    assert.deepEqual(
      read.body.responses.map((r) => ({ response: r.response, final: r.final, inReplyTo: r.inReplyTo, seq: r.seq })),
      [{ response: 'This is a test response from the backend!', final: true, inReplyTo: sent.body.messageId, seq: 2 }],
    );
    assert.equal(read.body.cursor, 2);
    assert.equal(read.body.task.state, 'answered');

    // The same answer again is a duplicate, and a second message continues the task.
    const again = await server.webhook({ taskId: sent.body.taskId, response: 'again', messageId: read.body.responses[0]!.messageId }, agent.token);
    assert.equal(((await again.json()) as { duplicate: boolean }).duplicate, true);
    const second = await page.send(agent.id, 'And tomorrow?', { taskId: sent.body.taskId });
    assert.equal(second.status, 201);
    assert.equal(second.body.taskId, sent.body.taskId);
    assert.equal(second.body.seq, 3);
    await eventually(() => assert.equal(agentServer.received.length, 2));

    // Another browser session cannot read the task.
    const stranger = await new Session(server.url).responses(sent.body.taskId);
    assert.equal(stranger.status, 404);
  });
});
