import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CookiesPerIdentity, identityOf } from './per-identity.js';

describe('the cookies counted per identity', () => {
  it('past the bound, returns the identity\'s oldest live keys; other identities are untouched', () => {
    const counted = new CookiesPerIdentity();
    const joe = identityOf('realm1', 'joe');
    assert.deepEqual(counted.bind(identityOf('realm1', 'ann'), 'a1', 100, 0, 2, 10), []);
    assert.deepEqual(counted.bind(joe, 'j1', 100, 0, 2, 10), []);
    assert.deepEqual(counted.bind(joe, 'j2', 100, 0, 2, 10), []);
    assert.deepEqual(counted.bind(joe, 'j3', 100, 0, 2, 10), ['j1']);
    assert.deepEqual(counted.bind(joe, 'j2', 100, 0, 2, 10), [], 'a key bound again is counted once');
    assert.equal(counted.size, 3);
  });

  it('an authid is counted per realm; an expired key is not returned, only no longer counted', () => {
    const counted = new CookiesPerIdentity();
    counted.bind(identityOf('realm1', 'joe'), 'old', 10, 0, 1, 10);
    assert.deepEqual(counted.bind(identityOf('realm2', 'joe'), 'other', 100, 0, 1, 10), []);
    assert.deepEqual(counted.bind(identityOf('realm1', 'joe'), 'new', 100, 20, 1, 10), [], 'old expired at 10');
    assert.equal(counted.size, 2);
  });

  it('a key bound to another identity moves to it; a removed key no longer counts', () => {
    const counted = new CookiesPerIdentity();
    counted.bind(identityOf('r', 'joe'), 'k', 100, 0, 1, 10);
    counted.bind(identityOf('r', 'ann'), 'k', 100, 0, 1, 10);
    assert.deepEqual(counted.bind(identityOf('r', 'joe'), 'j', 100, 0, 1, 10), [], 'k is ann\'s now');
    counted.remove('j');
    assert.deepEqual(counted.bind(identityOf('r', 'joe'), 'j2', 100, 0, 1, 10), []);
  });

  it('holds at most maxKeys keys: the oldest stops being counted (it is not returned for dropping)', () => {
    const counted = new CookiesPerIdentity();
    for (let i = 0; i < 5; i++) assert.deepEqual(counted.bind(identityOf('r', `u${i}`), `k${i}`, 100, 0, 1, 3), []);
    assert.equal(counted.size, 3);
  });
});
