// Reading a task: cursor paging, privacy between sessions, and the gated test endpoint.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { Session } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';

describe('get-responses', () => {
  let server: TestServer;
  let agent: AgentCredentials;

  before(async () => {
    server = await startServer();
    agent = await server.createAgent();
  });
  after(() => server.stop());

  it('pages by cursor, oldest first, with only newer responses after it', async () => {
    const page = new Session(server.url);
    const { taskId } = (await page.send(agent.id, 'count to five')).body;
    for (let i = 1; i <= 5; i++) {
      assert.equal((await server.webhook({ taskId, response: `number ${i}`, final: i === 5 }, agent.token)).status, 200);
    }
    const all = await page.responses(taskId);
    assert.deepEqual(all.body.responses.map((r) => r.response), ['number 1', 'number 2', 'number 3', 'number 4', 'number 5']);
    const seqs = all.body.responses.map((r) => r.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.equal(all.body.cursor, seqs.at(-1));

    const afterThird = await page.responses(taskId, `&after=${seqs[2]}`);
    assert.deepEqual(afterThird.body.responses.map((r) => r.response), ['number 4', 'number 5']);
    const atEnd = await page.responses(taskId, `&after=${all.body.cursor}`);
    assert.deepEqual(atEnd.body.responses, []);
    assert.equal(atEnd.body.cursor, all.body.cursor);
    assert.equal(all.body.task.state, 'answered');
  });

  it("answers 404 to another session, exactly as for a task that does not exist", async () => {
    const alice = new Session(server.url);
    const mallory = new Session(server.url);
    const { taskId } = (await alice.send(agent.id, 'private')).body;
    await mallory.request('GET', '/api/agents');
    const foreign = await mallory.responses(taskId);
    const unknown = await mallory.responses('task_1700000000000_0123456789abcdef0123456789abcdef');
    assert.equal(foreign.status, 404);
    assert.deepEqual(foreign.body, unknown.body);
    const anonymous = await fetch(`${server.url}/api/communications/get-responses?taskId=${taskId}`);
    assert.equal(anonymous.status, 404);
    // Nor may another session add to it, or stream it.
    const append = await mallory.send(agent.id, 'me too', { taskId });
    assert.equal(append.status, 404);
    const stream = await mallory.request('GET', `/api/communications/stream?taskId=${taskId}`);
    assert.equal(stream.status, 404);
  });

  it('sets an HttpOnly, SameSite=Lax session cookie', async () => {
    const response = await fetch(`${server.url}/api/agents`);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('wc_session='));
    assert.ok(cookie, 'a session cookie is set');
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
  });
});

describe('test-response gating', () => {
  it('is 404 unless enabled, works when enabled, and always works with the admin token', async () => {
    const off = await startServer();
    const on = await startServer({ env: { ENABLE_TEST_ENDPOINT: '1' } });
    try {
      for (const [server, enabled] of [[off, false], [on, true]] as const) {
        const agent = await server.createAgent();
        const page = new Session(server.url);
        const { taskId } = (await page.send(agent.id, 'ping')).body;
        const viaPage = await page.json<{ success: boolean; error?: { code: string } }>('POST', '/api/communications/test-response', { taskId });
        assert.equal(viaPage.status, enabled ? 200 : 404);
        const viaAdmin = await fetch(`${server.url}/api/communications/test-response`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
          body: JSON.stringify({ taskId, testMessage: 'custom test message' }),
        });
        assert.equal(viaAdmin.status, 200);
        const read = await page.responses(taskId);
        const texts = read.body.responses.map((r) => r.response);
        assert.deepEqual(texts, enabled ? ['This is a test response from the backend!', 'custom test message'] : ['custom test message']);
        // Enabled or not, a stranger cannot post into someone else's task.
        const stranger = new Session(server.url);
        const intrusion = await stranger.json('POST', '/api/communications/test-response', { taskId });
        assert.equal(intrusion.status, 404);
      }
    } finally {
      await off.stop();
      await on.stop();
    }
  });
});
