/** The operator API: tasks with their turn counts, paged; delivery states by the chat page's rule. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, Session } from '../support/client.js';
import { admin, deliveriesOf, startTestServer } from './helpers.js';

interface AdminTask {
  id: string;
  agentId: string;
  state: string;
  turnCount: number;
  lastSeq: number;
  createdAt: string;
  lastActivityAt: string;
}
type TaskPage = { tasks: AdminTask[]; nextBefore: string | null };

test('tasks are listed newest first with state, agent, turn count and last activity, a page at a time', async (t) => {
  const server = await startTestServer(t, {});
  // Pull agents: nothing is delivered, so nothing but the test changes the tasks.
  const alice = await server.createAgent({ name: 'Alice' });
  const bob = await server.createAgent({ name: 'Bob' });
  const session = new Session(server.url);
  const first = await session.send(alice.id, 'One');
  await session.send(alice.id, 'Two', { taskId: first.body.taskId });
  const beforeAnswer = Date.now();
  assert.equal((await server.webhook({ taskId: first.body.taskId, response: 'Both done' }, alice.token)).status, 200);
  const second = await session.send(bob.id, 'Hi Bob');
  const third = await session.send(alice.id, 'Three');

  const all = await admin<TaskPage>(server, 'GET', '/api/admin/tasks');
  assert.equal(all.status, 200);
  assert.deepEqual(all.body.tasks.map((task) => task.id), [third.body.taskId, second.body.taskId, first.body.taskId]);
  assert.equal(all.body.nextBefore, null, 'one page holds them all');
  const answered = all.body.tasks[2];
  assert.deepEqual(
    { agentId: answered?.agentId, state: answered?.state, turnCount: answered?.turnCount, lastSeq: answered?.lastSeq },
    { agentId: alice.id, state: 'answered', turnCount: 2, lastSeq: 3 },
  );
  assert.ok(Date.parse(String(answered?.lastActivityAt)) >= beforeAnswer, 'the answer is the last activity');
  assert.ok(Date.parse(String(answered?.createdAt)) <= beforeAnswer);
  assert.equal(all.body.tasks[1]?.state, 'queued');
  assert.ok(!JSON.stringify(all.body).includes('session'), 'no session hash reaches the operator');

  // Pages: nextBefore of one page is `before` of the next, until it is null.
  const page1 = await admin<TaskPage>(server, 'GET', '/api/admin/tasks?limit=2');
  assert.deepEqual(page1.body.tasks.map((task) => task.id), [third.body.taskId, second.body.taskId]);
  assert.equal(page1.body.nextBefore, second.body.taskId);
  const page2 = await admin<TaskPage>(server, 'GET', `/api/admin/tasks?limit=2&before=${page1.body.nextBefore}`);
  assert.deepEqual(page2.body.tasks.map((task) => task.id), [first.body.taskId]);
  assert.equal(page2.body.nextBefore, null);

  const ofBob = await admin<TaskPage>(server, 'GET', `/api/admin/tasks?agentId=${bob.id}`);
  assert.deepEqual(ofBob.body.tasks.map((task) => task.id), [second.body.taskId]);
  const queuedOfAlice = await admin<TaskPage>(server, 'GET', `/api/admin/tasks?agentId=${alice.id}&state=queued`);
  assert.deepEqual(queuedOfAlice.body.tasks.map((task) => task.id), [third.body.taskId]);

  const tooMany = await admin<{ error: { code: string; message: string } }>(server, 'GET', '/api/admin/tasks?limit=501');
  assert.equal(tooMany.status, 400);
  assert.match(tooMany.body.error.message, /limit/);
  for (const authorization of [undefined, 'Bearer wrong-token', `Bearer ${alice.token}`]) {
    const refused = await fetch(`${server.url}/api/admin/tasks`, authorization ? { headers: { authorization } } : {});
    assert.equal(refused.status, 401, `refused with ${authorization ?? 'no token'}`);
    const body = (await refused.json()) as { success: boolean; tasks?: unknown };
    assert.equal(body.success, false);
    assert.equal(body.tasks, undefined);
  }
});

test('delivery states follow the chat page: a first pull hand-out is not a retry, a second is; canceled is its own state', async (t) => {
  const server = await startTestServer(t, { env: { PULL_LEASE_MS: '200' } });
  const agent = await server.createAgent({ name: 'Puller' });
  const session = new Session(server.url);
  const pullOnce = async (): Promise<Array<{ leaseExpiresAt: string }>> => {
    const response = await fetch(`${server.url}/api/agent/tasks?wait=0`, { headers: { authorization: `Bearer ${agent.token}` } });
    return ((await response.json()) as { tasks: Array<{ leaseExpiresAt: string }> }).tasks;
  };
  const pageState = async (taskId: string): Promise<string | undefined> =>
    (await session.responses(taskId)).body.task.turns[0]?.delivery?.state;

  const sent = await session.send(agent.id, 'Pull me');
  let [record] = await deliveriesOf(server, sent.body.taskId);
  assert.deepEqual([record?.state, record?.attempts], ['queued', 0]);

  const [pulled] = await pullOnce();
  [record] = await deliveriesOf(server, sent.body.taskId);
  assert.deepEqual([record?.state, record?.attempts], ['queued', 1], 'one hand-out is the first attempt, not a retry');
  assert.equal(record?.nextAttemptAt, pulled?.leaseExpiresAt, 'offered again when the lease ends');
  assert.equal(await pageState(sent.body.taskId), record?.state, 'the operator and the person see the same state');

  // Not acknowledged: once the lease has ended the task is handed out again, now as a retry.
  await eventually(async () => assert.equal((await pullOnce()).length, 1, 'offered again'), 3000);
  [record] = await deliveriesOf(server, sent.body.taskId);
  assert.deepEqual([record?.state, record?.attempts], ['retrying', 2]);
  assert.equal(await pageState(sent.body.taskId), 'retrying');

  const canceled = await session.send(agent.id, 'Never mind');
  assert.equal((await session.json('POST', '/api/tasks/cancel', { taskId: canceled.body.taskId })).status, 200);
  [record] = await deliveriesOf(server, canceled.body.taskId);
  assert.equal(record?.state, 'canceled', 'not "failed": nothing went wrong');
  assert.equal(record?.nextAttemptAt, null);
  const listed = await admin<{ deliveries: Array<{ id: string }> }>(server, 'GET', '/api/admin/deliveries?state=canceled');
  assert.deepEqual(listed.body.deliveries.map((d) => d.id), [record?.id]);
});
