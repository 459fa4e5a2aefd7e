/**
 * LISTEN/NOTIFY between instances: a publish on one broker wakes subscribers on every broker of
 * the database, exactly once each, and a broker whose connection drops heals itself and then wakes
 * everyone, since it may have missed something meanwhile.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { Broker, Topic } from '../../src/events/broker.js';
import { PostgresBroker } from '../../src/events/postgres.js';
import { postgresSkip, startPostgres, type PostgresServer } from '../support/postgres.js';

/** Resolves on the next wake of `topic`; the subscription ends with it. */
function nextWake(broker: Broker, topic: Topic): Promise<void> {
  return new Promise((resolve) => {
    const unsubscribe = broker.subscribe(topic, () => {
      unsubscribe();
      resolve();
    });
  });
}

/** Counts wakes of `topic` for the rest of the test. */
function counter(t: TestContext, broker: Broker, topic: Topic): { readonly count: number } {
  const state = { count: 0 };
  t.after(broker.subscribe(topic, () => state.count++));
  return state;
}

/**
 * Waits until `to` has received everything `from` published so far: NOTIFYs reach a listener in
 * commit order, so once a fresh sentinel arrives, any earlier notification has arrived too.
 */
async function drained(from: Broker, to: Broker): Promise<void> {
  const sentinel: Topic = `task:sentinel-${Math.random()}`;
  const woken = nextWake(to, sentinel);
  await from.publish(sentinel);
  await woken;
}

describe('PostgresBroker', { skip: postgresSkip(), timeout: 30_000 }, () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres();
  });
  after(() => server.stop());

  let channels = 0;
  /** Brokers sharing a channel of their own, so that tests cannot hear each other. */
  async function brokers(t: TestContext, n: number): Promise<{ list: PostgresBroker[]; errors: Error[] }> {
    const url = server.url;
    const channel = `test_${++channels}`;
    const errors: Error[] = [];
    const list: PostgresBroker[] = [];
    for (let i = 0; i < n; i++) {
      const broker = new PostgresBroker({ url, channel, reconnectMinDelayMs: 20, reconnectMaxDelayMs: 200, onError: (e) => errors.push(e) });
      t.after(() => broker.close());
      await broker.start();
      list.push(broker);
    }
    return { list, errors };
  }

  test('a publish on A wakes subscribers on B, and A\'s own subscribers exactly once', async (t) => {
    const { list: [a, b] } = await brokers(t, 2);
    assert.ok(a && b);
    const onA = counter(t, a, 'task:1');
    const onB = counter(t, b, 'task:1');
    const other = counter(t, b, 'task:2');
    const woken = nextWake(b, 'task:1');
    await a.publish('task:1');
    await woken;
    await drained(a, a); // A's own NOTIFY has come back to A by now, and must have been ignored
    await drained(a, b);
    assert.equal(onA.count, 1);
    assert.equal(onB.count, 1);
    assert.equal(other.count, 0);
  });

  test('hints travel with the wake-up; one too large for a NOTIFY, or two for one topic in a batch, is dropped, never the wake-up', async (t) => {
    const { list: [a, b] } = await brokers(t, 2);
    assert.ok(a && b);
    const heard: Array<[string, string | undefined]> = [];
    for (const topic of ['task:h1', 'task:h2', 'task:h3'] as const) t.after(b.subscribe(topic, (hint) => heard.push([topic, hint])));
    const local: Array<string | undefined> = [];
    t.after(a.subscribe('task:h3', (hint) => local.push(hint)));

    // Given as a function and with no subscriber on this instance: still made, for the others.
    await a.publish('task:h1', () => '{"seq":7,"text":"héllo wörld"}');
    await a.publish('task:h2', 'x'.repeat(9000));
    // Published in one tick: they share a NOTIFY batch, and which hint is newest is not known there.
    await Promise.all([a.publish('task:h3', 'first'), a.publish('task:h3', 'second')]);
    await drained(a, b);
    assert.deepEqual(heard, [
      ['task:h1', '{"seq":7,"text":"héllo wörld"}'],
      ['task:h2', undefined],
      ['task:h3', undefined],
    ]);
    assert.deepEqual(local, ['first', 'second'], 'local subscribers hear every hint at once');
  });

  test('many concurrent publishes all arrive', async (t) => {
    const { list: [a, b] } = await brokers(t, 2);
    assert.ok(a && b);
    const topics = Array.from({ length: 200 }, (_, i): Topic => (i % 2 ? `task:${i}` : `agent:${i}`));
    const arrivals = Promise.all(topics.map((topic) => nextWake(b, topic)));
    await Promise.all(topics.map((topic) => a.publish(topic)));
    await arrivals;
  });

  test('unsubscribe stops remote wakes and updates subscriberCount', async (t) => {
    const { list: [a, b] } = await brokers(t, 2);
    assert.ok(a && b);
    let wakes = 0;
    const unsubscribe = b.subscribe('agent:x', () => wakes++);
    assert.equal(b.subscriberCount(), 1);
    const first = nextWake(b, 'agent:x');
    await a.publish('agent:x');
    await first;
    unsubscribe();
    assert.equal(b.subscriberCount(), 0);
    await a.publish('agent:x');
    await drained(a, b);
    assert.equal(wakes, 1);
  });

  test('when its connection is killed the listener reconnects, wakes everyone, and hears later publishes', async (t) => {
    const { list: [a, b], errors } = await brokers(t, 2);
    assert.ok(a && b);
    const wakeAll = Promise.all([nextWake(b, 'task:1'), nextWake(b, 'agent:2')]);
    assert.equal(await server.terminateBackends('webhook-chat-listen'), 2);
    await wakeAll; // nobody published: these wakes come from the reconnect
    assert.ok(b.listening);
    assert.ok(b.reconnects >= 1);
    assert.ok(errors.length >= 1, 'the drop was reported through onError');
    const later = nextWake(b, 'task:3');
    await a.publish('task:3');
    await later;
  });

  test('through a server restart: publishes never throw, local wakes continue, and remote ones resume', async (t) => {
    const { list: [a, b], errors } = await brokers(t, 2);
    assert.ok(a && b);
    const afterRestart = nextWake(b, 'task:1');
    await server.stopServer();
    t.after(() => server.startServer());

    const local = nextWake(a, 'task:9');
    await a.publish('task:9'); // resolves, does not throw, although the NOTIFY cannot be sent
    await local;
    assert.ok(errors.length > 0);

    await server.startServer();
    await afterRestart; // the reconnect's wakeAll
    // The publisher pool reconnects on demand; the listener of B is already back.
    const remote = nextWake(b, 'task:5');
    await a.publish('task:5');
    await remote;
  });

  test('start rejects when the database is unreachable; close is safe and final', async (t) => {
    const unreachable = new PostgresBroker({ url: 'postgres://postgres@127.0.0.1:1/postgres', connectionTimeoutMillis: 500 });
    await assert.rejects(unreachable.start());
    await unreachable.close();

    const { list: [a] } = await brokers(t, 1);
    assert.ok(a);
    await a.close();
    await a.close();
    await a.publish('task:1'); // after close: a no-op, not an error
    assert.equal(a.subscriberCount(), 0);
  });
});
