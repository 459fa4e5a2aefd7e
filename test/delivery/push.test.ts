/** Push delivery to a healthy agent, and to agents that fail, then recover. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { JITTER } from '../../src/delivery/retry-schedule.js';
import { verifyTaskWebhook, WebhookVerificationError } from '../../src/sdk/index.js';
import { eventually } from '../support/client.js';
import { admin, deliveriesOf, pushRig, receivedFor } from './helpers.js';

test('a healthy agent receives each message once, signed so that standardwebhooks verifies it', async (t) => {
  const { server, agentServer, agent, session } = await pushRig(t);
  const first = await session.send(agent.id, 'Hello, agent');
  assert.equal(first.status, 201);
  const second = await session.send(agent.id, 'And again', { taskId: first.body.taskId });
  assert.equal(second.status, 201);

  await eventually(async () => {
    const turns = (await session.responses(first.body.taskId)).body.task.turns;
    assert.deepEqual(turns.map((turn) => turn.delivery?.state), ['delivered', 'delivered']);
  });
  const received = receivedFor(agentServer, first.body.taskId);
  assert.equal(received.length, 2, 'each message is sent exactly once');
  const webhook = new Webhook(agent.signingSecret);
  for (const [i, hit] of received.entries()) {
    const sent = [first.body, second.body][i];
    assert.ok(sent, 'a sent message for each webhook');
    const verified = webhook.verify(hit.raw, {
      'webhook-id': String(hit.headers['webhook-id']),
      'webhook-timestamp': String(hit.headers['webhook-timestamp']),
      'webhook-signature': String(hit.headers['webhook-signature']),
    }) as Record<string, unknown>;
    assert.deepEqual(Object.keys(verified).sort(), ['agentId', 'createdAt', 'message', 'messageId', 'responseUrl', 'taskId', 'type']);
    assert.equal(verified.type, 'task.message');
    assert.equal(verified.taskId, sent.taskId);
    assert.equal(verified.messageId, sent.messageId);
    assert.equal(verified.agentId, agent.id);
    assert.equal(verified.message, i === 0 ? 'Hello, agent' : 'And again');
    assert.ok(!Number.isNaN(Date.parse(String(verified.createdAt))), 'createdAt is a date');
    assert.equal(verified.responseUrl, `${server.url}/api/communications/webhook-response`);
    assert.equal(hit.headers['content-type'], 'application/json');
    assert.match(String(hit.headers['webhook-id']), /^dlv_/);
  }
  assert.notEqual(received[0]?.headers['webhook-id'], received[1]?.headers['webhook-id']);
  // A signature made with another secret does not verify.
  const other = new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`);
  const hit = received[0];
  assert.ok(hit, 'a webhook was received');
  assert.throws(() =>
    other.verify(hit.raw, {
      'webhook-id': String(hit.headers['webhook-id']),
      'webhook-timestamp': String(hit.headers['webhook-timestamp']),
      'webhook-signature': String(hit.headers['webhook-signature']),
    }),
  );
});

test('an agent that fails, then recovers, gets the same webhook-id each time and exactly one success', async (t) => {
  // Waits long enough to watch the "retrying" state on the page between attempts.
  const { server, agentServer, agent, session } = await pushRig(t, { env: { DELIVERY_RETRY_SCHEDULE: '400ms,400ms,400ms,400ms' } });
  agentServer.script.push({ status: 500 }, { status: 502 }, { status: 500 });
  const sent = await session.send(agent.id, 'Are you there?');

  const retrying = await eventually(async () => {
    const turn = (await session.responses(sent.body.taskId)).body.task.turns[0];
    assert.equal(turn?.delivery?.state, 'retrying');
    assert.ok((turn?.delivery?.attempts ?? 0) >= 1, 'at least one attempt');
    return turn?.delivery;
  });
  assert.match(String(retrying?.lastError), /^HTTP 50[02]$/);
  assert.equal(retrying?.attempts, receivedFor(agentServer, sent.body.taskId).length);

  await eventually(async () => {
    const turn = (await session.responses(sent.body.taskId)).body.task.turns[0];
    assert.equal(turn?.delivery?.state, 'delivered');
    assert.equal(turn?.state, 'delivered');
  });
  const received = receivedFor(agentServer, sent.body.taskId);
  assert.equal(received.length, 4, 'three failures, then one success');
  assert.equal(new Set(received.map((r) => r.headers['webhook-id'])).size, 1, 'one webhook-id across retries');
  const [record] = await deliveriesOf(server, sent.body.taskId);
  assert.equal(record?.state, 'delivered');
  assert.equal(record?.attempts, 4);
  assert.equal(record?.lastStatus, 200);
  // Each retry is signed afresh, and each signature verifies.
  const webhook = new Webhook(agent.signingSecret);
  for (const hit of received) {
    webhook.verify(hit.raw, {
      'webhook-id': String(hit.headers['webhook-id']),
      'webhook-timestamp': String(hit.headers['webhook-timestamp']),
      'webhook-signature': String(hit.headers['webhook-signature']),
    });
  }
});

test('the worker waits the scheduled backoff between attempts, and shows when the next one is due', async (t) => {
  const schedule = [300, 600, 900];
  // A generous timeout: on a loaded machine a slow answer must not turn into a different error.
  const env = { DELIVERY_RETRY_SCHEDULE: schedule.map((ms) => `${ms}ms`).join(','), DELIVERY_TIMEOUT_MS: '10000' };
  const { server, agentServer, agent, session } = await pushRig(t, { env });
  agentServer.script.push({ status: 500 }, { status: 502 }, { status: 500 });
  const sent = await session.send(agent.id, 'Patience');
  const taskId = sent.body.taskId;

  // Watch the delivery until it lands, as the operator and as the person see it, each on its own.
  interface Seen { asked: number; attempts: number; next: number; lastError: string | null }
  type Read = () => Promise<{ state?: string; attempts?: number; nextAttemptAt?: string | null; lastError?: string | null } | undefined>;
  const watch = async (read: Read): Promise<Seen[]> => {
    const seen: Seen[] = [];
    await eventually(async () => {
      const asked = Date.now();
      const delivery = await read();
      if (delivery?.state === 'retrying') {
        seen.push({ asked, attempts: Number(delivery.attempts), next: Date.parse(String(delivery.nextAttemptAt)), lastError: delivery.lastError ?? null });
      }
      assert.equal(delivery?.state, 'delivered');
    }, 10_000);
    return seen;
  };
  const views = await Promise.all([
    watch(async () => (await deliveriesOf(server, taskId))[0]),
    watch(async () => (await session.responses(taskId)).body.task.turns[0]?.delivery ?? undefined),
  ]);

  const received = receivedFor(agentServer, taskId);
  assert.equal(received.length, 4, 'three failures, then one success');
  for (const [i, base] of schedule.entries()) {
    const failed = received[i] as (typeof received)[number];
    const next = received[i + 1] as (typeof received)[number];
    const gap = next.at - failed.at;
    assert.ok(gap >= base * (1 - JITTER), `attempt ${i + 2} came ${gap} ms after attempt ${i + 1}; the schedule says ${base} ms ±${JITTER * 100}%`);

    // While it waited, the admin API and the chat page said when the next attempt was due, and why.
    for (const [v, seen] of ['admin API', 'chat page'].entries()) {
      for (const s of (views[v] as Seen[]).filter((o) => o.attempts === i + 1)) {
        assert.ok(s.next >= failed.at + base * (1 - JITTER), `${seen}: nextAttemptAt is at least the scheduled wait after the failure`);
        assert.ok(s.next <= failed.at + base * (1 + JITTER) + 1000, `${seen}: nextAttemptAt is about the scheduled wait after the failure`);
        assert.equal(s.lastError, i === 1 ? 'HTTP 502' : 'HTTP 500', seen);
      }
    }
  }
  // A read soon after a failure sees the next attempt in the future. (Later reads may not: once it
  // is due it is being sent, and still "retrying".) On a loaded machine a round may pass unseen.
  for (const [v, seen] of ['admin API', 'chat page'].entries()) {
    const observed = views[v] as Seen[];
    assert.ok(observed.some((s) => s.next > s.asked), `${seen}: nextAttemptAt was never in the future: ${JSON.stringify(observed)}`);
  }
});

test('an attempt that times out is retried', async (t) => {
  const { server, agentServer, agent, session } = await pushRig(t, { env: { DELIVERY_TIMEOUT_MS: '300' } });
  agentServer.script.push({ status: 200, delayMs: 1500 });
  const sent = await session.send(agent.id, 'Take your time');
  await eventually(async () => {
    const [record] = await deliveriesOf(server, sent.body.taskId);
    assert.equal(record?.state, 'delivered');
    assert.equal(record?.attempts, 2);
    assert.equal(record?.lastError, 'timed out after 300 ms');
  });
  const received = receivedFor(agentServer, sent.body.taskId);
  assert.equal(received.length, 2);
  assert.equal(received[0]?.headers['webhook-id'], received[1]?.headers['webhook-id']);
});

test('during a credential rotation\'s grace period webhooks verify with the old secret and the new one', async (t) => {
  const { server, agentServer, agent, session } = await pushRig(t);
  const rotated = await admin<{ signingSecret: string }>(server, 'POST', `/api/agents/${agent.id}/rotate`);
  assert.equal(rotated.status, 200);
  const sent = await session.send(agent.id, 'Which secret?');
  const hit = await eventually(() => {
    const [first] = receivedFor(agentServer, sent.body.taskId);
    assert.ok(first, 'no webhook yet');
    return first;
  });
  assert.equal(String(hit.headers['webhook-signature']).split(' ').length, 2, 'one signature per valid secret');
  assert.equal(verifyTaskWebhook(agent.signingSecret, hit.raw, hit.headers).taskId, sent.body.taskId, 'the old secret verifies');
  assert.equal(verifyTaskWebhook(rotated.body.signingSecret, hit.raw, hit.headers).taskId, sent.body.taskId, 'the new secret verifies');

  // Without a grace period only the newest secret signs.
  const revoked = await admin<{ signingSecret: string }>(server, 'POST', `/api/agents/${agent.id}/rotate?graceSeconds=0`);
  const next = await session.send(agent.id, 'And now?');
  const later = await eventually(() => {
    const [first] = receivedFor(agentServer, next.body.taskId);
    assert.ok(first, 'no webhook yet');
    return first;
  });
  assert.equal(verifyTaskWebhook(revoked.body.signingSecret, later.raw, later.headers).taskId, next.body.taskId);
  assert.throws(() => verifyTaskWebhook(rotated.body.signingSecret, later.raw, later.headers), WebhookVerificationError);
});
