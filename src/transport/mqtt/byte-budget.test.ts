import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteBudget, SharedPayloads } from './byte-budget.js';

function budget(limit: number): { budget: ByteBudget; gauge: number[] } {
  const gauge: number[] = [];
  return { budget: new ByteBudget(limit, { set: (value) => void gauge.push(value) }), gauge };
}

describe('ByteBudget', () => {
  it('takes what fits, refuses what does not (taking nothing), and shows what is held on its gauge', () => {
    const { budget: bytes, gauge } = budget(100);
    assert.equal(bytes.take(60), true);
    assert.equal(bytes.take(50), false);
    assert.equal(bytes.used, 60);
    assert.equal(bytes.take(40), true);
    bytes.give(60);
    assert.equal(bytes.used, 40);
    assert.deepEqual(gauge, [60, 100, 40]);
  });

  it('hold() gives back once however often its release is called', () => {
    const { budget: bytes } = budget(100);
    const release = bytes.hold(70)!;
    assert.equal(bytes.hold(40), undefined);
    release();
    release();
    assert.equal(bytes.used, 0);
  });
});

describe('SharedPayloads', () => {
  it('counts a payload once however many hold it, and gives its bytes back with the last holder', () => {
    const { budget: bytes } = budget(150);
    const payloads = new SharedPayloads(bytes);
    const shared = new Uint8Array(100);
    assert.equal(payloads.take(shared), true);
    assert.equal(payloads.take(shared), true, 'a payload already held always fits');
    assert.equal(bytes.used, 100);
    assert.equal(payloads.take(new Uint8Array(100)), false, 'another payload of the same size does not');
    payloads.give(shared);
    assert.equal(bytes.used, 100);
    payloads.give(shared);
    assert.equal(bytes.used, 0);
    payloads.give(shared); // not held any more: nothing to give back
    assert.equal(bytes.used, 0);
  });
});
