import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_PAYLOAD_CHARS, TapBuffer, tapEvent, type TapEvent } from './tap-buffer.js';

const event = (n: number): TapEvent => tapEvent('chat.room1', [n], {}, undefined, n);
const first = (e: TapEvent): unknown => (JSON.parse(e.args) as unknown[])[0];

describe('TapBuffer', () => {
  it('keeps the newest events up to its capacity and counts what it dropped', () => {
    const buffer = new TapBuffer(3);
    for (let n = 1; n <= 5; n++) buffer.push(event(n));
    assert.equal(buffer.size, 3);
    assert.deepEqual(buffer.newest(10).map((e) => first(e)), [5, 4, 3]);
    assert.deepEqual(buffer.newest(2).map((e) => first(e)), [5, 4]);
    assert.equal(buffer.received, 5);
    assert.equal(buffer.dropped, 2);
  });

  it('stays bounded under a long burst', () => {
    const buffer = new TapBuffer(1000);
    for (let n = 0; n < 50_000; n++) buffer.push(event(n));
    assert.equal(buffer.size, 1000);
    assert.equal(buffer.dropped, 49_000);
    assert.equal(first(buffer.newest(1)[0]!), 49_999);
  });

  it('keeps an event as JSON, cut at MAX_PAYLOAD_CHARS, so that large events cannot grow the page without bound', () => {
    const small = tapEvent('a', [1, 'two'], { k: true }, 42, 0);
    assert.deepEqual(small, { at: 0, topic: 'a', args: '[1,"two"]', kwargs: '{"k":true}', cut: false, publisher: 42 });
    assert.equal(tapEvent('a', [], {}, undefined, 0).kwargs, '');
    const large = tapEvent('a', ['x'.repeat(100_000)], {}, undefined, 0);
    assert.equal(large.args.length, MAX_PAYLOAD_CHARS);
    assert.equal(large.cut, true);
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
    assert.deepEqual(buffer.newest(5).map((e) => first(e)), [3]);
  });
});
