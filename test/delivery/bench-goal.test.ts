/** The delivery benchmark passes only when every seeded task arrived, however fast the rest came. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deliveryGoalMet } from '../../bench/delivery.js';

test('the delivery goal needs ≥ 2,000/s and all tasks delivered', () => {
  assert.equal(deliveryGoalMet(2500, 20_000, 20_000), true);
  assert.equal(deliveryGoalMet(2500, 19_999, 20_000), false, 'a task missing is a miss');
  assert.equal(deliveryGoalMet(1999, 20_000, 20_000), false);
  assert.equal(deliveryGoalMet(null, 0, 20_000), null, 'no rate, no verdict');
});
