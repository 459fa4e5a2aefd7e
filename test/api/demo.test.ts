// Demo mode as a newcomer meets it: the real server process with DEMO=1 prints a token and a curl
// command, the Echo agent answers over real HTTP, and a restart on the same database keeps one agent.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, Session } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';

/** What main.ts prints for the demo: the agent's token and the curl command that answers a task. */
function printedDemo(output: string): { token: string; url: string; data: string } {
  const token = /Its token \(new on each start\): (\S+)/.exec(output)?.[1];
  const url = /curl -X POST (\S+)/.exec(output)?.[1];
  const data = /-d '(.+)'/.exec(output)?.[1];
  assert.ok(token && url && data, `the demo token and curl command are printed:\n${output}`);
  return { token, url, data };
}

describe('demo mode (DEMO=1, real server process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wc-demo-'));
  let server: TestServer;
  let page: Session;
  let taskId: string;

  before(async () => {
    server = await startServer({
      process: true,
      // The test endpoint is off here, so only DEMO can turn it on.
      env: { DEMO: '1', ENABLE_TEST_ENDPOINT: '0', DATABASE_URL: `sqlite:${join(dir, 'demo.db')}` },
    });
    page = new Session(server.url);
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function waitForEcho(message: string): Promise<void> {
    const sent = await page.send('echo', message);
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    taskId = sent.body.taskId;
    const answer = await eventually(async () => {
      const read = await page.responses(taskId);
      assert.equal(read.status, 200, 'the task can be read');
      const found = read.body.responses.find((r) => r.inReplyTo === sent.body.messageId);
      assert.ok(found, 'the Echo agent has answered');
      assert.equal(read.body.task.state, 'answered', 'the turn is answered');
      return found;
    }, 20_000);
    assert.match(answer.response, new RegExp(`> ${message}`));
    assert.equal(answer.final, true);
  }

  it('the Echo agent answers a message sent from the page', async () => {
    await page.request('GET', '/api/agents'); // as the page does first: it starts the session
    await waitForEcho('hello from the demo test');
  });

  it('the printed curl command (with the real task ID) stores an answer', async () => {
    const { token, url, data } = printedDemo(server.output());
    assert.equal(url, `${server.url}/api/communications/webhook-response`);
    const body = data.replace('your-task-id', taskId);
    assert.notEqual(body, data, 'the command has a task ID to fill in');
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body,
    });
    assert.equal(response.status, 200, await response.clone().text());
    const reply = (await response.json()) as { duplicate: boolean; messageId: string };
    assert.equal(reply.duplicate, false);
    const read = await page.responses(taskId);
    const stored = read.body.responses.find((r) => r.messageId === reply.messageId);
    assert.equal(stored?.response, (JSON.parse(body) as { response: string }).response);
  });

  it('turns on the test endpoint for the page', async () => {
    const reply = await page.json<{ success: boolean; duplicate: boolean }>('POST', '/api/communications/test-response', { taskId });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.duplicate, false);
    const read = await page.responses(taskId);
    assert.equal(read.body.responses.at(-1)?.response, 'This is a test response from the backend!');
  });

  it('keeps exactly one echo agent across a restart on the same database, with a fresh working token', async () => {
    const oldToken = printedDemo(server.output()).token;
    await server.restart();
    const { token } = printedDemo(server.output());
    assert.notEqual(token, oldToken, 'each start prints a new token');

    const agents = (await page.json<{ agents: Array<{ id: string; name: string }> }>('GET', '/api/agents')).body.agents;
    assert.deepEqual(agents.filter((a) => a.id === 'echo').map((a) => a.name), ['Echo']);
    assert.equal(agents.length, 1, 'the demo registered nothing else');

    assert.equal((await server.webhook({ taskId, response: 'new token' }, token)).status, 200);
    assert.equal((await server.webhook({ taskId, response: 'old token' }, oldToken)).status, 401);
    // The Echo agent runs again, on its new endpoint.
    await waitForEcho('hello again after the restart');
  });
});
