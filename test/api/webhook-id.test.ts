// A webhook-id is an answer's idempotency key, signed or beside a bearer token: repeats on the same
// task store once (sequential or concurrent); long IDs never collide; another task is a conflict.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { MESSAGE_ID_PATTERN, type AgentCredentials } from '../../src/protocol/index.js';
import { Session } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';

interface Reply {
  success: boolean;
  taskId?: string;
  messageId?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code: string; message: string };
}

describe('webhook-id idempotency', () => {
  let server: TestServer;
  let agent: AgentCredentials;
  let page: Session;

  before(async () => {
    server = await startServer();
    agent = await server.createAgent();
    page = new Session(server.url);
  });
  after(() => server.stop());

  async function newTask(): Promise<string> {
    return (await page.send(agent.id, 'hello')).body.taskId;
  }

  async function post(text: string, headers: Record<string, string>): Promise<{ status: number; body: Reply }> {
    const response = await fetch(`${server.url}/api/communications/webhook-response`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: text,
    });
    return { status: response.status, body: (await response.json()) as Reply };
  }

  /** The same answer, authenticated one way or the other, always carrying `webhookId`. */
  const senders = {
    bearer: (webhookId: string, body: object) => post(JSON.stringify(body), { authorization: `Bearer ${agent.token}`, 'webhook-id': webhookId }),
    signed: (webhookId: string, body: object) => {
      const text = JSON.stringify(body);
      const at = new Date();
      return post(text, {
        'webhook-id': webhookId,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(agent.signingSecret).sign(webhookId, at, text),
      });
    },
  };

  async function stored(taskId: string): Promise<string[]> {
    return (await page.responses(taskId)).body.responses.map((r) => r.response);
  }

  for (const [kind, send] of Object.entries(senders)) {
    it(`${kind}: stores once under 3 sequential repeats of one webhook-id`, async () => {
      const taskId = await newTask();
      const id = `retry-${randomUUID()}`;
      const replies = [];
      for (let i = 0; i < 3; i++) replies.push(await send(id, { taskId, response: 'once' }));
      assert.deepEqual(replies.map((r) => r.status), [200, 200, 200]);
      assert.deepEqual(replies.map((r) => r.body.duplicate), [false, true, true]);
      assert.equal(new Set(replies.map((r) => r.body.messageId)).size, 1, 'every repeat names the stored answer');
      assert.deepEqual(await stored(taskId), ['once']);
    });

    it(`${kind}: stores once under 10 concurrent repeats of one webhook-id`, async () => {
      const taskId = await newTask();
      const id = `burst-${randomUUID()}`;
      const replies = await Promise.all(Array.from({ length: 10 }, () => send(id, { taskId, response: 'burst' })));
      assert.deepEqual(replies.map((r) => r.status), Array(10).fill(200));
      assert.equal(replies.filter((r) => r.body.duplicate === false).length, 1, 'exactly one is stored');
      assert.equal(new Set(replies.map((r) => r.body.seq)).size, 1, 'every repeat names the same seq');
      assert.deepEqual(await stored(taskId), ['burst']);
    });
  }

  it('treats a signed call and a bearer call with the same webhook-id as one answer', async () => {
    const taskId = await newTask();
    const id = `mixed-${randomUUID()}`;
    const first = await senders.signed(id, { taskId, response: 'signed first' });
    const second = await senders.bearer(id, { taskId, response: 'bearer retry' });
    assert.deepEqual([first.status, first.body.duplicate, second.status, second.body.duplicate], [200, false, 200, true]);
    assert.deepEqual(await stored(taskId), ['signed first']);
  });

  it('keeps bearer calls without a webhook-id apart (each is a new answer)', async () => {
    const taskId = await newTask();
    for (const text of ['a', 'b']) assert.equal((await server.webhook({ taskId, response: text, final: false }, agent.token)).status, 200);
    assert.deepEqual(await stored(taskId), ['a', 'b']);
  });

  it('refuses an oversized webhook-id beside a bearer token with 400', async () => {
    const taskId = await newTask();
    const r = await senders.bearer('x'.repeat(257), { taskId, response: 'too long' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error?.code, 'VALIDATION_FAILED');
    assert.match(r.body.error?.message ?? '', /webhook-id/);
    assert.deepEqual(await stored(taskId), []);
  });

  for (const [kind, send] of Object.entries(senders)) {
    it(`${kind}: never confuses two long webhook-ids that share a prefix`, async () => {
      const taskId = await newTask();
      const prefix = `long-${randomUUID()}-`.padEnd(200, 'p');
      const [a, b] = [`${prefix}a`, `${prefix}b`];
      const first = await send(a, { taskId, response: 'first', final: false });
      const second = await send(b, { taskId, response: 'second', final: false });
      assert.deepEqual([first.status, first.body.duplicate, second.status, second.body.duplicate], [200, false, 200, false]);
      assert.notEqual(first.body.messageId, second.body.messageId);
      for (const reply of [first, second]) assert.match(reply.body.messageId ?? '', new RegExp(MESSAGE_ID_PATTERN));
      const again = await send(b, { taskId, response: 'second', final: false });
      assert.deepEqual([again.status, again.body.duplicate, again.body.messageId], [200, true, second.body.messageId]);
      assert.deepEqual(await stored(taskId), ['first', 'second']);
    });
  }

  it('gives a webhook-id outside the message-ID alphabet a valid message ID', async () => {
    const taskId = await newTask();
    const id = `odd id/${randomUUID()}+=`;
    const first = await senders.bearer(id, { taskId, response: 'odd' });
    assert.equal(first.status, 200);
    assert.match(first.body.messageId ?? '', new RegExp(MESSAGE_ID_PATTERN));
    assert.equal((await senders.bearer(id, { taskId, response: 'odd' })).body.duplicate, true);
    assert.deepEqual(await stored(taskId), ['odd']);
  });

  for (const [kind, send] of Object.entries(senders)) {
    it(`${kind}: refuses a webhook-id already used on another task with 409, storing nothing there`, async () => {
      const [one, two] = [await newTask(), await newTask()];
      const id = `reused-${randomUUID()}`;
      const first = await send(id, { taskId: one, response: 'for task one' });
      assert.deepEqual([first.status, first.body.duplicate], [200, false]);
      const clash = await send(id, { taskId: two, response: 'for task two' });
      assert.equal(clash.status, 409);
      assert.equal(clash.body.error?.code, 'WEBHOOK_ID_CONFLICT');
      assert.match(clash.body.error?.message ?? '', /webhook-id/);
      assert.deepEqual(await stored(one), ['for task one']);
      assert.deepEqual(await stored(two), []);
      const task = (await page.responses(two)).body.task;
      assert.equal(task.turns.at(-1)?.state, 'queued', "task two's turn is still waiting for its own answer");
    });
  }

  it('stores a webhook-id sent to two tasks at once on one task only: repeats there are duplicates, the other task gets 409', async () => {
    const [one, two] = [await newTask(), await newTask()];
    const id = `race-${randomUUID()}`;
    const targets = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? one : two));
    const replies = await Promise.all(targets.map((taskId) => senders.bearer(id, { taskId, response: `to ${taskId}` })));
    const winner = replies.find((r) => r.body.duplicate === false);
    assert.ok(winner, 'one request stored the answer');
    assert.equal(replies.filter((r) => r.body.duplicate === false).length, 1, 'only one request stored it');
    replies.forEach((reply, i) => {
      if (targets[i] === winner.body.taskId) assert.deepEqual([reply.status, reply.body.success], [200, true], `request ${i} to the winning task`);
      else assert.deepEqual([reply.status, reply.body.error?.code], [409, 'WEBHOOK_ID_CONFLICT'], `request ${i} to the other task`);
    });
    const counts = [(await stored(one)).length, (await stored(two)).length];
    assert.deepEqual([...counts].sort(), [0, 1]);
  });
});
