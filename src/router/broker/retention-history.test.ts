import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../../protocol/codes.js';
import { ErrorUri } from '../../protocol/errors.js';
import { CaptureLog } from '../../../test/auth/support/capture-log.js';
import { onlyMessage, RouterHarness } from '../../../test/support/router-harness.js';

describe('broker - event retention', () => {
  it('is announced in WELCOME', async () => {
    const { welcome } = await new RouterHarness().join();
    assert.equal((welcome.roles as Record<string, { features: Record<string, boolean> }>).broker!.features.event_retention, true);
  });

  it('delivers the retained event at once to a subscriber that asks, marked retained', async () => {
    const h = new RouterHarness();
    const pub = await h.join();
    pub.peer.raw([T.PUBLISH, 1, { retain: true, acknowledge: true, disclose_me: true }, 'sensor.temp', [20]]);
    pub.peer.raw([T.PUBLISH, 2, { retain: true, acknowledge: true }, 'sensor.temp', [21], { unit: 'C' }]);
    pub.peer.raw([T.PUBLISH, 3, { acknowledge: true }, 'sensor.temp', [22]]);
    const [, second] = pub.peer.take();
    assert.ok(second?.type === T.PUBLISHED);
    const sub = await h.join();
    sub.peer.raw([T.SUBSCRIBE, 1, { get_retained: true }, 'sensor.temp']);
    const [subscribed, event] = sub.peer.take();
    assert.ok(subscribed?.type === T.SUBSCRIBED && event?.type === T.EVENT);
    assert.equal(event.subscription, subscribed.subscription);
    assert.equal(event.publication, second.publication, 'the latest retained publication, not the later unretained one');
    assert.deepEqual(event.args, [21]);
    assert.deepEqual(event.kwargs, { unit: 'C' });
    assert.deepEqual(event.details, { retained: true });
  });

  it('keeps the last of a publisher\'s retained publications even within one millisecond or with the clock stepping back', async () => {
    const h = new RouterHarness();
    const pub = await h.join();
    const realNow = Date.now;
    let clock = realNow();
    try {
      Date.now = () => (clock -= 1); // each reading earlier than the last: only the order of publication can tell them apart
      for (let i = 1; i <= 20; i++) pub.peer.raw([T.PUBLISH, i, { retain: true }, 'counter', [i]]);
    } finally {
      Date.now = realNow;
    }
    const sub = await h.join();
    sub.peer.raw([T.SUBSCRIBE, 1, { get_retained: true }, 'counter']);
    const [, event] = sub.peer.take();
    assert.ok(event?.type === T.EVENT);
    assert.deepEqual(event.args, [20]);
  });

  it('sends nothing retained to a subscriber that does not ask, or to one the publication excluded', async () => {
    const h = new RouterHarness();
    const pub = await h.join();
    pub.peer.raw([T.PUBLISH, 1, { retain: true, exclude_authrole: ['anonymous'] }, 'secret']);
    pub.peer.raw([T.PUBLISH, 2, { retain: true }, 'plain']);
    const sub = await h.join();
    sub.peer.raw([T.SUBSCRIBE, 1, {}, 'plain']);
    sub.peer.raw([T.SUBSCRIBE, 2, { get_retained: true }, 'secret']);
    assert.deepEqual(sub.peer.take().map((m) => m.type), [T.SUBSCRIBED, T.SUBSCRIBED]);
    pub.peer.raw([T.SUBSCRIBE, 3, { get_retained: true }, 'plain']);
    assert.deepEqual(pub.peer.take().map((m) => m.type), [T.SUBSCRIBED], 'the publisher excluded itself (exclude_me)');
  });

  it('delivers the retained events of every topic a pattern covers, naming each topic', async () => {
    const h = new RouterHarness();
    const pub = await h.join();
    for (const topic of ['room.a.status', 'room.b.status', 'room.a.log']) pub.peer.raw([T.PUBLISH, 1, { retain: true }, topic, [topic]]);
    const sub = await h.join();
    sub.peer.raw([T.SUBSCRIBE, 1, { match: 'wildcard', get_retained: true }, 'room..status']);
    const [subscribed, ...events] = sub.peer.take();
    assert.equal(subscribed?.type, T.SUBSCRIBED);
    const topics = events.map((e) => e.type === T.EVENT && [e.details.topic, e.args?.[0], e.details.retained]);
    assert.deepEqual(topics.sort(), [['room.a.status', 'room.a.status', true], ['room.b.status', 'room.b.status', true]]);
  });

  it('keeps retained events for a bounded number of topics: past it, an acknowledged publication is refused whole (ERROR, not delivered)', async () => {
    const h = new RouterHarness({ realm: { limits: { maxRetainedTopics: 1 } } });
    const pub = await h.join();
    const early = await h.join();
    early.peer.raw([T.SUBSCRIBE, 1, {}, 'second']);
    early.peer.take();
    pub.peer.raw([T.PUBLISH, 1, { retain: true }, 'first']);
    pub.peer.raw([T.PUBLISH, 2, { retain: true, acknowledge: true }, 'second', ['hello']]);
    const refusal = onlyMessage(pub.peer.take(), T.ERROR);
    assert.equal(refusal.error, ErrorUri.limitExceeded);
    assert.match(String(refusal.args?.[0]), /max_retained_topics is 1 .*neither delivered nor retained/);
    assert.deepEqual(early.peer.take(), [], 'an ERROR means no subscriber got it: a retry is no duplicate');
    // The publisher retries without retain: the subscriber gets it exactly once.
    pub.peer.raw([T.PUBLISH, 3, { acknowledge: true }, 'second', ['hello']]);
    assert.equal(onlyMessage(pub.peer.take(), T.PUBLISHED).request, 3);
    assert.equal(onlyMessage(early.peer.take(), T.EVENT).args?.[0], 'hello');
    const sub = await h.join();
    sub.peer.raw([T.SUBSCRIBE, 1, { get_retained: true }, 'first']);
    sub.peer.raw([T.SUBSCRIBE, 2, { get_retained: true }, 'second']);
    assert.deepEqual(sub.peer.take().map((m) => m.type), [T.SUBSCRIBED, T.EVENT, T.SUBSCRIBED]);
    assert.equal(h.router.registry.exposition().includes('junction_retained_refused_total{limit="max_retained_topics",realm="realm1"} 1'), true);
    assert.equal(h.router.metrics.published.value({ realm: 'realm1', origin: 'client' }), 2, 'the refused one is not counted as published');
  });

  it('refuses an unacknowledged retained publication over a limit too: not delivered, counted, warned', async () => {
    const log = new CaptureLog();
    const h = new RouterHarness({ log, realm: { limits: { maxRetainedEventBytes: 100 } } });
    const pub = await h.join();
    const sub = await h.join();
    sub.peer.raw([T.SUBSCRIBE, 1, {}, 'big']);
    sub.peer.take();
    pub.peer.raw([T.PUBLISH, 1, { retain: true }, 'big', ['x'.repeat(200)]]);
    assert.deepEqual(pub.peer.take(), [], 'WAMP has no way to tell an unacknowledged publisher');
    assert.deepEqual(sub.peer.take(), [], 'not delivered');
    assert.equal(h.router.metrics.retainedRefused.value({ realm: 'realm1', limit: 'max_retained_event_bytes' }), 1);
    const warning = log.lines.find((line) => line.level === 'warn' && /retained publication refused, not delivered/.test(line.message));
    assert.ok(warning, log.text());
    assert.equal(warning.fields.topic, 'big');
    assert.equal(warning.fields.limit, 'max_retained_event_bytes');
    pub.peer.raw([T.PUBLISH, 2, { retain: true }, 'big', ['small']]);
    assert.equal(onlyMessage(sub.peer.take(), T.EVENT).args?.[0], 'small', 'one within the limits goes through');
  });

  it('at max_retained_bytes, replacing a topic\'s own retained event frees its bytes first; one that would still pass it is refused and the old one stays', async () => {
    // Each event counts its topic (1) and its payload (["xx...x"]: the string + 2, the array 2 + 1).
    const event = (chars: number) => ['x'.repeat(chars)];
    const h = new RouterHarness({ realm: { limits: { maxRetainedBytes: 1_000, maxRetainedEventBytes: 0 } } });
    const pub = await h.join();
    const sub = await h.join();
    sub.peer.raw([T.SUBSCRIBE, 1, { match: 'prefix' }, 'k']);
    sub.peer.take();
    pub.peer.raw([T.PUBLISH, 1, { retain: true, acknowledge: true }, 'k', event(900)]);
    assert.equal(onlyMessage(pub.peer.take(), T.PUBLISHED).request, 1);
    assert.equal(h.router.metrics.retainedBytes.value({ realm: 'realm1' }), 906);
    pub.peer.raw([T.PUBLISH, 2, { retain: true, acknowledge: true }, 'k', ['same topic, 990 bytes'.padEnd(984, '.')]]);
    assert.equal(onlyMessage(pub.peer.take(), T.PUBLISHED).request, 2, 'the replaced event\'s bytes are freed first: 990 fits');
    assert.equal(h.router.metrics.retainedBytes.value({ realm: 'realm1' }), 990);
    pub.peer.raw([T.PUBLISH, 3, { retain: true, acknowledge: true }, 'k', event(1_000)]);
    const refusal = onlyMessage(pub.peer.take(), T.ERROR);
    assert.match(String(refusal.args?.[0]), /max_retained_bytes is 1000/);
    pub.peer.raw([T.PUBLISH, 4, { retain: true, acknowledge: true }, 'k2', event(50)]);
    assert.match(String(onlyMessage(pub.peer.take(), T.ERROR).args?.[0]), /max_retained_bytes is 1000/, 'another topic does not fit beside it');
    assert.deepEqual(sub.peer.take().map((m) => m.type === T.EVENT && String(m.args?.[0]).length), [900, 984], 'the refused ones were not delivered');
    const late = await h.join();
    late.peer.raw([T.SUBSCRIBE, 1, { get_retained: true }, 'k']);
    const [, kept] = late.peer.take();
    assert.ok(kept?.type === T.EVENT);
    assert.match(String(kept.args?.[0]), /^same topic/, 'the refused replacement left the kept event as it was');
  });
});

describe('broker - event history', () => {
  it('does not keep an event larger than limit_bytes: counted, warned, the others kept', async () => {
    const log = new CaptureLog();
    const h = new RouterHarness({ log, realm: { eventHistory: [{ uri: 'log', match: 'exact', limit: 10, limitBytes: 100 }] } });
    const pub = await h.join();
    pub.peer.raw([T.PUBLISH, 1, {}, 'log', ['small']]);
    pub.peer.raw([T.PUBLISH, 2, {}, 'log', ['x'.repeat(200)]]);
    const history = h.router.realm('realm1')!.broker.lookup('log', 'exact')!.history!;
    assert.deepEqual(history.query({}, { authid: '', authrole: '' }).events.map((e) => e.args?.[0]), ['small']);
    assert.equal(h.router.metrics.historyRefused.value({ realm: 'realm1' }), 1);
    assert.equal(h.router.metrics.historyBytes.value({ realm: 'realm1' }), history.bytes);
    assert.ok(log.lines.some((line) => line.level === 'warn' && /limit_bytes/.test(line.message)));
  });

  it('keeps events of configured topics from the start, in a subscription that outlives its subscribers', async () => {
    const h = new RouterHarness({ realm: { eventHistory: [{ uri: 'log', match: 'prefix', limit: 2, limitBytes: 0 }] } });
    const broker = h.router.realm('realm1')!.broker;
    const pub = await h.join();
    for (const [i, topic] of ['log.a', 'log.b', 'other', 'log.c'].entries()) pub.peer.raw([T.PUBLISH, i + 1, {}, topic, [i]]);
    const sub = await h.join();
    sub.peer.raw([T.SUBSCRIBE, 1, { match: 'prefix' }, 'log']);
    const { subscription } = onlyMessage(sub.peer.take(), T.SUBSCRIBED);
    const stored = broker.subscription(subscription)!.history!.query({}, { authid: '', authrole: '' }).events;
    assert.deepEqual(stored.map((e) => [e.details.topic, e.args?.[0]]), [['log.b', 1], ['log.c', 3]]);
    sub.peer.raw([T.UNSUBSCRIBE, 2, subscription]);
    sub.peer.take();
    assert.ok(broker.subscription(subscription), 'the history subscription stays');
    sub.peer.raw([T.SUBSCRIBE, 3, { match: 'prefix' }, 'log']);
    assert.equal(onlyMessage(sub.peer.take(), T.SUBSCRIBED).subscription, subscription);
  });
});
