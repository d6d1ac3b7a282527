import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryDelayMs } from './backoff.js';

const schedule = { initialDelayMs: 100, maxDelayMs: 5_000 };

describe('retryDelayMs', () => {
  it('doubles the ceiling with each failure, from initialDelayMs', () => {
    const top = () => 1; // the ceiling itself (Math.random never returns 1, but the bound is what we check)
    assert.deepEqual([1, 2, 3, 4, 5].map((failures) => retryDelayMs(failures, schedule, top)), [200, 400, 800, 1_600, 3_200]);
  });

  it('never waits less than initialDelayMs', () => {
    for (const failures of [1, 2, 5, 10]) assert.equal(retryDelayMs(failures, schedule, () => 0), 100);
  });

  it('caps the delay at maxDelayMs, however many failures', () => {
    assert.equal(retryDelayMs(6, schedule, () => 1), 5_000);
    assert.equal(retryDelayMs(1_000, schedule, () => 0.999_999), 5_000);
    assert.ok(Number.isFinite(retryDelayMs(10_000, schedule, () => 0.5)));
  });

  it('spreads the delay uniformly between the floor and the ceiling', () => {
    assert.equal(retryDelayMs(3, schedule, () => 0.5), 100 + 0.5 * (800 - 100));
    assert.equal(retryDelayMs(3, schedule, () => 0.25), 100 + 0.25 * (800 - 100));
  });

  it('treats a cap below the initial delay as the delay', () => {
    assert.equal(retryDelayMs(1, { initialDelayMs: 1_000, maxDelayMs: 300 }, () => 0.7), 300);
  });

  it('uses Math.random by default and stays within bounds', () => {
    for (let i = 0; i < 200; i++) {
      const delay = retryDelayMs(4, schedule);
      assert.ok(delay >= 100 && delay <= 1_600, `delay ${delay}`);
    }
  });
});
