import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readPublishOptions } from '../options.js';
import type { Session } from '../session.js';
import { RetainedEvents, type RetainedEvent } from './retained-events.js';

const alice = { id: 1, authid: 'alice', authrole: 'user' } as Session;
const bob = { id: 2, authid: 'bob', authrole: 'admin' } as Session;

function event(topic: string, publication: number, options: Record<string, unknown> = {}, excludedSession?: number): RetainedEvent {
  const parsed = readPublishOptions(options);
  const restricted = Object.keys(options).some((key) => key.startsWith('eligible') || key.startsWith('exclude'));
  return { topic, publication, details: {}, receivers: restricted ? parsed : undefined, excludedSession };
}

describe('retained events', () => {
  it('keeps the latest event of a topic', () => {
    const retained = new RetainedEvents(10);
    retained.retain(event('t', 1));
    retained.retain(event('t', 2));
    assert.equal(retained.latestFor('t', alice)?.publication, 2);
    assert.equal(retained.latestFor('other', alice), undefined);
  });

  it('gives each receiver the newest event it would have received', () => {
    const retained = new RetainedEvents(10);
    retained.retain(event('t', 1));
    retained.retain(event('t', 2, { eligible_authrole: ['admin'] }));
    retained.retain(event('t', 3, { exclude_authid: ['bob'] }));
    assert.equal(retained.latestFor('t', alice)?.publication, 3);
    assert.equal(retained.latestFor('t', bob)?.publication, 2);
    retained.retain(event('t', 4, {}, alice.id));
    assert.equal(retained.latestFor('t', alice), undefined, 'an event for everyone replaces the older ones; its publisher had excluded itself');
    assert.equal(retained.latestFor('t', bob)?.publication, 4);
  });

  it('bounds the events per topic and the topics, dropping the least recently retained topic', () => {
    const retained = new RetainedEvents(2);
    retained.retain(event('base', 1));
    for (let i = 2; i < 20; i++) retained.retain(event('base', i, { eligible_authid: ['nobody'] }));
    assert.equal(retained.latestFor('base', alice)?.publication, 1, 'the event for everyone is kept while restricted ones rotate');
    retained.retain(event('a', 1));
    retained.retain(event('base', 30));
    retained.retain(event('b', 1));
    assert.equal(retained.topicCount, 2);
    assert.equal(retained.latestFor('a', alice), undefined, '"a" was retained least recently');
    assert.equal(retained.latestFor('base', alice)?.publication, 30);
  });

  it('lists the topics a pattern covers', () => {
    const retained = new RetainedEvents(10);
    for (const topic of ['com.a.update', 'com.b.update', 'com.a.delete', 'org.a.update']) retained.retain(event(topic, 1));
    assert.deepEqual(retained.topicsMatching('com.a.update', 'exact'), ['com.a.update']);
    assert.deepEqual(retained.topicsMatching('com.a', 'prefix').sort(), ['com.a.delete', 'com.a.update']);
    assert.deepEqual(retained.topicsMatching('com..update', 'wildcard').sort(), ['com.a.update', 'com.b.update']);
  });

  it('keeps nothing with a limit of 0', () => {
    const retained = new RetainedEvents(0);
    retained.retain(event('t', 1));
    assert.equal(retained.topicCount, 0);
  });
});
