import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TapBuffer, type TapEvent } from './tap-buffer.js';

const event = (n: number): TapEvent => ({ at: n, topic: 'chat.room1', args: [n], kwargs: {} });

describe('TapBuffer', () => {
  it('keeps the newest events up to its capacity and counts what it dropped', () => {
    const buffer = new TapBuffer(3);
    for (let n = 1; n <= 5; n++) buffer.push(event(n));
    assert.equal(buffer.size, 3);
    assert.deepEqual(buffer.newest(10).map((e) => e.args[0]), [5, 4, 3]);
    assert.deepEqual(buffer.newest(2).map((e) => e.args[0]), [5, 4]);
    assert.equal(buffer.received, 5);
    assert.equal(buffer.dropped, 2);
  });

  it('stays bounded under a long burst', () => {
    const buffer = new TapBuffer(1000);
    for (let n = 0; n < 50_000; n++) buffer.push(event(n));
    assert.equal(buffer.size, 1000);
    assert.equal(buffer.dropped, 49_000);
    assert.equal(buffer.newest(1)[0]!.args[0], 49_999);
  });

  it('skips events while paused and starts over on clear', () => {
    const buffer = new TapBuffer(10);
    buffer.push(event(1));
    buffer.paused = true;
    buffer.push(event(2));
    assert.equal(buffer.skipped, 1);
    assert.equal(buffer.size, 1);
    buffer.paused = false;
    buffer.clear();
    assert.equal(buffer.size, 0);
    assert.equal(buffer.received, 0);
    buffer.push(event(3));
    assert.deepEqual(buffer.newest(5).map((e) => e.args[0]), [3]);
  });
});
