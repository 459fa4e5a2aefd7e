/**
 * Durability: a server killed with SIGKILL while deliveries are pending resumes them after a
 * restart on the same database, and sends nothing twice except by retry (same webhook-id).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually } from '../support/client.js';
import { deliveriesOf, pushRig, receivedFor } from './helpers.js';

test('deliveries waiting for a down agent survive a SIGKILL and are delivered after the restart', async (t) => {
  const { server, agentServer, agent, session } = await pushRig(t, {
    process: true,
    fallback: { status: 503 },
    env: { DELIVERY_RETRY_SCHEDULE: '500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms' },
  });
  const tasks: string[] = [];
  for (let i = 0; i < 3; i++) tasks.push((await session.send(agent.id, `message ${i}`)).body.taskId);
  await eventually(async () => {
    for (const taskId of tasks) assert.ok(((await deliveriesOf(server, taskId))[0]?.attempts ?? 0) >= 1, 'attempted before the kill');
  });
  await server.kill();
  const failedBefore = agentServer.received.length;
  agentServer.fallback = { status: 200 };
  await server.restart();

  await eventually(async () => {
    for (const taskId of tasks) assert.equal((await deliveriesOf(server, taskId))[0]?.state, 'delivered');
  }, 10_000);
  const afterRestart = agentServer.received.slice(failedBefore);
  for (const taskId of tasks) {
    const all = receivedFor(agentServer, taskId);
    assert.equal(new Set(all.map((r) => r.headers['webhook-id'])).size, 1, 'every attempt of one message carries one webhook-id');
    assert.equal(afterRestart.filter((r) => r.body.taskId === taskId).length, 1, 'delivered once after the restart');
  }
});

test('a delivery in flight and those queued behind it when the server is killed are sent after the restart', async (t) => {
  const { server, agentServer, agent, session } = await pushRig(t, {
    process: true,
    // One at a time, so the later messages wait behind a slow first one.
    env: { DELIVERY_CONCURRENCY: '1', DELIVERY_TIMEOUT_MS: '2000' },
  });
  agentServer.script.push({ status: 200, delayMs: 1500 });
  const first = (await session.send(agent.id, 'slow one')).body.taskId;
  await eventually(() => assert.equal(agentServer.received.length, 1));
  const rest: string[] = [];
  for (let i = 0; i < 3; i++) rest.push((await session.send(agent.id, `queued ${i}`)).body.taskId);
  // SIGKILL before the agent has answered the first webhook.
  await server.kill();
  assert.equal(agentServer.received.length, 1, 'the later messages were not sent before the kill');
  await server.restart();

  await eventually(async () => {
    for (const taskId of [first, ...rest]) assert.equal((await deliveriesOf(server, taskId))[0]?.state, 'delivered');
  }, 15_000);
  const again = receivedFor(agentServer, first);
  assert.equal(again.length, 2, 'the unanswered attempt is retried once');
  assert.equal(again[0]?.headers['webhook-id'], again[1]?.headers['webhook-id'], 'the retry keeps the webhook-id');
  for (const taskId of rest) assert.equal(receivedFor(agentServer, taskId).length, 1, 'queued messages are sent once');
});
