/**
 * Two server processes on one PostgreSQL database, as behind a load balancer: a webhook to one
 * wakes readers on the other, a browser session works on both, the shared outbox sends each
 * message once, and a revoked agent token stops working on the instance that did not revoke it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { AgentCredentials, Communication } from '../../src/protocol/index.js';
import { startAgentServer } from '../support/agent-server.js';
import { eventually } from '../support/client.js';
import { postgresSkip } from '../support/postgres.js';
import type { TestServer } from '../support/server.js';
import { openSse } from '../support/sse.js';
import { Browser, metric, startCluster, summary, type Cluster } from './cluster.js';

/** What agents are told to answer to, whichever instance delivers: the load balancer's address. */
const PUBLIC_URL = 'http://chat.example.test:8080';

describe('two instances on one PostgreSQL database', { skip: postgresSkip(), timeout: 120_000 }, () => {
  let cluster: Cluster;
  let a: TestServer;
  let b: TestServer;
  let agent: AgentCredentials;

  before(async () => {
    cluster = await startCluster(2, { PUBLIC_URL, RATE_LIMIT_SESSION_PER_MINUTE: '100000' });
    [a, b] = cluster.instances as [TestServer, TestServer];
    agent = await a.createAgent({ name: 'Pull agent' });
  });
  after(() => cluster?.stop());

  test('a webhook to A reaches an SSE reader on B', async () => {
    const browser = new Browser();
    const { taskId } = (await browser.on(a.url).send(agent.id, 'hi')).body;
    const stream = await openSse(`${b.url}/api/communications/stream?taskId=${taskId}`, browser.headers());
    try {
      assert.equal(stream.status, 200);
      // The first `task` event means B has subscribed and read once: from now on only a wake-up
      // from A can bring the next answer.
      await eventually(() => assert.ok(stream.events.some((e) => e.event === 'task'), `no first event; got ${JSON.stringify(stream.raw())}`), 10_000);
      const fromSend: number[] = [];
      const fromAck: number[] = [];
      for (let i = 0; i < 20; i++) {
        const sentAt = performance.now();
        const answer = await a.webhook({ taskId, response: `answer ${i}`, final: false }, agent.token);
        const ackedAt = performance.now();
        assert.equal(answer.status, 200);
        const got = await eventually(
          () => {
            const responses = stream.events.filter((e) => e.event === 'response');
            assert.equal(responses.length, i + 1);
            return JSON.parse(responses[i]!.data) as Communication;
          },
          5000,
          1,
        );
        const receivedAt = performance.now();
        assert.equal(got.response, `answer ${i}`);
        fromSend.push(receivedAt - sentAt);
        fromAck.push(receivedAt - ackedAt);
      }
      console.log(`# cross-instance SSE (webhook on A → stream on B), from sending the webhook: ${summary(fromSend)}`);
      console.log(`# cross-instance SSE, from A's 2xx: ${summary(fromAck)}`);
    } finally {
      stream.close();
    }
  });

  // Each poll asks for the longest wait (60 s), longer than this test may run: a poll that B's
  // wake-up missed would only end with its wait, after the test has timed out.
  test('a webhook to A wakes a long-poll held by B', { timeout: 30_000 }, async () => {
    const browser = new Browser();
    const onB = browser.on(b.url);
    const { taskId } = (await browser.on(a.url).send(agent.id, 'hi')).body;
    let cursor = 0;
    const fromSend: number[] = [];
    const fromAck: number[] = [];
    for (let i = 0; i < 10; i++) {
      const waiting = onB.responses(taskId, `&after=${cursor}&wait=60`).then((r) => ({ r, at: performance.now() }));
      // B counts a long-poll as connected only once it has subscribed to the task.
      await eventually(async () => assert.equal(await metric(b.url, 'readers_connected', { kind: 'longpoll' }), 1));
      const sentAt = performance.now();
      const answer = await a.webhook({ taskId, response: `answer ${i}`, final: false }, agent.token);
      const ackedAt = performance.now();
      assert.equal(answer.status, 200);
      const { r, at } = await waiting;
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.responses.map((x) => x.response), [`answer ${i}`]);
      cursor = r.body.cursor;
      fromSend.push(at - sentAt);
      fromAck.push(at - ackedAt);
    }
    console.log(`# cross-instance long-poll (webhook on A → long-poll on B), from sending the webhook: ${summary(fromSend)}`);
    console.log(`# cross-instance long-poll, from A's 2xx: ${summary(fromAck)}`);
  });

  type Pulled = { deliveryId: string; event: { messageId: string } };
  const poll = async (puller: AgentCredentials, server: TestServer, wait: number) => {
    const response = await fetch(`${server.url}/api/agent/tasks?wait=${wait}&limit=5`, { headers: { authorization: `Bearer ${puller.token}` } });
    assert.equal(response.status, 200);
    return { tasks: ((await response.json()) as { tasks: Pulled[] }).tasks, at: performance.now() };
  };
  const ack = async (puller: AgentCredentials, server: TestServer, deliveryId: string) => {
    const response = await fetch(`${server.url}/api/agent/tasks/${deliveryId}/ack`, { method: 'POST', headers: { authorization: `Bearer ${puller.token}` } });
    assert.equal(response.status, 200);
  };

  // The poll asks for the longest wait (30 s), longer than this test may run: only B's wake-up can
  // answer it in time.
  test('pull mode: a message sent through A wakes a poll held by B', { timeout: 20_000 }, async () => {
    const puller = await a.createAgent({ name: 'Puller' });
    const waiting = poll(puller, b, 30);
    await eventually(async () => assert.equal(await metric(b.url, 'readers_connected', { kind: 'pull' }), 1));
    const sentAt = performance.now();
    const sent = await new Browser().on(a.url).send(puller.id, 'pull me');
    const { tasks, at } = await waiting;
    assert.deepEqual(tasks.map((t) => t.event.messageId), [sent.body.messageId]);
    console.log(`# cross-instance pull wake-up (message sent on A → poll on B): ${(at - sentAt).toFixed(1)} ms from sending the message`);
    await ack(puller, a, tasks[0]!.deliveryId);
  });

  test('pull mode: pollers on A and B never share a task', async () => {
    const puller = await a.createAgent({ name: 'Puller' });
    // Forty messages, one poller on each instance, each acknowledging through the other one.
    const browser = new Browser();
    const messages = new Set<string>();
    for (let i = 0; i < 40; i++) messages.add((await browser.on(i % 2 === 0 ? a.url : b.url).send(puller.id, `task ${i}`)).body.messageId);
    const pulled: Array<{ by: string; messageId: string }> = [];
    const poller = async (server: TestServer, other: TestServer, name: string): Promise<void> => {
      const deadline = Date.now() + 20_000;
      while (new Set(pulled.map((p) => p.messageId)).size < messages.size && Date.now() < deadline) {
        for (const task of (await poll(puller, server, 1)).tasks) {
          pulled.push({ by: name, messageId: task.event.messageId });
          await ack(puller, other, task.deliveryId);
        }
      }
    };
    await Promise.all([poller(a, b, 'A'), poller(b, a, 'B')]);
    assert.deepEqual(pulled.map((p) => p.messageId).sort(), [...messages].sort(), 'every task was pulled exactly once');
    console.log(`# pulled by A: ${pulled.filter((p) => p.by === 'A').length}, by B: ${pulled.filter((p) => p.by === 'B').length}`);
  });

  test('a session created on A reads and writes on B; another session gets 404 on B', async () => {
    const browser = new Browser();
    const onA = browser.on(a.url);
    const onB = browser.on(b.url);
    const sent = await onA.send(agent.id, 'first, through A');
    assert.equal(sent.status, 201);
    const cookie = browser.cookie;
    assert.match(cookie, /^wc_session=.{32,}/);

    // B knows the session without any shared secret: the task row holds the cookie's hash.
    const read = await onB.responses(sent.body.taskId);
    assert.equal(read.status, 200);
    assert.equal(read.body.taskId, sent.body.taskId);
    assert.deepEqual(read.body.task.turns.map((t) => t.messageId), [sent.body.messageId]);

    // Continuing the task through B: accepted as the same session, and B sets no new cookie.
    const raw = await onB.request('POST', '/api/tasks/assign-user-task', { agentId: agent.id, message: 'second, through B', taskId: sent.body.taskId });
    assert.equal(raw.status, 201, await raw.clone().text());
    assert.deepEqual(raw.headers.getSetCookie(), []);
    assert.equal(browser.cookie, cookie);

    const stream = await openSse(`${b.url}/api/communications/stream?taskId=${sent.body.taskId}`, browser.headers());
    try {
      assert.equal(stream.status, 200);
      const answer = await a.webhook({ taskId: sent.body.taskId, response: 'answered through A' }, agent.token);
      assert.equal(answer.status, 200);
      await eventually(() => assert.ok(stream.events.some((e) => e.event === 'response' && e.data.includes('answered through A')), 'answer reached B'));
    } finally {
      stream.close();
    }
    const back = await onA.responses(sent.body.taskId);
    assert.deepEqual(back.body.responses.map((r) => r.response), ['answered through A']);
    assert.equal(back.body.task.turns.length, 2);

    // A stranger with a session of its own, made by B, sees nothing of it on B.
    const stranger = new Browser();
    const strangerOnB = stranger.on(b.url);
    assert.equal((await strangerOnB.request('GET', '/api/agents')).status, 200);
    assert.match(stranger.cookie, /^wc_session=/);
    assert.notEqual(stranger.cookie, cookie);
    const foreign = await strangerOnB.responses(sent.body.taskId);
    assert.equal(foreign.status, 404);
    assert.deepEqual((foreign.body as unknown as { error: { code: string } }).error.code, 'TASK_NOT_FOUND');
    const foreignStream = await fetch(`${b.url}/api/communications/stream?taskId=${sent.body.taskId}`, { headers: stranger.headers() });
    assert.equal(foreignStream.status, 404);
    await foreignStream.body?.cancel();
    const foreignWrite = await strangerOnB.send(agent.id, 'hijack', { taskId: sent.body.taskId });
    assert.equal(foreignWrite.status, 404);
    const anonymous = await fetch(`${b.url}/api/communications/get-responses?taskId=${sent.body.taskId}`);
    assert.equal(anonymous.status, 404);
    await anonymous.body?.cancel();
  });

  test('a token revoked on A stops working on B within the token cache time', async () => {
    const other = await a.createAgent({ name: 'Rotating agent' });
    const browser = new Browser();
    const { taskId } = (await browser.on(a.url).send(other.id, 'hi')).body;
    // B has seen the old token, so it may have cached it.
    assert.equal((await b.webhook({ taskId, response: 'old token', final: false }, other.token)).status, 200);
    const rotated = await fetch(`${a.url}/api/agents/${other.id}/rotate?graceSeconds=0`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.adminToken}` },
    });
    assert.equal(rotated.status, 200);
    const fresh = (await rotated.json()) as AgentCredentials;
    assert.equal((await b.webhook({ taskId, response: 'new token', final: false }, fresh.token)).status, 200);
    const revokedAt = Date.now();
    await eventually(async () => {
      const response = await b.webhook({ taskId, response: 'old token again', final: false, messageId: 'old-again' }, other.token);
      assert.equal(response.status, 401);
    }, 5000, 100);
    console.log(`# revoked token refused by B ${Date.now() - revokedAt} ms after the rotation on A`);
  });

  test('a signing secret rotated on A: the new one works on B at once, the revoked one stops within the cache time', async () => {
    const other = await a.createAgent({ name: 'Signing agent' });
    const browser = new Browser();
    const { taskId } = (await browser.on(a.url).send(other.id, 'hi')).body;
    let n = 0;
    const signed = (server: TestServer, secret: string): Promise<Response> => {
      const id = `wh_rotation_${++n}`;
      const at = new Date();
      const body = JSON.stringify({ taskId, response: `signed ${n}`, final: false });
      return fetch(`${server.url}/api/communications/webhook-response`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, at, body) },
        body,
      });
    };
    // B has verified with the old secret, so it may have the agent cached.
    assert.equal((await signed(b, other.signingSecret)).status, 200);
    const rotated = await fetch(`${a.url}/api/agents/${other.id}/rotate?graceSeconds=0`, { method: 'POST', headers: { authorization: `Bearer ${a.adminToken}` } });
    assert.equal(rotated.status, 200);
    const fresh = (await rotated.json()) as AgentCredentials;
    assert.equal((await signed(b, fresh.signingSecret)).status, 200, 'the new secret works on B at once');
    const revokedAt = Date.now();
    await eventually(async () => assert.equal((await signed(b, other.signingSecret)).status, 401), 5000, 100);
    console.log(`# revoked secret refused by B ${Date.now() - revokedAt} ms after the rotation on A`);
  });

  test('the shared outbox delivers each of 200 messages exactly once, in one successful attempt', async (t) => {
    const endpoint = await startAgentServer({ status: 200, delayMs: 5 });
    t.after(() => endpoint.close());
    const pushAgent = await b.createAgent({ name: 'Push agent', endpointUrl: endpoint.url });
    const deliveredBefore = await Promise.all([a, b].map((s) => metric(s.url, 'deliveries_total', { outcome: 'delivered' })));

    // Ten browsers each send twenty messages, alternating between the instances, ten at a time.
    const sent = new Set<string>();
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const browser = new Browser();
        for (let j = 0; j < 20; j++) {
          const via = (i + j) % 2 === 0 ? a : b;
          const result = await browser.on(via.url).send(pushAgent.id, `message ${i}.${j}`);
          assert.equal(result.status, 201);
          sent.add(result.body.messageId);
        }
      }),
    );
    assert.equal(sent.size, 200);

    // Done when the outbox has recorded every delivery: after that nothing can be sent again.
    type Row = { id: string; messageId: string; state: string; attempts: number };
    const rows = await eventually(
      async () => {
        const listed = await fetch(`${a.url}/api/admin/deliveries?agentId=${pushAgent.id}&limit=500`, {
          headers: { authorization: `Bearer ${a.adminToken}` },
        });
        const { deliveries } = (await listed.json()) as { deliveries: Row[] };
        assert.equal(deliveries.length, 200);
        assert.deepEqual(deliveries.filter((d) => d.state !== 'delivered'), []);
        return deliveries;
      },
      30_000,
      100,
    );
    assert.deepEqual(rows.filter((d) => d.attempts !== 1).map((d) => d.id), [], 'every delivery took exactly one attempt');

    const byMessage = new Map<string, number>();
    const byWebhookId = new Map<string, number>();
    const verifier = new Webhook(pushAgent.signingSecret);
    for (const received of endpoint.received) {
      byMessage.set(received.body.messageId, (byMessage.get(received.body.messageId) ?? 0) + 1);
      const id = String(received.headers['webhook-id']);
      byWebhookId.set(id, (byWebhookId.get(id) ?? 0) + 1);
      verifier.verify(received.raw, received.headers as Record<string, string>);
      assert.equal(received.body.responseUrl, `${PUBLIC_URL}/api/communications/webhook-response`);
    }
    assert.equal(endpoint.received.length, 200, 'no message was sent twice');
    assert.deepEqual([...byMessage.keys()].sort(), [...sent].sort(), 'every message was received');
    assert.deepEqual([...byMessage.values()].filter((n) => n !== 1), []);
    assert.deepEqual([...byWebhookId.keys()].sort(), rows.map((d) => d.id).sort(), 'each webhook-id is a delivery ID');
    assert.deepEqual([...byWebhookId.values()].filter((n) => n !== 1), []);

    const deliveredAfter = await Promise.all([a, b].map((s) => metric(s.url, 'deliveries_total', { outcome: 'delivered' })));
    const split = deliveredAfter.map((n, i) => n - (deliveredBefore[i] ?? 0));
    console.log(`# deliveries sent by A: ${split[0]}, by B: ${split[1]}`);
    assert.equal((split[0] ?? 0) + (split[1] ?? 0), 200);
  });
});
