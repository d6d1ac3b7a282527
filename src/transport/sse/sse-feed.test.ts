import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventFeed } from './sse-feed.js';

function feed(limitBytes = 1_000) {
  const written: (string | Uint8Array)[] = [];
  let overflows = 0;
  const events = new EventFeed(limitBytes, (text) => written.push(text), () => overflows++);
  return { events, written, overflowed: () => overflows };
}

describe('SSE event feed', () => {
  it('holds events until released, then writes them in order except the skipped ones', () => {
    const { events, written } = feed();
    events.push(1, 'a');
    events.push(2, 'b');
    events.push(3, 'c');
    assert.deepEqual(written, []);
    events.release(new Set([2]));
    assert.deepEqual(written, ['a', 'c']);
    events.push(4, 'd');
    assert.deepEqual(written, ['a', 'c', 'd']);
    assert.equal(events.holding, false);
  });

  it('drops a publication that arrives again right after itself (two subscriptions of one stream)', () => {
    const { events, written } = feed();
    events.release();
    events.push(7, 'x');
    events.push(7, 'x again');
    events.push(8, 'y');
    events.push(7, 'a later, different delivery');
    assert.deepEqual(written, ['x', 'y', 'a later, different delivery']);
  });

  it('reports an overflow once the held bytes pass the limit, and forgets what it held', () => {
    const { events, written, overflowed } = feed(5);
    events.push(1, 'abc');
    assert.equal(overflowed(), 0);
    events.push(2, 'def');
    assert.equal(overflowed(), 1);
    events.release();
    assert.deepEqual(written, []);
  });
});
