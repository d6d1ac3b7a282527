import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readPublishOptions } from '../options.js';
import { EventHistory, MAX_ANSWER_BYTES } from './event-history.js';

const anyone = { authid: 'alice', authrole: 'user' };

function fill(history: EventHistory, count: number, from = 1): void {
  for (let i = from; i < from + count; i++) {
    history.record({ timestamp: new Date(i * 1000).toISOString(), subscription: 9, publication: i, details: {}, args: [i] },
      i % 2 ? 'odd' : 'even', readPublishOptions({}), false, i * 1000);
  }
}

const publications = (events: { publication: number }[]): number[] => events.map((e) => e.publication);

describe('event history', () => {
  it('keeps at most limitBytes: the oldest go first, and an event larger on its own is not kept', () => {
    let bytes = 0;
    let refused = 0;
    const history = new EventHistory(100, 300, { changed: (by) => (bytes += by), refused: () => refused++ });
    const record = (publication: number, size: number): void =>
      history.record({ timestamp: '', subscription: 9, publication, details: {}, args: ['x'.repeat(size - 6)] }, 't', readPublishOptions({}), false);
    for (let i = 1; i <= 5; i++) record(i, 100);
    assert.deepEqual(publications(history.query({}, anyone).events), [3, 4, 5]);
    assert.equal(history.bytes, 300);
    record(6, 301);
    assert.equal(refused, 1);
    assert.deepEqual(publications(history.query({}, anyone).events), [3, 4, 5]);
    record(7, 250);
    assert.deepEqual(publications(history.query({}, anyone).events), [7]);
    assert.equal(bytes, 250);
  });

  it('keeps the last `limit` events, oldest first', () => {
    const history = new EventHistory(3);
    fill(history, 5);
    assert.equal(history.size, 3);
    assert.deepEqual(publications(history.query({}, anyone).events), [3, 4, 5]);
    assert.deepEqual(history.query({ limit: 1 }, anyone).events[0], { timestamp: new Date(3000).toISOString(), subscription: 9, publication: 3, details: {}, args: [3] });
  });

  it('applies reverse, limit, topic and the time filters together', () => {
    const history = new EventHistory(10);
    fill(history, 6);
    assert.deepEqual(publications(history.query({ reverse: true, limit: 2 }, anyone).events), [6, 5]);
    assert.deepEqual(publications(history.query({ topic: 'odd' }, anyone).events), [1, 3, 5]);
    assert.deepEqual(publications(history.query({ fromTime: 2000, untilTime: 4000 }, anyone).events), [2, 3, 4]);
    assert.deepEqual(publications(history.query({ afterTime: 2000, beforeTime: 4000 }, anyone).events), [3]);
  });

  it('pages by publication ID in both directions', () => {
    const history = new EventHistory(10);
    fill(history, 6);
    assert.deepEqual(publications(history.query({ afterPublication: 2, limit: 2 }, anyone).events), [3, 4]);
    assert.deepEqual(publications(history.query({ fromPublication: 5 }, anyone).events), [5, 6]);
    assert.deepEqual(publications(history.query({ beforePublication: 3, reverse: true }, anyone).events), [2, 1]);
    assert.deepEqual(publications(history.query({ untilPublication: 2 }, anyone).events), [1, 2]);
    assert.deepEqual(publications(history.query({ afterPublication: 999 }, anyone).events), [], 'an unknown publication matches nothing');
  });

  it('does not store publications with session lists, and filters authid/authrole lists by the reader', () => {
    const history = new EventHistory(10);
    history.record({ timestamp: '', subscription: 1, publication: 1, details: {} }, 't', readPublishOptions({ exclude: [5] }), true);
    history.record({ timestamp: '', subscription: 1, publication: 2, details: {} }, 't', readPublishOptions({ eligible_authrole: ['admin'] }), true);
    history.record({ timestamp: '', subscription: 1, publication: 3, details: {} }, 't', readPublishOptions({ exclude_authid: ['alice'] }), true);
    assert.equal(history.size, 2);
    assert.deepEqual(publications(history.query({}, { authid: 'alice', authrole: 'admin' }).events), [2]);
    assert.deepEqual(publications(history.query({}, { authid: 'bob', authrole: 'user' }).events), [3]);
  });
});

describe('event history copied from another node', () => {
  /** A node's history holding publications `from`..`from+count-1` (kept at i seconds), as it would snapshot them. */
  function nodeWith(count: number, from: number, limit = 10): EventHistory {
    const history = new EventHistory(limit);
    fill(history, count, from);
    return history;
  }

  it('merges the copy with the events kept since, each publication once, ordered by when it was kept', () => {
    const earlier = nodeWith(4, 1); // publications 1..4
    const late = nodeWith(3, 3); // started later: it heard 3..5 live
    late.adopt(earlier.snapshot());
    assert.deepEqual(publications(late.query({}, anyone).events), [1, 2, 3, 4, 5]);
    assert.deepEqual(late.query({ fromTime: 2000, untilTime: 2000 }, anyone).events.map((e) => e.args), [[2]], 'a copied event keeps its time');
  });

  it('keeps a copied publication once when it also arrives live afterwards (in flight from a third node)', () => {
    const late = new EventHistory(10);
    late.adopt(nodeWith(2, 1).snapshot());
    fill(late, 3, 2); // 2 arrives late, then 3 and 4
    assert.deepEqual(publications(late.query({}, anyone).events), [1, 2, 3, 4]);
  });

  it('keeps only the newest within its own limit and limit_bytes, with the bytes counted', () => {
    let bytes = 0;
    const late = new EventHistory(3, 0, { changed: (by) => (bytes += by), refused: () => {} });
    fill(late, 1, 6);
    late.adopt(nodeWith(5, 1).snapshot());
    assert.deepEqual(publications(late.query({}, anyone).events), [4, 5, 6]);
    assert.equal(bytes, late.bytes);
    const twoEvents = new EventHistory(10, 30); // each weighs 14 or 15 bytes (its topic and args)
    twoEvents.adopt(nodeWith(5, 1).snapshot());
    assert.deepEqual(publications(twoEvents.query({}, anyone).events), [4, 5]);
  });

  it('carries the authid and authrole lists across, as plain arrays', () => {
    const earlier = new EventHistory(10);
    const forBob = readPublishOptions({ eligible_authid: ['bob'] });
    earlier.record({ timestamp: '', subscription: 9, publication: 1, details: {}, args: ['for bob'] }, 't', forBob, true, 1000);
    const snapshot = earlier.snapshot();
    assert.deepEqual(JSON.parse(JSON.stringify(snapshot[0]!.receivers)), { eligibleAuthid: ['bob'] });
    const late = new EventHistory(10);
    late.adopt(JSON.parse(JSON.stringify(snapshot)));
    assert.deepEqual(publications(late.query({}, anyone).events), []);
    assert.deepEqual(publications(late.query({}, { authid: 'bob', authrole: 'user' }).events), [1]);
  });

  it('keeps each event\'s publication position, carries it to a later node, and remembers the highest one let go per source', () => {
    const history = new EventHistory(2);
    for (let seq = 1; seq <= 4; seq++) {
      history.record({ timestamp: '', subscription: 9, publication: seq, details: {} }, 't', readPublishOptions({}), false, seq, { source: 'AAAAAAAA', seq });
    }
    history.record({ timestamp: '', subscription: 9, publication: 5, details: {} }, 't', readPublishOptions({}), false, 5);
    assert.deepEqual(history.queryPositioned({}, anyone).map(({ event, position }) => [event.publication, position?.seq]), [[4, 4], [5, undefined]]);
    assert.equal(history.droppedUpTo('AAAAAAAA'), 3);
    assert.equal(history.droppedUpTo('BBBBBBBB'), undefined);
    const late = new EventHistory(2);
    late.adopt(JSON.parse(JSON.stringify(history.snapshot())));
    assert.deepEqual(late.queryPositioned({}, anyone).map(({ position }) => position), [{ source: 'AAAAAAAA', seq: 4 }, undefined]);
    // Rebuilding the ring to merge a copy lets nothing go.
    assert.equal(late.droppedUpTo('AAAAAAAA'), undefined);
  });
});

describe('a get_events answer', () => {
  const fill = (history: EventHistory, count: number, size: number): void => {
    for (let publication = 1; publication <= count; publication++) {
      history.record({ timestamp: '', subscription: 9, publication, details: {}, args: ['x'.repeat(size)] }, 't', readPublishOptions({}), false);
    }
  };

  it('holds at most MAX_ANSWER_BYTES of events, in the order asked, and says when more matched', () => {
    const history = new EventHistory(1_000, 0);
    fill(history, 40, 100_000);
    const oldest = history.query({}, anyone);
    assert.equal(oldest.truncated, true);
    const fitting = oldest.events.length;
    assert.ok(fitting * 100_000 <= MAX_ANSWER_BYTES && (fitting + 1) * 100_000 > MAX_ANSWER_BYTES - fitting * 1_000, `${fitting} events of 100 KB`);
    assert.deepEqual(oldest.events.map((event) => event.publication).slice(0, 2), [1, 2]);
    const newest = history.query({ reverse: true }, anyone);
    assert.deepEqual(newest.events.map((event) => event.publication).slice(0, 2), [40, 39]);
    const few = history.query({ limit: 3 }, anyone);
    assert.deepEqual([few.events.length, few.truncated], [3, false]);
  });

  it('always holds the first event, however large (it was sent alone when it was published)', () => {
    const history = new EventHistory(10, 0);
    fill(history, 2, MAX_ANSWER_BYTES + 1);
    const answer = history.query({}, anyone);
    assert.deepEqual([answer.events.length, answer.truncated], [1, true]);
  });
});
