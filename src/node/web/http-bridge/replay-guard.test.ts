import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplayGuard } from './replay-guard.js';

describe('ReplayGuard', () => {
  it('admits an identity once and refuses it again within the time window', () => {
    let now = 1_000;
    const guard = new ReplayGuard(20_000, 10, () => now);
    assert.equal(guard.admit('k\n1'), 'fresh');
    assert.equal(guard.admit('k\n2'), 'fresh');
    now += 19_999;
    assert.equal(guard.admit('k\n1'), 'replayed');
  });

  it('forgets an identity once its time is over', () => {
    let now = 0;
    const guard = new ReplayGuard(20_000, 10, () => now);
    guard.admit('a');
    now = 20_000;
    assert.equal(guard.admit('a'), 'fresh');
    assert.equal(guard.size, 1);
  });

  it('refuses new identities when full of live ones, rather than forgetting one', () => {
    let now = 0;
    const guard = new ReplayGuard(1_000, 2, () => now);
    assert.equal(guard.admit('a'), 'fresh');
    now = 500;
    assert.equal(guard.admit('b'), 'fresh');
    assert.equal(guard.admit('c'), 'full');
    assert.equal(guard.admit('a'), 'replayed');
    now = 1_000; // "a" expired, "b" still lives
    assert.equal(guard.admit('c'), 'fresh');
    assert.equal(guard.admit('b'), 'replayed');
    assert.equal(guard.size, 2);
  });
});
