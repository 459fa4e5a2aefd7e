/** A user's cancel reaches the agent as a signed task.canceled webhook once the message was delivered. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { eventually } from '../support/client.js';
import { deliveriesOf, pushRig, receivedFor } from './helpers.js';

test('canceling a delivered turn sends a signed task.canceled webhook', async (t) => {
  const { agentServer, agent, session } = await pushRig(t);
  const sent = await session.send(agent.id, 'Start something long');
  await eventually(async () => assert.equal((await session.responses(sent.body.taskId)).body.task.turns[0]?.state, 'delivered'));

  const canceled = await session.json<{ success: boolean }>('POST', '/api/tasks/cancel', { taskId: sent.body.taskId });
  assert.equal(canceled.status, 200);
  const notice = await eventually(() => {
    const hit = receivedFor(agentServer, sent.body.taskId).find((r) => r.body.type === 'task.canceled');
    assert.ok(hit, 'no task.canceled webhook yet');
    return hit;
  });
  const body = new Webhook(agent.signingSecret).verify(notice.raw, {
    'webhook-id': String(notice.headers['webhook-id']),
    'webhook-timestamp': String(notice.headers['webhook-timestamp']),
    'webhook-signature': String(notice.headers['webhook-signature']),
  }) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['agentId', 'createdAt', 'messageId', 'taskId', 'type']);
  assert.equal(body.taskId, sent.body.taskId);
  assert.equal(body.messageId, sent.body.messageId);
  assert.equal(body.agentId, agent.id);
  const first = receivedFor(agentServer, sent.body.taskId)[0];
  assert.notEqual(notice.headers['webhook-id'], first?.headers['webhook-id'], 'the notice is a webhook of its own');
  assert.equal((await session.responses(sent.body.taskId)).body.task.turns[0]?.state, 'canceled');
});

test('canceling a turn whose message has not reached the agent yet sends neither the message nor a notice', async (t) => {
  const { server, agentServer, agent, session } = await pushRig(t, {
    fallback: { status: 503 },
    env: { DELIVERY_RETRY_SCHEDULE: '300ms,300ms,300ms,300ms,300ms' },
  });
  const sent = await session.send(agent.id, 'Oops, wrong agent');
  const retryAt = await eventually(async () => {
    const [pending] = await deliveriesOf(server, sent.body.taskId);
    assert.equal(pending?.attempts, 1);
    return Date.parse(String(pending?.nextAttemptAt));
  });
  assert.equal((await session.json('POST', '/api/tasks/cancel', { taskId: sent.body.taskId })).status, 200);
  agentServer.fallback = { status: 200 };
  const [record] = await deliveriesOf(server, sent.body.taskId);
  assert.equal(record?.state, 'canceled');
  // Once the canceled retry would have been due, a new message is delivered: the worker claims in
  // order of due time, so it has passed over the canceled one.
  await eventually(() => assert.ok(Date.now() > retryAt + 50, 'the retry is not due yet'), 2000);
  const later = await session.send(agent.id, 'The right message');
  await eventually(async () => assert.equal((await deliveriesOf(server, later.body.taskId))[0]?.state, 'delivered'));
  assert.deepEqual(
    receivedFor(agentServer, sent.body.taskId).map((r) => r.body.type),
    ['task.message'],
    'no retry of the canceled message, and no notice for a message the agent never accepted',
  );
});

test(
  'canceling a turn whose message is being delivered at that moment still sends a notice',
  async (t) => {
    const { agentServer, agent, session } = await pushRig(t);
    agentServer.script.push({ status: 200, delayMs: 800 });
    const sent = await session.send(agent.id, 'Slow to arrive');
    // The agent has the message, but has not answered 2xx yet.
    await eventually(() => assert.equal(receivedFor(agentServer, sent.body.taskId).length, 1));
    assert.equal((await session.json('POST', '/api/tasks/cancel', { taskId: sent.body.taskId })).status, 200);
    await eventually(() => {
      const types = receivedFor(agentServer, sent.body.taskId).map((r) => r.body.type);
      assert.deepEqual(types, ['task.message', 'task.canceled']);
    }, 3000);
  },
);
