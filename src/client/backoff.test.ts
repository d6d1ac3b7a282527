import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reconnectPolicy, retryDelay } from './backoff.js';

describe('reconnect backoff', () => {
  const policy = reconnectPolicy({ initialDelay: 100, maxDelay: 1000, growth: 2, jitter: 0 })!;

  it('grows exponentially from initialDelay and stops at maxDelay', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((attempt) => retryDelay(policy, attempt)), [100, 200, 400, 800, 1000, 1000]);
  });

  it('spreads each delay by at most ±jitter, and never past maxDelay', () => {
    const jittery = { ...policy, jitter: 0.5 };
    assert.equal(retryDelay(jittery, 1, () => 0), 50);
    assert.equal(retryDelay(jittery, 1, () => 0.999999), 150);
    assert.equal(retryDelay(jittery, 10, () => 0.999999), 1000);
    assert.equal(retryDelay(jittery, 10, () => 0), 500);
  });

  it('fills defaults, turns off with false, and rejects nonsense', () => {
    assert.equal(reconnectPolicy(false), undefined);
    assert.deepEqual(reconnectPolicy(undefined), reconnectPolicy(true));
    assert.equal(reconnectPolicy({ maxRetries: 3 })!.maxRetries, 3);
    const rule = /reconnect: want 0 <= initialDelay <= maxDelay, growth >= 1, maxRetries >= 0, 0 <= jitter <= 1; got /;
    for (const bad of [{ initialDelay: -1 }, { initialDelay: 10, maxDelay: 5 }, { growth: 0.5 }, { maxRetries: -1 }, { jitter: 2 }, { jitter: Number.NaN }]) {
      assert.throws(() => reconnectPolicy(bad), rule, JSON.stringify(bad));
    }
    assert.throws(() => reconnectPolicy({ initialDelay: -1 }), /"initialDelay":-1/);
  });
});
