import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PublishRate, TokenBucket } from './publish-rate.js';

describe('TokenBucket', () => {
  it('starts full, spends one token per take, and refills at its rate up to its burst', () => {
    const bucket = new TokenBucket(10, 2, 0);
    assert.deepEqual([bucket.take(0), bucket.take(0), bucket.take(0)], [true, true, false]);
    assert.equal(bucket.take(50), false, 'half a token is not enough');
    assert.equal(bucket.take(100), true, '100 ms at 10/s refills one token');
    assert.equal(bucket.take(100), false);
    // A long pause fills the bucket to its burst, not beyond.
    assert.deepEqual([bucket.take(60_000), bucket.take(60_000), bucket.take(60_000)], [true, true, false]);
  });

  it('keeps fractions of a token between takes', () => {
    const bucket = new TokenBucket(3, 1, 0);
    assert.equal(bucket.take(0), true);
    // 3/s: a token every 333.3 ms; three refusals at 100 ms steps do not lose the time they saw.
    assert.deepEqual([bucket.take(100), bucket.take(200), bucket.take(300)], [false, false, false]);
    assert.equal(bucket.take(334), true);
  });
});

describe('PublishRate warnings', () => {
  it('asks for one warning per 10 s, with the number refused since the last one', () => {
    const rate = new PublishRate(1, 1, 0);
    assert.equal(rate.refused(0), 1, 'the first refusal warns at once');
    assert.equal(rate.refused(1_000), undefined);
    assert.equal(rate.refused(9_999), undefined);
    assert.equal(rate.refused(10_000), 3, 'the next warning counts every refusal since the last');
    assert.equal(rate.refused(10_001), undefined);
  });
});
