import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExpiryHeap } from './expiry-heap.js';

describe('ExpiryHeap', () => {
  it('gives items back soonest first, only once they have expired', () => {
    const heap = new ExpiryHeap<number>((at) => at);
    // A fixed shuffle of 0..199, each twice (equal times).
    const times = Array.from({ length: 400 }, (_, index) => (index * 73) % 200);
    for (const at of times) heap.push(at);
    assert.equal(heap.takeExpired(-1), undefined);
    const taken: number[] = [];
    for (let at = heap.takeExpired(99); at !== undefined; at = heap.takeExpired(99)) taken.push(at);
    assert.deepEqual(taken, Array.from({ length: 200 }, (_, index) => index >> 1));
    assert.equal(heap.size, 200);
    for (let at = heap.takeExpired(1_000); at !== undefined; at = heap.takeExpired(1_000)) taken.push(at);
    assert.deepEqual(taken, Array.from({ length: 400 }, (_, index) => index >> 1));
    assert.equal(heap.size, 0);
  });

  it('keeps only the items still wanted, soonest first', () => {
    const heap = new ExpiryHeap<number>((at) => at);
    for (const at of [5, 1, 9, 3, 8, 2]) heap.push(at);
    heap.keepOnly((at) => at % 2 === 1);
    assert.equal(heap.size, 4);
    heap.push(4);
    assert.deepEqual([1, 2, 3, 4, 5].map(() => heap.takeExpired(100)), [1, 3, 4, 5, 9]);
  });
});
