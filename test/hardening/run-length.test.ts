// The proofs' run lengths (CRASH_ITERATIONS, FUZZ_REQUESTS) can be raised from the environment but
// never lowered below what the proofs promise.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runLength } from './helpers.js';

it('uses the default when unset or not a number, a higher setting as given, and never less than the minimum', () => {
  assert.equal(runLength(undefined, 6, 5), 6);
  assert.equal(runLength('', 6, 5), 6);
  assert.equal(runLength('many', 2400, 2000), 2400);
  assert.equal(runLength('50', 6, 5), 50);
  assert.equal(runLength('10000', 2400, 2000), 10_000);
  assert.equal(runLength('1', 6, 5), 5);
  assert.equal(runLength('0', 2400, 2000), 2000);
  assert.equal(runLength('-3', 6, 5), 5);
  assert.equal(runLength('100', 2400, 2000), 2000);
});
