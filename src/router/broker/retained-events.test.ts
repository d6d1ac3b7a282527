import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readPublishOptions } from '../options.js';
import type { Session } from '../session.js';
import type { RetentionLimits } from '../limits/session-limits.js';
import { RetainedEvents, type RetainedEvent } from './retained-events.js';

const alice = { id: 1, authid: 'alice', authrole: 'user' } as Session;
const bob = { id: 2, authid: 'bob', authrole: 'admin' } as Session;

function event(topic: string, publication: number, options: Record<string, unknown> = {}, excludedSession?: number, bytes = 10, at = 0,
  logicalTime = 0): RetainedEvent {
  const parsed = readPublishOptions(options);
  const restricted = Object.keys(options).some((key) => key.startsWith('eligible') || key.startsWith('exclude'));
  return { topic, publication, logicalTime, at, details: {}, args: [publication], receivers: restricted ? parsed : undefined, excludedSession, bytes, options };
}

/** A publication without arguments: how MQTT (and a WAMP publisher) clears a retained topic. */
function clear(topic: string, publication: number, bytes = 10): RetainedEvent {
  const { args: _args, ...rest } = event(topic, publication, {}, undefined, bytes);
  return rest;
}

/** A store with these limits (the others off). */
function store(limits: Partial<RetentionLimits> = {}): RetainedEvents {
  return new RetainedEvents({ maxRetainedEventBytes: 0, maxRetainedBytes: 0, maxRetainedTopics: 0, ...limits });
}

describe('retained events', () => {
  it('keeps the latest event of a topic', () => {
    const retained = store();
    retained.retain(event('t', 1));
    retained.retain(event('t', 2));
    assert.equal(retained.latestFor('t', alice)?.publication, 2);
    assert.equal(retained.latestFor('other', alice), undefined);
  });

  it('gives each receiver the newest event it would have received', () => {
    const retained = store();
    retained.retain(event('t', 1));
    retained.retain(event('t', 2, { eligible_authrole: ['admin'] }));
    retained.retain(event('t', 3, { exclude_authid: ['bob'] }));
    assert.equal(retained.latestFor('t', alice)?.publication, 3);
    assert.equal(retained.latestFor('t', bob)?.publication, 2);
    retained.retain(event('t', 4, {}, alice.id));
    assert.equal(retained.latestFor('t', alice), undefined, 'an event for everyone replaces the older ones; its publisher had excluded itself');
    assert.equal(retained.latestFor('t', bob)?.publication, 4);
  });

  it('bounds the events per topic; refuses a new topic past max_retained_topics, keeping what is retained', () => {
    const retained = store({ maxRetainedTopics: 2 });
    retained.retain(event('base', 1));
    for (let i = 2; i < 20; i++) retained.retain(event('base', i, { eligible_authid: ['nobody'] }));
    assert.equal(retained.latestFor('base', alice)?.publication, 1, 'the event for everyone is kept while restricted ones rotate');
    assert.equal(retained.bytes, 10 * RetainedEvents.perTopic);
    assert.equal(retained.retain(event('a', 1)), undefined);
    assert.deepEqual(retained.retain(event('b', 1)), { limit: 'max_retained_topics', max: 2 });
    assert.equal(retained.latestFor('b', alice), undefined);
    assert.equal(retained.retain(event('base', 30)), undefined, 'a topic that has an event may replace it');
    assert.equal(retained.topicCount, 2);
    assert.equal(retained.latestFor('a', alice)?.publication, 1);
    assert.equal(retained.latestFor('base', alice)?.publication, 30);
    assert.equal(retained.bytes, 20);
  });

  it('keeps the same events whatever order they arrive in: by publication time, then publication ID (logical times equal)', () => {
    const arrivals = [
      event('t', 9, {}, undefined, 10, 100),
      event('t', 5, {}, undefined, 10, 200),
      event('t', 3, {}, undefined, 10, 200),
      event('t', 7, { eligible_authid: ['bob'] }, undefined, 10, 300),
      event('t', 8, { eligible_authid: ['bob'] }, undefined, 10, 150),
    ];
    const kept = (order: RetainedEvent[]): number[] => {
      const retained = store();
      for (const one of order) retained.retain(one);
      retained.retain(order[0]!); // the same publication twice (a copy from a node that starts later) is kept once
      return [...retained.events()].map((one) => one.publication);
    };
    const expected = [5, 7]; // the latest for everyone (at 200, the larger ID), then a later one with receiver lists
    assert.deepEqual(kept(arrivals), expected);
    assert.deepEqual(kept([...arrivals].reverse()), expected);
    assert.deepEqual(kept([arrivals[3]!, arrivals[2]!, arrivals[0]!, arrivals[4]!, arrivals[1]!]), expected);
    const retained = store();
    retained.retain(arrivals[1]!);
    assert.equal(retained.retain(arrivals[0]!), undefined, 'an outdated event is not a refusal');
    assert.equal(retained.latestFor('t', alice)?.publication, 5);
    assert.equal(retained.bytes, 10);
  });

  it('orders by logical time first: a wall clock ahead does not make an earlier publication the latest', () => {
    const retained = store();
    retained.retain(event('t', 1, {}, undefined, 10, 5_000, 1)); // its node's clock is ahead
    retained.retain(event('t', 2, {}, undefined, 10, 1_000, 2)); // made after its node kept the first
    assert.equal(retained.latestFor('t', alice)?.publication, 2);
    const reversed = store();
    reversed.retain(event('t', 2, {}, undefined, 10, 1_000, 2));
    assert.equal(reversed.retain(event('t', 1, {}, undefined, 10, 5_000, 1)), undefined);
    assert.equal(reversed.latestFor('t', alice)?.publication, 2, 'whatever the order they arrive in');
  });

  it('refuses an event larger than max_retained_event_bytes, and one that would pass max_retained_bytes', () => {
    const changes: [number, number][] = [];
    const retained = new RetainedEvents({ maxRetainedEventBytes: 100, maxRetainedBytes: 250, maxRetainedTopics: 0 }, { changed: (topics, bytes) => changes.push([topics, bytes]), expired() {} });
    assert.deepEqual(retained.retain(event('big', 1, {}, undefined, 101)), { limit: 'max_retained_event_bytes', max: 100 });
    assert.equal(retained.retain(event('a', 1, {}, undefined, 100)), undefined);
    assert.equal(retained.retain(event('b', 1, {}, undefined, 100)), undefined);
    assert.deepEqual(retained.retain(event('c', 1, {}, undefined, 100)), { limit: 'max_retained_bytes', max: 250 });
    // Replacing frees the old event's bytes first.
    assert.equal(retained.retain(event('a', 2, {}, undefined, 90)), undefined);
    assert.equal(retained.retain(event('c', 2, {}, undefined, 60)), undefined);
    assert.equal(retained.bytes, 250);
    assert.deepEqual(changes, [[1, 100], [1, 100], [0, -10], [1, 60]]);
    assert.equal(retained.latestFor('big', alice), undefined);
  });

  it('a clear of a topic with nothing retained replaces nothing: past a limit it is not kept, and not refused', () => {
    const retained = store({ maxRetainedTopics: 1, maxRetainedBytes: 15 });
    assert.equal(retained.retain(event('a', 1)), undefined);
    assert.equal(retained.retain(clear('b', 2)), undefined, 'at max_retained_topics');
    assert.equal(retained.latestFor('b', alice), undefined);
    assert.equal(retained.topicCount, 1);
    assert.equal(retained.bytes, 10);
    assert.deepEqual(retained.retain(event('b', 3)), { limit: 'max_retained_topics', max: 1 }, 'an event with arguments is still refused');
    assert.equal(retained.retain(clear('a', 4, 3)), undefined, 'a clear of a retained topic replaces its event');
    assert.equal(retained.latestFor('a', alice)?.publication, 4);
    const roomy = store({ maxRetainedBytes: 15 });
    assert.equal(roomy.retain(event('a', 1)), undefined);
    assert.equal(roomy.retain(clear('b', 2)), undefined, 'at max_retained_bytes');
    assert.equal(roomy.topicCount, 1);
    assert.equal(roomy.retain(clear('c', 3, 5)), undefined, 'below every limit a clear is kept, as any retained event');
    assert.equal(roomy.latestFor('c', alice)?.publication, 3);
  });

  it('lists the topics a pattern covers', () => {
    const retained = store();
    for (const topic of ['com.a.update', 'com.b.update', 'com.a.delete', 'org.a.update']) retained.retain(event(topic, 1));
    assert.deepEqual(retained.topicsMatching('com.a.update', 'exact'), ['com.a.update']);
    assert.deepEqual(retained.topicsMatching('com.a', 'prefix').sort(), ['com.a.delete', 'com.a.update']);
    assert.deepEqual(retained.topicsMatching('com..update', 'wildcard').sort(), ['com.a.update', 'com.b.update']);
  });

  it('0 means no limit', () => {
    const retained = store();
    for (let i = 0; i < 100; i++) assert.equal(retained.retain(event(`t${i}`, 1, {}, undefined, 1_000_000)), undefined);
    assert.equal(retained.topicCount, 100);
  });

  describe('with MQTT Message Expiry', () => {
    /** A store on a clock the test moves, recording what its gauges are told. */
    function expiringStore(limits: Partial<RetentionLimits>) {
      const clock = { now: 1_000 };
      const gauges = { topics: 0, bytes: 0, expired: 0 };
      const retained = new RetainedEvents({ maxRetainedEventBytes: 0, maxRetainedBytes: 0, maxRetainedTopics: 0, ...limits }, {
        changed: (topics, bytes) => {
          gauges.topics += topics;
          gauges.bytes += bytes;
        },
        expired: () => void gauges.expired++,
      }, () => clock.now);
      return { retained, clock, gauges };
    }
    const expiring = (topic: string, publication: number, expiresAt: number, options: Record<string, unknown> = {}): RetainedEvent =>
      ({ ...event(topic, publication, options, undefined, 100), expiresAt });

    it('frees the room of expired events for a new one, at max_retained_bytes and at max_retained_topics, and tells the gauges at once', () => {
      for (const limits of [{ maxRetainedBytes: 300 }, { maxRetainedTopics: 3 }]) {
        const { retained, clock, gauges } = expiringStore(limits);
        for (let i = 0; i < 3; i++) assert.equal(retained.retain(expiring(`short${i}`, i + 1, 2_000)), undefined);
        assert.ok(retained.retain(event('other', 9, {}, undefined, 100)), 'full');
        clock.now = 2_000;
        assert.equal(retained.retain(event('other', 10, {}, undefined, 100)), undefined, 'the expired ones made room');
        assert.deepEqual({ topics: retained.topicCount, bytes: retained.bytes }, { topics: 1, bytes: 100 });
        assert.deepEqual(gauges, { topics: 1, bytes: 100, expired: 3 });
      }
    });

    it('no longer lists or replays an expired event, nor copies it to another node', () => {
      const { retained, clock, gauges } = expiringStore({});
      retained.retain(expiring('a/short', 1, 1_500));
      retained.retain(event('a/long', 2));
      clock.now = 1_499;
      assert.deepEqual(retained.topicsMatching('a', 'prefix'), ['a/short', 'a/long']);
      clock.now = 1_500;
      assert.deepEqual(retained.topicsMatching('a', 'prefix'), ['a/long']);
      assert.equal(retained.latestFor('a/short', alice), undefined);
      retained.retain(expiring('b', 3, 1_600));
      clock.now = 1_600;
      assert.deepEqual([...retained.events()].map((kept) => kept.publication), [2]);
      assert.deepEqual(gauges, { topics: 1, bytes: 10, expired: 2 });
    });

    it('removes only the expired event of a topic: a later one that replaced it, or one with receiver lists beside it, stays', () => {
      const { retained, clock } = expiringStore({});
      retained.retain(expiring('t', 1, 1_100));
      retained.retain(event('t', 2, {}, undefined, 100, 1));
      retained.retain(expiring('u', 3, 1_100));
      retained.retain(expiring('u', 4, 5_000, { eligible_authid: ['bob'] }));
      clock.now = 1_100;
      assert.equal(retained.latestFor('t', alice)?.publication, 2, 'the replacement does not expire with the one it replaced');
      assert.equal(retained.latestFor('u', bob)?.publication, 4);
      assert.equal(retained.latestFor('u', alice), undefined, 'the one for everyone expired');
      assert.deepEqual({ topics: retained.topicCount, bytes: retained.bytes }, { topics: 2, bytes: 200 });
      clock.now = 5_000;
      assert.equal(retained.latestFor('u', bob), undefined);
      assert.equal(retained.topicsMatching('u', 'exact').length, 0);
    });

    it('stays correct while one topic is replaced by expiring events many times (the heap drops the replaced ones)', () => {
      const { retained, clock, gauges } = expiringStore({ maxRetainedTopics: 2 });
      for (let i = 1; i <= 1_000; i++) assert.equal(retained.retain(expiring('t', i, 10_000 + i, {})), undefined);
      retained.retain(expiring('u', 2_000, 1_500));
      clock.now = 1_500;
      assert.equal(retained.latestFor('t', alice)?.publication, 1_000);
      assert.deepEqual({ topics: retained.topicCount, expired: gauges.expired }, { topics: 1, expired: 1 });
      clock.now = 11_000;
      assert.equal(retained.latestFor('t', alice), undefined);
      assert.deepEqual({ topics: retained.topicCount, expired: gauges.expired, bytes: gauges.bytes }, { topics: 0, expired: 2, bytes: 0 });
    });

    it('drops at once an event that expired on its way, after it replaced the older one', () => {
      const { retained, clock, gauges } = expiringStore({});
      retained.retain(event('t', 1));
      clock.now = 3_000;
      assert.equal(retained.retain(expiring('t', 2, 2_000)), undefined);
      assert.equal(retained.topicCount, 0);
      assert.deepEqual(gauges, { topics: 0, bytes: 0, expired: 1 });
    });
  });
});
