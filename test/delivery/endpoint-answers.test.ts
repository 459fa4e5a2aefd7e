/** What the agent's answer does: 410 disables the endpoint, 429/503 Retry-After is honoured, the last failure dead-letters. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually } from '../support/client.js';
import { admin, deliveriesOf, pushRig, receivedFor } from './helpers.js';

test('410 Gone disables the endpoint until the agent is given an endpoint URL again', async (t) => {
  const { server, agentServer, agent, session } = await pushRig(t);
  agentServer.script.push({ status: 410 });
  const first = await session.send(agent.id, 'Anyone home?');
  await eventually(async () => {
    const [record] = await deliveriesOf(server, first.body.taskId);
    assert.equal(record?.state, 'failed');
    assert.equal(record?.lastStatus, 410);
    assert.match(String(record?.lastError), /410 Gone.*disabled/);
    assert.equal((await session.responses(first.body.taskId)).body.task.turns[0]?.state, 'failed');
  });
  assert.equal(receivedFor(agentServer, first.body.taskId).length, 1, 'a 410 is not retried');

  // Later messages are dead-lettered at once, without a request, and say why.
  const second = await session.send(agent.id, 'Hello?');
  await eventually(async () => {
    const [record] = await deliveriesOf(server, second.body.taskId);
    assert.equal(record?.state, 'failed');
    assert.match(String(record?.lastError), /endpoint disabled after 410 Gone.*endpointUrl/);
    assert.equal(record?.attempts, 0, 'no request was made, so no attempt is counted');
    const turn = (await session.responses(second.body.taskId)).body.task.turns[0];
    assert.equal(turn?.delivery?.state, 'failed');
    assert.equal(turn?.state, 'failed');
  });
  assert.equal(receivedFor(agentServer, second.body.taskId).length, 0);

  // Setting the endpoint URL re-enables it; new messages flow, and the dead letter can be replayed.
  const patched = await admin(server, 'PATCH', `/api/agents/${agent.id}`, { endpointUrl: agentServer.url });
  assert.equal(patched.status, 200);
  const third = await session.send(agent.id, 'Back?');
  const [dead] = await deliveriesOf(server, second.body.taskId);
  assert.equal((await admin(server, 'POST', `/api/admin/deliveries/${dead?.id}/replay`)).status, 200);
  await eventually(async () => {
    assert.equal((await deliveriesOf(server, third.body.taskId))[0]?.state, 'delivered');
    assert.equal((await deliveriesOf(server, second.body.taskId))[0]?.state, 'delivered');
  });
  assert.equal(receivedFor(agentServer, third.body.taskId).length, 1);
  assert.equal(receivedFor(agentServer, second.body.taskId).length, 1);
});

for (const status of [429, 503]) {
  test(`a ${status} with Retry-After delays the next attempt until then, not by the schedule`, async (t) => {
    const { server, agentServer, agent, session } = await pushRig(t);
    // Seconds for one, an HTTP date for the other: both forms are honoured.
    const retryAfter = status === 429 ? '1' : new Date(Date.now() + 2000).toUTCString();
    const notBefore = status === 429 ? null : Date.parse(retryAfter);
    agentServer.script.push({ status, headers: { 'retry-after': retryAfter } });
    const sent = await session.send(agent.id, 'Busy?');
    await eventually(async () => assert.equal((await deliveriesOf(server, sent.body.taskId))[0]?.state, 'delivered'), 6000);
    const [first, second] = receivedFor(agentServer, sent.body.taskId);
    assert.ok(first && second, 'two attempts');
    assert.equal(first.headers['webhook-id'], second.headers['webhook-id']);
    // The schedule's first wait is 50 ms; Retry-After asked for more, and got it.
    assert.ok(second.at - first.at >= 1000, `retried after ${second.at - first.at} ms`);
    if (notBefore !== null) assert.ok(second.at >= notBefore, `retried ${notBefore - second.at} ms before the Retry-After date`);
    const [record] = await deliveriesOf(server, sent.body.taskId);
    assert.equal(record?.attempts, 2);
    assert.equal(record?.lastError, `HTTP ${status}`);
  });
}

test('after the last try the delivery is dead-lettered, and an admin replay delivers it', async (t) => {
  const { server, agentServer, agent, session } = await pushRig(t, { fallback: { status: 500 } });
  const sent = await session.send(agent.id, 'Will this ever arrive?');
  const dead = await eventually(async () => {
    const [record] = await deliveriesOf(server, sent.body.taskId);
    assert.equal(record?.state, 'failed');
    return record;
  });
  // The schedule has three waits: one first attempt and three retries.
  assert.equal(dead?.attempts, 4);
  assert.equal(dead?.lastError, 'HTTP 500 (gave up after 4 attempts)');
  assert.equal(receivedFor(agentServer, sent.body.taskId).length, 4);
  const page = await session.responses(sent.body.taskId);
  assert.equal(page.body.task.state, 'failed');
  assert.equal(page.body.task.turns[0]?.state, 'failed');
  assert.equal(page.body.task.turns[0]?.delivery?.state, 'failed');

  const listed = await admin<{ deliveries: Array<{ id: string }> }>(server, 'GET', '/api/admin/deliveries?state=failed');
  assert.ok(listed.body.deliveries.some((d) => d.id === dead?.id), 'listed among failed deliveries');
  // Only a dead letter can be replayed; a replay needs the admin token.
  const anonymous = await fetch(`${server.url}/api/admin/deliveries/${dead?.id}/replay`, { method: 'POST' });
  assert.equal(anonymous.status, 401);
  assert.equal((await admin(server, 'POST', '/api/admin/deliveries/dlv_0000000000000_00000000000000000000000000000000/replay')).status, 404);

  agentServer.fallback = { status: 200 };
  const replayed = await admin(server, 'POST', `/api/admin/deliveries/${dead?.id}/replay`);
  assert.equal(replayed.status, 200);
  await eventually(async () => {
    const turn = (await session.responses(sent.body.taskId)).body.task.turns[0];
    assert.equal(turn?.delivery?.state, 'delivered');
    assert.equal(turn?.state, 'delivered');
  });
  const received = receivedFor(agentServer, sent.body.taskId);
  assert.equal(received.length, 5);
  assert.equal(new Set(received.map((r) => r.headers['webhook-id'])).size, 1, 'the replay keeps the webhook-id');
  const again = await admin<{ error: { code: string } }>(server, 'POST', `/api/admin/deliveries/${dead?.id}/replay`);
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, 'DELIVERY_NOT_REPLAYABLE');
});
