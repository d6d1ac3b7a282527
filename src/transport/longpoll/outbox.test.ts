import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Outbox } from './outbox.js';

const frame = (size: number, fill = 1): Uint8Array => new Uint8Array(size).fill(fill);

describe('long-poll outbox', () => {
  it('gives messages back one at a time or all at once, in order, and counts bytes', () => {
    const outbox = new Outbox({ bytes: 100, messages: 10 });
    for (let n = 1; n <= 4; n++) assert.equal(outbox.push(frame(n, n)), true);
    assert.equal(outbox.size, 4);
    assert.equal(outbox.bytes, 10);
    assert.deepEqual(outbox.take(false).map((f) => f[0]), [1]);
    assert.equal(outbox.bytes, 9);
    assert.deepEqual(outbox.take(true).map((f) => f[0]), [2, 3, 4]);
    assert.equal(outbox.size, 0);
    assert.equal(outbox.bytes, 0);
    assert.deepEqual(outbox.take(true), []);
  });

  it('refuses the message that would pass the message limit', () => {
    const outbox = new Outbox({ bytes: 1_000, messages: 3 });
    for (let n = 0; n < 3; n++) assert.equal(outbox.push(frame(1)), true);
    assert.equal(outbox.push(frame(1)), false);
    assert.equal(outbox.size, 3);
  });

  it('refuses the message that would pass the byte limit, but takes one large message into an empty outbox', () => {
    const outbox = new Outbox({ bytes: 10, messages: 100 });
    assert.equal(outbox.push(frame(50)), true);
    assert.equal(outbox.push(frame(1)), false);
    outbox.take(true);
    assert.equal(outbox.push(frame(6)), true);
    assert.equal(outbox.push(frame(4)), true);
    assert.equal(outbox.push(frame(1)), false);
  });

  it('stays in order across many single takes (compaction)', () => {
    const outbox = new Outbox({ bytes: 1_000_000, messages: 1_000 });
    const taken: number[] = [];
    for (let round = 0; round < 5; round++) {
      for (let n = 0; n < 100; n++) outbox.push(Uint8Array.of((round * 100 + n) % 256));
      for (let n = 0; n < 90; n++) taken.push(outbox.take(false)[0]![0]!);
    }
    for (const f of outbox.take(true)) taken.push(f[0]!);
    assert.deepEqual(taken, Array.from({ length: 500 }, (_, i) => i % 256));
    assert.equal(outbox.bytes, 0);
  });

  it('clear empties it', () => {
    const outbox = new Outbox({ bytes: 100, messages: 10 });
    outbox.push(frame(5));
    outbox.clear();
    assert.equal(outbox.size, 0);
    assert.equal(outbox.bytes, 0);
  });
});
