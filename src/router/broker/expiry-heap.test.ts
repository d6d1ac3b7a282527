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

  it('holds only the items it is reset to', () => {
    const heap = new ExpiryHeap<{ at: number }>((item) => item.at);
    for (const at of [5, 1, 9, 3]) heap.push({ at });
    heap.reset([{ at: 7 }, { at: 2 }]);
    assert.equal(heap.size, 2);
    assert.deepEqual([heap.takeExpired(10)?.at, heap.takeExpired(10)?.at, heap.takeExpired(10)], [2, 7, undefined]);
  });
});
