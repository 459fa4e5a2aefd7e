/** Pull mode: long-poll for tasks, leases, redelivery and acknowledgement. */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { eventually, Session } from '../support/client.js';
import type { TestServer } from '../support/server.js';
import { deliveriesOf, startTestServer } from './helpers.js';

interface Pulled {
  deliveryId: string;
  attempt: number;
  leaseExpiresAt: string;
  event: { type: string; taskId: string; messageId: string; agentId: string; message: string; responseUrl: string };
}

async function pull(server: TestServer, token: string, query: string): Promise<{ status: number; tasks: Pulled[]; ms: number }> {
  const started = Date.now();
  const response = await fetch(`${server.url}/api/agent/tasks?${query}`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as { tasks: Pulled[] };
  return { status: response.status, tasks: body.tasks ?? [], ms: Date.now() - started };
}

async function ack(server: TestServer, token: string, deliveryId: string): Promise<{ status: number; code?: string }> {
  const response = await fetch(`${server.url}/api/agent/tasks/${deliveryId}/ack`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as { error?: { code: string } };
  return { status: response.status, ...(body.error ? { code: body.error.code } : {}) };
}

async function pullRig(t: TestContext, env: Record<string, string> = {}) {
  const server = await startTestServer(t, { env });
  const agent = await server.createAgent({ name: 'Puller' });
  return { server, agent, session: new Session(server.url) };
}

test('a long-poll returns a task as soon as it is assigned', async (t) => {
  const { server, agent, session } = await pullRig(t);
  const waiting = pull(server, agent.token, 'wait=20');
  // The message arrives only once the poll is waiting on the server.
  await eventually(async () => assert.match(await (await fetch(`${server.url}/metrics`)).text(), /readers_connected\{kind="pull"\} 1/));
  const before = Date.now();
  const sent = await session.send(agent.id, 'For a puller');
  const { status, tasks, ms } = await waiting;
  assert.equal(status, 200);
  assert.equal(tasks.length, 1);
  assert.ok(Date.now() - before < 2000, `answered ${Date.now() - before} ms after the message (poll took ${ms} ms)`);
  const [task] = tasks;
  assert.equal(task?.attempt, 1);
  assert.match(String(task?.deliveryId), /^dlv_/);
  assert.deepEqual(task?.event, {
    type: 'task.message',
    taskId: sent.body.taskId,
    messageId: sent.body.messageId,
    agentId: agent.id,
    message: 'For a puller',
    createdAt: task?.event && (task.event as unknown as { createdAt: string }).createdAt,
    responseUrl: `${server.url}/api/communications/webhook-response`,
  });
  assert.equal((await session.responses(sent.body.taskId)).body.task.turns[0]?.delivery?.attempts, 1);
});

test('an unacknowledged task is offered again after its lease with the same deliveryId; an ack stops it', async (t) => {
  const { server, agent, session } = await pullRig(t, { PULL_LEASE_MS: '400' });
  const sent = await session.send(agent.id, 'Lease me');
  const first = await pull(server, agent.token, 'wait=0');
  assert.equal(first.tasks.length, 1);
  const leasedAt = Date.now();
  // Still leased: nothing to hand out.
  assert.equal((await pull(server, agent.token, 'wait=0')).tasks.length, 0);

  const second = await pull(server, agent.token, 'wait=5');
  assert.equal(second.tasks.length, 1);
  assert.ok(Date.now() - leasedAt >= 300, 'offered again only once the lease ended');
  assert.equal(second.tasks[0]?.deliveryId, first.tasks[0]?.deliveryId);
  assert.equal(second.tasks[0]?.attempt, 2);

  assert.equal((await ack(server, agent.token, String(second.tasks[0]?.deliveryId))).status, 200);
  assert.equal((await ack(server, agent.token, String(second.tasks[0]?.deliveryId))).status, 200, 'acknowledging twice is fine');
  const after = await pull(server, agent.token, 'wait=1');
  assert.equal(after.tasks.length, 0, 'an acknowledged task is not offered again');
  const turn = (await session.responses(sent.body.taskId)).body.task.turns[0];
  assert.equal(turn?.delivery?.state, 'delivered');
  assert.equal(turn?.state, 'delivered');
});

test('acknowledging another agent\'s task, or an unknown one, is 404; pulling needs the agent token', async (t) => {
  const { server, agent, session } = await pullRig(t);
  const other = await server.createAgent({ name: 'Other puller' });
  await session.send(agent.id, 'Mine');
  const [task] = (await pull(server, agent.token, 'wait=0')).tasks;
  assert.ok(task, 'a task was pulled');
  assert.deepEqual(await ack(server, other.token, task.deliveryId), { status: 404, code: 'DELIVERY_NOT_FOUND' });
  assert.deepEqual(await ack(server, agent.token, 'dlv_0000000000000_00000000000000000000000000000000'), { status: 404, code: 'DELIVERY_NOT_FOUND' });
  assert.equal((await pull(server, 'wct_not-a-token', 'wait=0')).status, 401);
  assert.equal((await pull(server, other.token, 'wait=0')).tasks.length, 0, 'an agent only sees its own tasks');
  assert.equal((await ack(server, agent.token, task.deliveryId)).status, 200);
});

test('a wait over 30 s, or a bad limit, is refused with 400 naming the field, before anything is handed out', async (t) => {
  const { server, agent, session } = await pullRig(t);
  const sent = await session.send(agent.id, 'Still here?');
  for (const [query, field] of [['wait=31', 'wait'], ['wait=-1', 'wait'], ['wait=soon', 'wait'], ['limit=101', 'limit'], ['limit=0', 'limit']] as const) {
    const response = await fetch(`${server.url}/api/agent/tasks?${query}`, { headers: { authorization: `Bearer ${agent.token}` } });
    const body = (await response.json()) as { success: boolean; error: { code: string; message: string } };
    assert.equal(response.status, 400, query);
    assert.equal(body.success, false);
    assert.equal(body.error.code, 'VALIDATION_FAILED', query);
    assert.match(body.error.message, new RegExp(`\\b${field}\\b`), `${query}: ${body.error.message}`);
  }
  const [record] = await deliveriesOf(server, sent.body.taskId);
  assert.equal(record?.attempts, 0, 'no refused poll took the task');
  assert.equal((await pull(server, agent.token, 'wait=30&limit=100')).tasks.length, 1, 'the bounds themselves are accepted');
});

test('a canceled turn is not handed out; a task the user cancels after it was pulled can still be acknowledged', async (t) => {
  const { server, agent, session } = await pullRig(t);
  const queued = await session.send(agent.id, 'Never mind');
  assert.equal((await session.json('POST', '/api/tasks/cancel', { taskId: queued.body.taskId })).status, 200);
  assert.equal((await pull(server, agent.token, 'wait=0')).tasks.length, 0);

  const pulledThenCanceled = await session.send(agent.id, 'Pull me, then forget it');
  const [task] = (await pull(server, agent.token, 'wait=0')).tasks;
  assert.equal(task?.event.taskId, pulledThenCanceled.body.taskId);
  assert.equal((await session.json('POST', '/api/tasks/cancel', { taskId: pulledThenCanceled.body.taskId })).status, 200);
  assert.equal((await ack(server, agent.token, String(task?.deliveryId))).status, 200);
  await eventually(async () => assert.equal((await deliveriesOf(server, pulledThenCanceled.body.taskId)).at(-1)?.state, 'canceled'));
});
