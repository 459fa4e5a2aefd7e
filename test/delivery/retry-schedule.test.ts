/** The retry schedule's arithmetic: jitter bounds, the end of the schedule, Retry-After parsing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JITTER, MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelay } from '../../src/delivery/retry-schedule.js';

const SCHEDULE = [5_000, 300_000, 1_800_000];

test('each wait is the scheduled one ±20%, and the schedule ends', () => {
  assert.equal(retryDelay(SCHEDULE, 1, () => 0), 5_000 * (1 - JITTER));
  assert.equal(retryDelay(SCHEDULE, 1, () => 0.5), 5_000);
  assert.equal(retryDelay(SCHEDULE, 2, () => 1), 300_000 * (1 + JITTER));
  for (let i = 0; i < 1000; i++) {
    const wait = retryDelay(SCHEDULE, 3) as number;
    assert.ok(wait >= 1_440_000 && wait <= 2_160_000, `wait ${wait} out of bounds`);
  }
  assert.equal(retryDelay(SCHEDULE, 4), null);
});

test('Retry-After in seconds or as an HTTP date; nonsense is ignored; the wait is capped', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter('Wed, 25 Nov 2026 12:01:30 GMT', now), 90_000);
  assert.equal(parseRetryAfter('Wed, 25 Nov 2026 11:00:00 GMT', now), 0, 'a date in the past means now');
  assert.equal(parseRetryAfter('soon', now), null);
  assert.equal(parseRetryAfter(null, now), null);
  assert.equal(parseRetryAfter('999999999', now), MAX_RETRY_AFTER_MS);
});
