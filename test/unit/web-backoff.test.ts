// The chat page's retry delays (web/src/lib/backoff.ts): doubling from 0.5 s, capped at 5 s,
// with ±20 % jitter so many tabs don't retry in step.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from '../../web/src/lib/backoff.js';

const SAMPLES = 500;

function samples(attempt: number): number[] {
  return Array.from({ length: SAMPLES }, () => backoffDelay(attempt));
}

describe('backoffDelay', () => {
  const bases: Array<[number, number]> = [
    [0, 500],
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 5000],
    [5, 5000],
    [50, 5000],
    [10_000, 5000],
  ];
  for (const [attempt, base] of bases) {
    it(`attempt ${attempt} waits ${base} ms ± 20 %`, () => {
      for (const delay of samples(attempt)) {
        assert.ok(Number.isInteger(delay), `${delay} is whole milliseconds`);
        assert.ok(delay >= base * 0.8 && delay <= base * 1.2, `${delay} is within ${base} ± 20 %`);
      }
    });
  }

  it('treats a negative attempt as the first', () => {
    for (const delay of samples(-3)) assert.ok(delay >= 400 && delay <= 600, String(delay));
  });

  it('jitters: retries from many tabs spread out', () => {
    const delays = samples(3);
    assert.ok(new Set(delays).size > 50, 'many different delays');
    assert.ok(Math.min(...delays) < 3600 && Math.max(...delays) > 4400, 'spread across the ±20 % band');
  });

  it('never waits longer than 6 s', () => {
    for (let attempt = 0; attempt < 40; attempt++) assert.ok(backoffDelay(attempt) <= 6000);
  });
});
