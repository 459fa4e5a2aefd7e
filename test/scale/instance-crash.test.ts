/**
 * One of two instances is killed (SIGKILL): a browser's stream fails over to the other instance
 * and resumes exactly, and the deliveries the dead instance had claimed are sent by the other
 * once their lease ends, with the same webhook-id.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AgentCredentials, Communication } from '../../src/protocol/index.js';
import { startAgentServer } from '../support/agent-server.js';
import { eventually } from '../support/client.js';
import { postgresSkip } from '../support/postgres.js';
import type { TestServer } from '../support/server.js';
import { openSse } from '../support/sse.js';
import { Browser, startCluster, type Cluster } from './cluster.js';

/** With a 1 s attempt timeout the worker's lease is 3 s (2 × timeout + 1 s). */
const DELIVERY_TIMEOUT_MS = 1000;

describe('one instance killed while the other carries on', { skip: postgresSkip(), timeout: 120_000 }, () => {
  let cluster: Cluster;
  let a: TestServer;
  let b: TestServer;
  let agent: AgentCredentials;

  before(async () => {
    cluster = await startCluster(2, { DELIVERY_TIMEOUT_MS: String(DELIVERY_TIMEOUT_MS), DELIVERY_LEASE_MS: '1000' });
    [a, b] = cluster.instances as [TestServer, TestServer];
    agent = await a.createAgent();
  });
  after(() => cluster?.stop());

  test('a stream cut by the kill resumes on the other instance with Last-Event-ID, nothing missed or repeated', async () => {
    const browser = new Browser();
    const { taskId } = (await browser.on(a.url).send(agent.id, 'hi')).body;
    const onA = await openSse(`${a.url}/api/communications/stream?taskId=${taskId}`, browser.headers());
    for (const text of ['one', 'two']) assert.equal((await b.webhook({ taskId, response: text, final: false }, agent.token)).status, 200);
    const seen = await eventually(() => {
      const responses = onA.events.filter((e) => e.event === 'response');
      assert.equal(responses.length, 2);
      return responses;
    });

    await a.kill();
    await onA.ended;
    for (const text of ['three', 'four']) assert.equal((await b.webhook({ taskId, response: text, final: false }, agent.token)).status, 200);
    const onB = await openSse(`${b.url}/api/communications/stream?taskId=${taskId}`, { ...browser.headers(), 'last-event-id': seen.at(-1)!.id! });
    try {
      assert.equal((await b.webhook({ taskId, response: 'five' }, agent.token)).status, 200);
      const texts = await eventually(() => {
        const responses = onB.events.filter((e) => e.event === 'response').map((e) => (JSON.parse(e.data) as Communication).response);
        assert.equal(responses.length, 3);
        return responses;
      });
      assert.deepEqual(texts, ['three', 'four', 'five']);
    } finally {
      onB.close();
      await a.restart();
    }
  });

  test('deliveries claimed by the killed instance are sent by the other after their lease, with the same webhook-id', async (t) => {
    // The endpoint answers slowly, so the deliveries are still in flight when A dies.
    const endpoint = await startAgentServer({ status: 200, delayMs: 600 });
    t.after(() => endpoint.close());
    const pushAgent = await a.createAgent({ name: 'Slow endpoint', endpointUrl: endpoint.url });

    // Only A runs a worker while the messages go out, so only A can have claimed them.
    await b.stop();
    const browser = new Browser();
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) sent.push((await browser.on(a.url).send(pushAgent.id, `message ${i}`)).body.messageId);
    await eventually(() => assert.equal(endpoint.received.length, 10));
    await a.kill();
    const killedAt = Date.now();

    await b.restart();
    const sentAgain = await eventually(() => {
      const messageIds = new Set(endpoint.received.slice(10).map((r) => r.body.messageId));
      assert.equal(messageIds.size, 10);
      return endpoint.received.slice(10);
    }, 20_000, 50);
    console.log(`# B sent the dead instance's deliveries again ${Math.min(...sentAgain.map((r) => r.at)) - killedAt} ms after the kill`);

    const webhookIds = new Map<string, Set<string>>();
    for (const r of endpoint.received) {
      const ids = webhookIds.get(r.body.messageId) ?? new Set<string>();
      ids.add(String(r.headers['webhook-id']));
      webhookIds.set(r.body.messageId, ids);
    }
    assert.deepEqual([...webhookIds.keys()].sort(), [...sent].sort());
    assert.deepEqual([...webhookIds.values()].filter((ids) => ids.size !== 1), [], 'a repeated delivery keeps its webhook-id');
    await eventually(async () => {
      const listed = await fetch(`${b.url}/api/admin/deliveries?agentId=${pushAgent.id}`, { headers: { authorization: `Bearer ${b.adminToken}` } });
      const { deliveries } = (await listed.json()) as { deliveries: Array<{ state: string }> };
      assert.deepEqual(deliveries.map((d) => d.state), Array.from({ length: 10 }, () => 'delivered'));
    }, 10_000, 100);
    await a.restart();
  });
});
