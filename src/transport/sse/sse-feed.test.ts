import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventFeed } from './sse-feed.js';

function feed(limitBytes = 1_000) {
  const written: (string | Uint8Array)[] = [];
  let overflows = 0;
  const events = new EventFeed<string>(limitBytes, (text) => written.push(text), () => overflows++);
  return { events, written, overflowed: () => overflows };
}

/** What the service does with each arriving event. */
function offer(events: EventFeed<string>, publication: number, text: string): void {
  if (events.repeats(publication)) return;
  if (events.holding) events.hold(publication, text, text.length);
  else events.push(text);
}

describe('SSE event feed', () => {
  it('holds events until released, then writes them in order, made at release, except the skipped ones', () => {
    const { events, written } = feed();
    offer(events, 1, 'a');
    offer(events, 2, 'b');
    offer(events, 3, 'c');
    assert.deepEqual(written, []);
    events.release((held) => held.toUpperCase(), new Set([2]));
    assert.deepEqual(written, ['A', 'C']);
    offer(events, 4, 'd');
    assert.deepEqual(written, ['A', 'C', 'd']);
    assert.equal(events.holding, false);
  });

  it('drops a publication that arrives again right after itself (two subscriptions of one stream)', () => {
    const { events, written } = feed();
    events.release((held) => held);
    offer(events, 7, 'x');
    offer(events, 7, 'x again');
    offer(events, 8, 'y');
    offer(events, 7, 'a later, different delivery');
    assert.deepEqual(written, ['x', 'y', 'a later, different delivery']);
  });

  it('reports an overflow once the held bytes pass the limit, and forgets what it held', () => {
    const { events, written, overflowed } = feed(5);
    offer(events, 1, 'abc');
    assert.equal(overflowed(), 0);
    offer(events, 2, 'def');
    assert.equal(overflowed(), 1);
    events.release((held) => held);
    assert.deepEqual(written, []);
  });
});
