/** The in-process broker: wakes subscribers of a topic, and only them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalBroker } from '../../src/events/local.js';

test('publish wakes each subscriber of the topic once, and no one else', async (t) => {
  const broker = new LocalBroker();
  t.after(() => broker.close());
  const woken: string[] = [];
  broker.subscribe('task:1', () => woken.push('a'));
  broker.subscribe('task:1', () => woken.push('b'));
  broker.subscribe('task:2', () => woken.push('other'));
  await broker.publish('task:1');
  assert.deepEqual(woken, ['a', 'b']);
  assert.equal(broker.subscriberCount(), 3);
});

test('unsubscribe stops the wakes, is idempotent, and keeps the count right', async (t) => {
  const broker = new LocalBroker();
  t.after(() => broker.close());
  let wakes = 0;
  const unsubscribe = broker.subscribe('agent:x', () => wakes++);
  await broker.publish('agent:x');
  unsubscribe();
  unsubscribe();
  await broker.publish('agent:x');
  assert.equal(wakes, 1);
  assert.equal(broker.subscriberCount(), 0);
  assert.deepEqual(broker.topics(), []);
});

test('a throwing subscriber does not stop the others; wakeAll wakes every topic', async (t) => {
  const broker = new LocalBroker();
  t.after(() => broker.close());
  const woken: string[] = [];
  broker.subscribe('task:1', () => {
    throw new Error('faulty waiter');
  });
  broker.subscribe('task:1', () => woken.push('task:1'));
  broker.subscribe('agent:2', () => woken.push('agent:2'));
  await broker.publish('task:1');
  broker.wakeAll();
  assert.deepEqual(woken, ['task:1', 'task:1', 'agent:2']);
});

test('a subscriber that unsubscribes while being woken does not disturb the others', async (t) => {
  const broker = new LocalBroker();
  t.after(() => broker.close());
  const woken: string[] = [];
  const first = broker.subscribe('task:1', () => {
    woken.push('first');
    first();
  });
  broker.subscribe('task:1', () => woken.push('second'));
  await broker.publish('task:1');
  await broker.publish('task:1');
  assert.deepEqual(woken, ['first', 'second', 'second']);
});

test('a hint reaches every subscriber of the topic as published; a publish without one wakes with none', async () => {
  const broker = new LocalBroker();
  const heard: Array<string | undefined> = [];
  broker.subscribe('task:1', (hint) => heard.push(hint));
  broker.subscribe('task:1', (hint) => heard.push(hint));
  await broker.publish('task:1', '{"seq":3}');
  await broker.publish('task:1');
  assert.deepEqual(heard, ['{"seq":3}', '{"seq":3}', undefined, undefined]);
});

test('a hint given as a function is made once for all subscribers, and never for a topic nobody reads', async () => {
  const broker = new LocalBroker();
  let made = 0;
  const hint = () => {
    made++;
    return '{"seq":4}';
  };
  await broker.publish('task:nobody', hint);
  assert.equal(made, 0);
  const heard: Array<string | undefined> = [];
  broker.subscribe('task:1', (h) => heard.push(h));
  broker.subscribe('task:1', (h) => heard.push(h));
  await broker.publish('task:1', hint);
  assert.equal(made, 1);
  assert.deepEqual(heard, ['{"seq":4}', '{"seq":4}']);
});

test('a topic goes from one subscriber to several and back (the broker keeps a lone subscriber without a Set)', async (t) => {
  const broker = new LocalBroker();
  t.after(() => broker.close());
  const woken: string[] = [];
  const wake = (name: string) => () => woken.push(name);
  const a = broker.subscribe('task:1', wake('a'));
  await broker.publish('task:1');
  const b = broker.subscribe('task:1', wake('b'));
  const c = broker.subscribe('task:1', wake('c'));
  await broker.publish('task:1');
  a();
  c();
  await broker.publish('task:1');
  const d = broker.subscribe('task:1', wake('d'));
  await broker.publish('task:1');
  b();
  d();
  await broker.publish('task:1');
  assert.deepEqual(woken, ['a', 'a', 'b', 'c', 'b', 'b', 'd']);
  assert.equal(broker.subscriberCount(), 0);
  assert.deepEqual(broker.topics(), []);
});

test('the same function subscribed twice to a topic is woken once per publish, and both unsubscribes count', async (t) => {
  const broker = new LocalBroker();
  t.after(() => broker.close());
  let wakes = 0;
  const wake = (): void => {
    wakes++;
  };
  const first = broker.subscribe('task:1', wake);
  const second = broker.subscribe('task:1', wake);
  await broker.publish('task:1');
  assert.equal(wakes, 1);
  assert.equal(broker.subscriberCount(), 2);
  first();
  second();
  await broker.publish('task:1');
  assert.equal(wakes, 1);
  assert.equal(broker.subscriberCount(), 0);
  assert.deepEqual(broker.topics(), []);
});
