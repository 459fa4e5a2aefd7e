// Repeats store once: by messageId (agent and user) and by webhook-id, sequential and concurrent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { Session } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';

describe('idempotency', () => {
  let server: TestServer;
  let agent: AgentCredentials;

  before(async () => {
    server = await startServer();
    agent = await server.createAgent();
  });
  after(() => server.stop());

  it('stores an agent answer once under 3 repeats of its messageId', async () => {
    const page = new Session(server.url);
    const { taskId } = (await page.send(agent.id, 'hi')).body;
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await server.webhook({ taskId, response: 'answer', messageId: 'agent-msg-1' }, agent.token));
    const bodies = (await Promise.all(results.map((r) => r.json()))) as Array<{ duplicate: boolean; seq: number }>;
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200]);
    assert.deepEqual(bodies.map((b) => b.duplicate), [false, true, true]);
    assert.equal(new Set(bodies.map((b) => b.seq)).size, 1);
    assert.equal((await page.responses(taskId)).body.responses.length, 1);
  });

  it('stores an agent answer once under 20 concurrent repeats', async () => {
    const page = new Session(server.url);
    const { taskId } = (await page.send(agent.id, 'hi')).body;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => server.webhook({ taskId, response: 'answer', messageId: 'agent-msg-concurrent' }, agent.token)),
    );
    const bodies = (await Promise.all(results.map((r) => r.json()))) as Array<{ duplicate: boolean }>;
    assert.ok(results.every((r) => r.status === 200), 'every repeat answers 200');
    assert.equal(bodies.filter((b) => !b.duplicate).length, 1);
    assert.equal((await page.responses(taskId)).body.responses.length, 1);
  });

  it('stores a user message once when sent twice with the same messageId, even the first of a task', async () => {
    const page = new Session(server.url);
    await page.request('GET', '/api/agents'); // as the page does first: it starts the session
    const [a, b] = await Promise.all([
      page.send(agent.id, 'first!', { messageId: 'client-msg-1' }),
      page.send(agent.id, 'first!', { messageId: 'client-msg-1' }),
    ]);
    assert.deepEqual([a.status, b.status].sort(), [200, 201]);
    assert.equal(a.body.taskId, b.body.taskId);
    const third = await page.send(agent.id, 'first!', { messageId: 'client-msg-1', taskId: a.body.taskId });
    assert.equal(third.status, 200);
    assert.equal(third.body.duplicate, true);
    assert.equal(third.body.task.turns.length, 1);
  });

  it('refuses a reused messageId with different content (409)', async () => {
    const page = new Session(server.url);
    const first = await page.send(agent.id, 'one', { messageId: 'client-msg-2' });
    const clash = await page.send(agent.id, 'two', { messageId: 'client-msg-2', taskId: first.body.taskId });
    assert.equal(clash.status, 409);
    assert.equal((clash.body as unknown as { error: { code: string } }).error.code, 'MESSAGE_ID_CONFLICT');
  });

  it("does not let another session's messageId collide with mine", async () => {
    const alice = new Session(server.url);
    const bob = new Session(server.url);
    const a = await alice.send(agent.id, 'same', { messageId: 'shared-id' });
    const b = await bob.send(agent.id, 'same', { messageId: 'shared-id' });
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.notEqual(a.body.taskId, b.body.taskId);
  });
});
