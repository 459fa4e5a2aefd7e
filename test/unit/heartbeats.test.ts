/**
 * Heartbeats are spread over the interval: with N streams and B buckets, one tick writes at most
 * ceil(N / B) heartbeats, and every stream gets exactly one heartbeat per interval. Driven by
 * node:test's mock timers, so no real time passes.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { Heartbeats, type Beating } from '../../src/http/sse/heartbeats.js';

/** A stream that counts its heartbeats, and writes into one log shared by all streams. */
function streams(count: number, log: number[]): Array<Beating & { beats: number }> {
  return Array.from({ length: count }, (_, id) => {
    const stream = {
      beats: 0,
      heartbeat() {
        stream.beats++;
        log.push(id);
      },
    };
    return stream;
  });
}

describe('Heartbeats', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval'] }));
  afterEach(() => mock.timers.reset());

  for (const [count, buckets] of [[25, 10], [10_000, 50], [7, 10], [1, 50]] as const) {
    test(`${count} streams over ${buckets} buckets: at most ceil(N/B) per tick, one each per interval`, () => {
      const intervalMs = 15_000;
      const tickMs = intervalMs / buckets;
      const heartbeats = new Heartbeats(intervalMs, buckets);
      const log: number[] = [];
      const all = streams(count, log);
      for (const stream of all) heartbeats.add(stream);
      const perTick = Math.ceil(count / buckets);
      try {
        for (let interval = 1; interval <= 3; interval++) {
          for (let tick = 0; tick < buckets; tick++) {
            const before = log.length;
            mock.timers.tick(tickMs);
            assert.ok(log.length - before <= perTick, `${log.length - before} heartbeats in one tick, more than ${perTick}`);
          }
          assert.deepEqual(new Set(all.map((s) => s.beats)), new Set([interval]), `after interval ${interval}`);
        }
      } finally {
        heartbeats.stop();
      }
    });
  }

  test('a removed stream gets no more heartbeats (removing twice is harmless), and stop() ends them all', () => {
    const heartbeats = new Heartbeats(1000, 10);
    const log: number[] = [];
    const [kept, removed] = streams(2, log) as [Beating & { beats: number }, Beating & { beats: number }];
    heartbeats.add(kept);
    const bucket = heartbeats.add(removed);
    mock.timers.tick(1000);
    assert.deepEqual([kept.beats, removed.beats], [1, 1]);
    heartbeats.remove(removed, bucket);
    heartbeats.remove(removed, bucket);
    mock.timers.tick(1000);
    assert.deepEqual([kept.beats, removed.beats], [2, 1]);
    heartbeats.stop();
    mock.timers.tick(5000);
    assert.deepEqual([kept.beats, removed.beats], [2, 1]);
  });

  test('an interval that the buckets do not divide still beats every stream at least once per interval', () => {
    const intervalMs = 1001;
    const heartbeats = new Heartbeats(intervalMs, 50);
    const all = streams(120, []);
    for (const stream of all) heartbeats.add(stream);
    try {
      for (let interval = 1; interval <= 5; interval++) {
        mock.timers.tick(intervalMs);
        for (const stream of all) assert.ok(stream.beats >= interval, `${stream.beats} heartbeats after ${interval} intervals`);
      }
    } finally {
      heartbeats.stop();
    }
  });
});
