/** The delivery settings' defaults, which docs/agents.md promises, and their bounds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.js';

test('DELIVERY_TIMEOUT_MS defaults to 10 s and the retry schedule to 5s,5m,30m,2h,5h,10h', () => {
  const config = loadConfig({});
  assert.equal(config.deliveryTimeoutMs, 10_000);
  assert.deepEqual(config.deliveryRetrySchedule, [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000]);
  assert.equal(config.deliveryConcurrency, 64);
  assert.equal(loadConfig({ DELIVERY_TIMEOUT_MS: '2500' }).deliveryTimeoutMs, 2500);
});

test('a DELIVERY_TIMEOUT_MS that is not a sane number stops start-up, naming the variable', () => {
  for (const value of ['0', 'ten', '-5', '300001']) {
    assert.throws(() => loadConfig({ DELIVERY_TIMEOUT_MS: value }), /DELIVERY_TIMEOUT_MS/, `DELIVERY_TIMEOUT_MS=${value}`);
  }
});
