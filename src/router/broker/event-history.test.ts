import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readPublishOptions } from '../options.js';
import { EventHistory } from './event-history.js';

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
    assert.deepEqual(publications(history.query({}, anyone)), [3, 4, 5]);
    assert.equal(history.bytes, 300);
    record(6, 301);
    assert.equal(refused, 1);
    assert.deepEqual(publications(history.query({}, anyone)), [3, 4, 5]);
    record(7, 250);
    assert.deepEqual(publications(history.query({}, anyone)), [7]);
    assert.equal(bytes, 250);
  });

  it('keeps the last `limit` events, oldest first', () => {
    const history = new EventHistory(3);
    fill(history, 5);
    assert.equal(history.size, 3);
    assert.deepEqual(publications(history.query({}, anyone)), [3, 4, 5]);
    assert.deepEqual(history.query({ limit: 1 }, anyone)[0], { timestamp: new Date(3000).toISOString(), subscription: 9, publication: 3, details: {}, args: [3] });
  });

  it('applies reverse, limit, topic and the time filters together', () => {
    const history = new EventHistory(10);
    fill(history, 6);
    assert.deepEqual(publications(history.query({ reverse: true, limit: 2 }, anyone)), [6, 5]);
    assert.deepEqual(publications(history.query({ topic: 'odd' }, anyone)), [1, 3, 5]);
    assert.deepEqual(publications(history.query({ fromTime: 2000, untilTime: 4000 }, anyone)), [2, 3, 4]);
    assert.deepEqual(publications(history.query({ afterTime: 2000, beforeTime: 4000 }, anyone)), [3]);
  });

  it('pages by publication ID in both directions', () => {
    const history = new EventHistory(10);
    fill(history, 6);
    assert.deepEqual(publications(history.query({ afterPublication: 2, limit: 2 }, anyone)), [3, 4]);
    assert.deepEqual(publications(history.query({ fromPublication: 5 }, anyone)), [5, 6]);
    assert.deepEqual(publications(history.query({ beforePublication: 3, reverse: true }, anyone)), [2, 1]);
    assert.deepEqual(publications(history.query({ untilPublication: 2 }, anyone)), [1, 2]);
    assert.deepEqual(publications(history.query({ afterPublication: 999 }, anyone)), [], 'an unknown publication matches nothing');
  });

  it('does not store publications with session lists, and filters authid/authrole lists by the reader', () => {
    const history = new EventHistory(10);
    history.record({ timestamp: '', subscription: 1, publication: 1, details: {} }, 't', readPublishOptions({ exclude: [5] }), true);
    history.record({ timestamp: '', subscription: 1, publication: 2, details: {} }, 't', readPublishOptions({ eligible_authrole: ['admin'] }), true);
    history.record({ timestamp: '', subscription: 1, publication: 3, details: {} }, 't', readPublishOptions({ exclude_authid: ['alice'] }), true);
    assert.equal(history.size, 2);
    assert.deepEqual(publications(history.query({}, { authid: 'alice', authrole: 'admin' })), [2]);
    assert.deepEqual(publications(history.query({}, { authid: 'bob', authrole: 'user' })), [3]);
  });
});
