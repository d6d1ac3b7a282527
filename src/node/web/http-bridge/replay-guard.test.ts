import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplayGuard } from './replay-guard.js';

describe('ReplayGuard', () => {
  it('admits an identity once and refuses it again until it expires', () => {
    let now = 1_000;
    const guard = new ReplayGuard(10, () => now);
    assert.equal(guard.admit('k\n1', 21_000), 'fresh');
    assert.equal(guard.admit('k\n2', 21_000), 'fresh');
    now = 20_999;
    assert.equal(guard.admit('k\n1', 40_999), 'replayed');
    now = 21_000;
    assert.equal(guard.admit('k\n1', 41_000), 'fresh');
    assert.equal(guard.size, 1, 'expired entries are dropped');
  });

  it('refuses new identities when full of live ones, rather than forgetting one', () => {
    let now = 0;
    const guard = new ReplayGuard(2, () => now);
    assert.equal(guard.admit('a', 1_000), 'fresh');
    assert.equal(guard.admit('b', 1_500), 'fresh');
    assert.equal(guard.admit('c', 2_000), 'full');
    assert.equal(guard.admit('a', 2_000), 'replayed');
    now = 1_000; // "a" expired, "b" still lives
    assert.equal(guard.admit('c', 2_000), 'fresh');
    assert.equal(guard.admit('b', 2_000), 'replayed');
    assert.equal(guard.size, 2);
  });

  it('sweeps expired entries behind a long-lived one when full', () => {
    let now = 0;
    const guard = new ReplayGuard(3, () => now);
    guard.admit('future-dated', 10_000);
    guard.admit('b', 100);
    guard.admit('c', 100);
    now = 200;
    assert.equal(guard.admit('d', 300), 'fresh');
    assert.equal(guard.admit('future-dated', 10_000), 'replayed');
  });
});
