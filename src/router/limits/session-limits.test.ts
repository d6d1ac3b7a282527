import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CaptureLog } from '../../../test/auth/support/capture-log.js';
import { allRoles, flush, onlyMessage, RouterHarness, type MemoryPeer } from '../../../test/support/router-harness.js';
import { MessageType as T } from '../../protocol/codes.js';
import { ErrorUri } from '../../protocol/errors.js';
import type { Dict, WampMessage } from '../../protocol/messages.js';
import { InternalCallError, InternalSession } from '../internal-session.js';
import type { SessionLimits } from './session-limits.js';

const noLimits: SessionLimits = {
  maxSubscriptionsPerSession: 0, maxRegistrationsPerSession: 0, maxCallsInFlightPerSession: 0,
  publishRate: { perSecond: 0, burst: 0 }, maxQueuedMessagesPerSession: 0, maxQueuedBytesPerSession: 0,
  maxHeldLiveBytesPerSession: 0,
  maxWaitingRetainedPerSession: 0,
};

/** A harness whose realm1 has these limits (the others off), logging into `log` when given. */
function harness(limits: Partial<SessionLimits>, log?: CaptureLog): RouterHarness {
  return new RouterHarness({ realm: { limits: { ...noLimits, ...limits } }, log });
}

/** A trusted router session, an untrusted internal one, or an HTTP bridge session (untrusted, exempt from limits). */
function joinInternal(h: RouterHarness, trusted: boolean, exemptFromLimits = false): Promise<InternalSession> {
  return InternalSession.join((peer, gate, options) => h.router.attach(peer, gate, options), 'realm1',
    { authid: trusted ? 'router' : 'bridge', authrole: trusted ? 'trusted' : 'anonymous' }, { trusted, exemptFromLimits });
}

/** Asserts that `messages` is one ERROR junction.error.limit_exceeded answering (type, request) and naming `limit`. */
function assertLimitError(messages: WampMessage[], requestType: number, request: number, limit: RegExp): void {
  const error = onlyMessage(messages, T.ERROR);
  assert.equal(error.error, ErrorUri.limitExceeded);
  assert.equal(error.requestType, requestType);
  assert.equal(error.request, request);
  assert.match(String(error.args?.[0]), limit);
}

describe('per-session limit: subscriptions', () => {
  it('refuses a subscription over the limit, counts patterns, lets a re-subscribe through, and frees a place on UNSUBSCRIBE', async () => {
    const h = harness({ maxSubscriptionsPerSession: 2 });
    const { peer } = await h.join();
    peer.raw([T.SUBSCRIBE, 1, {}, 'a']);
    const a = onlyMessage(peer.take(), T.SUBSCRIBED).subscription;
    peer.raw([T.SUBSCRIBE, 2, { match: 'prefix' }, 'b']);
    onlyMessage(peer.take(), T.SUBSCRIBED);
    peer.raw([T.SUBSCRIBE, 3, {}, 'c']);
    assertLimitError(peer.take(), T.SUBSCRIBE, 3, /max_subscriptions_per_session is 2/);
    peer.raw([T.SUBSCRIBE, 4, { match: 'wildcard' }, 'x..y']);
    assertLimitError(peer.take(), T.SUBSCRIBE, 4, /max_subscriptions_per_session/);
    // Asking again for what it holds adds nothing: the same subscription, no refusal.
    peer.raw([T.SUBSCRIBE, 5, {}, 'a']);
    assert.equal(onlyMessage(peer.take(), T.SUBSCRIBED).subscription, a);

    peer.raw([T.UNSUBSCRIBE, 6, a]);
    onlyMessage(peer.take(), T.UNSUBSCRIBED);
    peer.raw([T.SUBSCRIBE, 7, {}, 'c']);
    onlyMessage(peer.take(), T.SUBSCRIBED);
    peer.raw([T.SUBSCRIBE, 8, {}, 'd']);
    assertLimitError(peer.take(), T.SUBSCRIBE, 8, /max_subscriptions_per_session/);
    // A failed UNSUBSCRIBE frees nothing.
    peer.raw([T.UNSUBSCRIBE, 9, a]);
    assert.equal(onlyMessage(peer.take(), T.ERROR).error, ErrorUri.noSuchSubscription);
    peer.raw([T.SUBSCRIBE, 10, {}, 'd']);
    assertLimitError(peer.take(), T.SUBSCRIBE, 10, /max_subscriptions_per_session/);
  });

  it('counts each session on its own; the router\'s trusted sessions and HTTP bridge sessions are exempt, other internal sessions are not', async () => {
    const h = harness({ maxSubscriptionsPerSession: 1 });
    const first = await h.join();
    const second = await h.join();
    first.peer.raw([T.SUBSCRIBE, 1, {}, 'a']);
    second.peer.raw([T.SUBSCRIBE, 1, {}, 'a']);
    onlyMessage(first.peer.take(), T.SUBSCRIBED);
    onlyMessage(second.peer.take(), T.SUBSCRIBED);

    const trusted = await joinInternal(h, true);
    for (const topic of ['a', 'b', 'c']) await trusted.subscribe(topic, () => {});
    const internal = await joinInternal(h, false);
    await internal.subscribe('a', () => {});
    await assert.rejects(internal.subscribe('b', () => {}), (error: InternalCallError) => error.uri === ErrorUri.limitExceeded);
    const bridge = await joinInternal(h, false, true);
    for (const topic of ['a', 'b', 'c']) await bridge.subscribe(topic, () => {});
  });

  it('a session that leaves takes its count with it: its subscriptions are gone for everyone', async () => {
    const h = harness({ maxSubscriptionsPerSession: 1 });
    const { peer } = await h.join();
    peer.raw([T.SUBSCRIBE, 1, {}, 'a']);
    peer.take();
    assert.equal(h.router.realm('realm1')!.broker.subscriptionCount(), 1);
    peer.raw([T.GOODBYE, {}, 'wamp.close.normal']);
    assert.equal(h.router.realm('realm1')!.broker.subscriptionCount(), 0);
  });
});

describe('per-session limit: registrations', () => {
  it('refuses a registration over the limit (shared and pattern ones count) and frees a place on UNREGISTER', async () => {
    const h = harness({ maxRegistrationsPerSession: 2 });
    const other = await h.join();
    other.peer.raw([T.REGISTER, 1, { invoke: 'roundrobin' }, 'shared']);
    onlyMessage(other.peer.take(), T.REGISTERED);

    const { peer } = await h.join();
    peer.raw([T.REGISTER, 1, {}, 'p1']);
    const p1 = onlyMessage(peer.take(), T.REGISTERED).registration;
    peer.raw([T.REGISTER, 2, { match: 'prefix' }, 'p2']);
    onlyMessage(peer.take(), T.REGISTERED);
    peer.raw([T.REGISTER, 3, {}, 'p3']);
    assertLimitError(peer.take(), T.REGISTER, 3, /max_registrations_per_session is 2/);
    peer.raw([T.REGISTER, 4, { invoke: 'roundrobin' }, 'shared']);
    assertLimitError(peer.take(), T.REGISTER, 4, /max_registrations_per_session/);
    // A refusal that is not about the limit keeps its own error.
    peer.raw([T.REGISTER, 5, {}, 'p1']);
    assert.equal(onlyMessage(peer.take(), T.ERROR).error, ErrorUri.procedureAlreadyExists);

    peer.raw([T.UNREGISTER, 6, p1]);
    onlyMessage(peer.take(), T.UNREGISTERED);
    peer.raw([T.REGISTER, 7, { invoke: 'roundrobin' }, 'shared']);
    onlyMessage(peer.take(), T.REGISTERED);
    peer.raw([T.REGISTER, 8, {}, 'p3']);
    assertLimitError(peer.take(), T.REGISTER, 8, /max_registrations_per_session/);
  });

  it('exempts the router\'s trusted sessions', async () => {
    const h = harness({ maxRegistrationsPerSession: 1 });
    const trusted = await joinInternal(h, true);
    for (const procedure of ['a', 'b', 'c']) await trusted.register(procedure, () => null);
    const bridge = await joinInternal(h, false);
    await bridge.register('d', () => null);
    await assert.rejects(bridge.register('e', () => null), (error: InternalCallError) => error.uri === ErrorUri.limitExceeded);
  });
});

describe('per-session limit: calls in flight', () => {
  /** realm1 with at most `max` calls in flight per session, a callee of "slow" that never answers by itself, and a caller. */
  async function setUp(max: number, calleeRoles: Dict = allRoles) {
    const h = harness({ maxCallsInFlightPerSession: max });
    const callee = await h.join(calleeRoles);
    callee.peer.raw([T.REGISTER, 1, {}, 'slow']);
    callee.peer.take();
    const caller = await h.join();
    let request = 100;
    /**
     * Sends `accepted` + 1 CALLs: the first `accepted` must reach the callee, the last must be
     * refused for the limit. Returns the caller requests and the callee's INVOCATION requests.
     */
    const fill = (accepted: number, options: Dict = {}) => {
      const calls: { call: number; invocation: number }[] = [];
      for (let i = 0; i < accepted; i++) {
        caller.peer.raw([T.CALL, ++request, options, 'slow']);
        calls.push({ call: request, invocation: onlyMessage(callee.peer.take(), T.INVOCATION).request });
      }
      caller.peer.raw([T.CALL, ++request, options, 'slow']);
      assertLimitError(caller.peer.take(), T.CALL, request, /max_calls_in_flight_per_session is \d+/);
      assert.deepEqual(callee.peer.take(), [], 'a refused call never reaches the callee');
      return calls;
    };
    return { h, callee, caller, fill };
  }

  it('frees exactly one place for each final RESULT, ERROR, cancel (killnowait and skip) and timeout', async () => {
    const { h, callee, caller, fill } = await setUp(2);
    const [first, second] = fill(2);

    callee.peer.raw([T.YIELD, first!.invocation, {}, ['done']]);
    assert.equal(onlyMessage(caller.peer.take(), T.RESULT).request, first!.call);
    const [third] = fill(1);

    callee.peer.raw([T.ERROR, T.INVOCATION, second!.invocation, {}, 'app.failed']);
    assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, 'app.failed');
    const [timed] = fill(1, { timeout: 50 });

    caller.peer.raw([T.CANCEL, third!.call, { mode: 'killnowait' }]);
    onlyMessage(callee.peer.take(), T.INTERRUPT);
    assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, ErrorUri.canceled);
    // The callee's late answer to the canceled call frees nothing more.
    callee.peer.raw([T.YIELD, third!.invocation, {}, ['late']]);
    assert.deepEqual(caller.peer.take(), []);
    const [fourth] = fill(1);

    caller.peer.raw([T.CANCEL, fourth!.call, { mode: 'skip' }]);
    assert.deepEqual(caller.peer.take(), [], 'skip answers the caller nothing, and still frees the place');
    callee.peer.raw([T.YIELD, fourth!.invocation, {}, ['late']]);
    assert.deepEqual(caller.peer.take(), []);
    const [fifth] = fill(1);

    h.clock.advance(50);
    onlyMessage(callee.peer.take(), T.INTERRUPT);
    assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, ErrorUri.timeout);
    callee.peer.raw([T.ERROR, T.INVOCATION, timed!.invocation, {}, 'app.late']);
    assert.deepEqual(caller.peer.take(), []);
    fill(1);
    assert.ok(fifth);
  });

  it('a progressive result keeps the call in flight; calls refused for other reasons do not count', async () => {
    const { callee, caller, fill } = await setUp(1);
    caller.peer.raw([T.CALL, 1, {}, 'nobody.registered.this']);
    assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, ErrorUri.noSuchProcedure);
    const [call] = fill(1, { receive_progress: true });
    callee.peer.raw([T.YIELD, call!.invocation, { progress: true }, ['part']]);
    assert.equal(onlyMessage(caller.peer.take(), T.RESULT).details.progress, true);
    fill(0);
    callee.peer.raw([T.YIELD, call!.invocation, {}, ['whole']]);
    onlyMessage(caller.peer.take(), T.RESULT);
    fill(1);
  });

  it('the callee leaving ends its calls and frees their places', async () => {
    const { h, callee, caller, fill } = await setUp(2);
    fill(2);
    callee.peer.raw([T.GOODBYE, {}, 'wamp.close.normal']);
    const errors = caller.peer.take().filter((message) => message.type === T.ERROR);
    assert.equal(errors.length, 2);
    const replacement = await h.join();
    replacement.peer.raw([T.REGISTER, 1, {}, 'slow']);
    replacement.peer.take();
    let request = 500;
    for (let i = 0; i < 2; i++) caller.peer.raw([T.CALL, ++request, {}, 'slow']);
    assert.equal(replacement.peer.take().filter((message) => message.type === T.INVOCATION).length, 2);
    caller.peer.raw([T.CALL, ++request, {}, 'slow']);
    assertLimitError(caller.peer.take(), T.CALL, request, /max_calls_in_flight_per_session/);
  });

  it('further chunks of a progressive call in flight are not new calls', async () => {
    const roles = { ...allRoles, callee: { features: { call_canceling: true, progressive_call_invocations: true } } };
    const { callee, caller } = await setUp(1, roles);
    caller.peer.raw([T.CALL, 1, { progress: true }, 'slow', [1]]);
    const invocation = onlyMessage(callee.peer.take(), T.INVOCATION).request;
    caller.peer.raw([T.CALL, 1, { progress: true }, 'slow', [2]]);
    caller.peer.raw([T.CALL, 1, {}, 'slow', [3]]);
    assert.deepEqual(callee.peer.take().map((message) => message.type === T.INVOCATION && message.request), [invocation, invocation]);
    assert.deepEqual(caller.peer.take(), []);
  });

  it('exempts the router\'s trusted sessions and bridge sessions; other internal sessions are limited', async () => {
    const { callee, h } = await setUp(1);
    const trusted = await joinInternal(h, true);
    const outcomes = [trusted.call('slow'), trusted.call('slow')];
    await flush();
    assert.equal(callee.peer.take().filter((message) => message.type === T.INVOCATION).length, 2);
    const bridge = await joinInternal(h, false);
    const pending = bridge.call('slow');
    await flush();
    await assert.rejects(bridge.call('slow'), (error: InternalCallError) => error.uri === ErrorUri.limitExceeded);
    assert.equal(callee.peer.take().filter((message) => message.type === T.INVOCATION).length, 1);
    void Promise.allSettled([...outcomes, pending]);
  });
});

describe('per-session limit: publish rate', () => {
  async function setUp(perSecond: number, burst: number) {
    const log = new CaptureLog();
    const h = harness({ publishRate: { perSecond, burst } }, log);
    const subscriber = await h.join();
    subscriber.peer.raw([T.SUBSCRIBE, 1, {}, 't']);
    subscriber.peer.take();
    const publisher = await h.join();
    let request = 0;
    /** Publishes `count` times; returns what the publisher got back. */
    const publish = (count: number, options: Dict = { acknowledge: true }) => {
      for (let i = 0; i < count; i++) publisher.peer.raw([T.PUBLISH, ++request, options, 't', [request]]);
      return publisher.peer.take();
    };
    const events = (peer: MemoryPeer) => peer.take().filter((message) => message.type === T.EVENT).length;
    const rateLimited = () => h.router.metrics.publishRateLimited.value({ realm: 'realm1' });
    const warnings = () => log.lines.filter((line) => line.level === 'warn' && /publish rate/.test(line.message));
    return { h, subscriber, publish, events, rateLimited, warnings };
  }

  const types = (messages: WampMessage[]) => messages.map((message) => message.type === T.ERROR ? message.error : message.type);

  it('acknowledged publications over the burst get ERROR limit_exceeded; the bucket refills with time, up to the burst', async () => {
    const { h, subscriber, publish, events, rateLimited } = await setUp(2, 3);
    const replies = publish(4);
    assert.deepEqual(types(replies), [T.PUBLISHED, T.PUBLISHED, T.PUBLISHED, ErrorUri.limitExceeded]);
    assert.match(String((replies[3] as Extract<WampMessage, { type: typeof T.ERROR }>).args?.[0]), /publish_rate allows this session 2 publications per second \(burst 3\)/);
    assert.equal(events(subscriber.peer), 3);
    assert.equal(rateLimited(), 1);

    h.clock.advance(500);
    assert.deepEqual(types(publish(2)), [T.PUBLISHED, ErrorUri.limitExceeded]);
    h.clock.advance(60_000);
    assert.deepEqual(types(publish(4)), [T.PUBLISHED, T.PUBLISHED, T.PUBLISHED, ErrorUri.limitExceeded]);
    assert.equal(events(subscriber.peer), 4);
    assert.equal(rateLimited(), 3);
  });

  it('unacknowledged publications over the rate are dropped silently, counted, and logged once per 10 s per session', async () => {
    const { h, subscriber, publish, events, rateLimited, warnings } = await setUp(1, 2);
    assert.deepEqual(publish(5, {}), [], 'WAMP has no way to tell an unacknowledged publisher');
    assert.equal(events(subscriber.peer), 2);
    assert.equal(rateLimited(), 3);
    assert.equal(warnings().length, 1);
    assert.equal(warnings()[0]!.fields.refused, 1);

    h.clock.advance(9_000); // 2 tokens back (the burst), 9 s since the warning
    assert.deepEqual(publish(4, {}), []);
    assert.equal(events(subscriber.peer), 2);
    assert.equal(warnings().length, 1, 'no second warning within 10 s');
    h.clock.advance(1_000);
    publish(2, {});
    assert.equal(warnings().length, 2);
    // 2 refused after the first warning at 0 s, 2 at 9 s, 1 now.
    assert.equal(warnings()[1]!.fields.refused, 5, 'the warning counts every refusal since the last one');
    assert.equal(rateLimited(), 6);
  });

  it('exempts the router\'s trusted sessions and bridge sessions; other internal sessions are limited', async () => {
    const { h, events, subscriber } = await setUp(1, 1);
    const trusted = await joinInternal(h, true);
    for (let i = 0; i < 5; i++) await trusted.publishAcknowledged('t');
    assert.equal(events(subscriber.peer), 5);
    const internal = await joinInternal(h, false);
    await internal.publishAcknowledged('t');
    await assert.rejects(internal.publishAcknowledged('t'), (error: InternalCallError) => error.uri === ErrorUri.limitExceeded);
    // The HTTP publisher's session carries every HTTP client's publications: not rate-limited as one client.
    const bridge = await joinInternal(h, false, true);
    for (let i = 0; i < 5; i++) await bridge.publishAcknowledged('t');
  });

  it('per_second 0 means no rate limit', async () => {
    const { publish, rateLimited } = await setUp(0, 0);
    assert.ok(publish(50).every((message) => message.type === T.PUBLISHED));
    assert.equal(rateLimited(), 0);
  });
});

describe('per-session limits: defaults', () => {
  it('a realm that names no limits gets the defaults (a burst of 2000 publications)', async () => {
    const h = new RouterHarness();
    const { peer } = await h.join();
    for (let request = 1; request <= 2001; request++) peer.raw([T.PUBLISH, request, { acknowledge: true }, 't']);
    const replies = peer.take();
    assert.equal(replies.filter((message) => message.type === T.PUBLISHED).length, 2000);
    assertLimitError(replies.slice(2000), T.PUBLISH, 2001, /publish_rate/);
  });
});

describe('refused publications and unencodable events do not flood the log', () => {
  it('a refused PUBLISH is counted every time and logged at the session\'s first, then at most every 10 s with the count', async () => {
    const log = new CaptureLog();
    const h = harness({}, log);
    const publisher = await h.join();
    const lines = () => log.lines.filter((line) => /publication refused/.test(line.message));
    const refusedCount = () => h.router.metrics.publicationsRefused.value({ realm: 'realm1', error: ErrorUri.invalidUri });
    for (let request = 1; request <= 50; request++) publisher.peer.raw([T.PUBLISH, request, {}, 'bad uri']);
    publisher.peer.raw([T.PUBLISH, 51, { acknowledge: true }, 'bad uri']);
    assert.equal((publisher.peer.take()[0] as Extract<WampMessage, { type: typeof T.ERROR }>).error, ErrorUri.invalidUri, 'an acknowledged one is still answered');
    assert.equal(refusedCount(), 51);
    assert.equal(lines().length, 1);
    assert.equal(lines()[0]!.fields.refused, 1);
    h.clock.advance(10_000);
    publisher.peer.raw([T.PUBLISH, 52, {}, 'bad uri']);
    assert.equal(lines().length, 2);
    assert.equal(lines()[1]!.fields.refused, 51, 'the line counts every refusal since the last one');
    const other = await h.join();
    other.peer.raw([T.PUBLISH, 1, {}, 'bad uri']);
    assert.equal(lines().length, 3, 'another session\'s first refusal is logged');
  });

  it('an event a subscriber cannot encode is counted every time and warned at its first, then at most every 10 s with the count', async () => {
    const log = new CaptureLog();
    const h = harness({}, log);
    const subscriber = await h.join();
    subscriber.peer.raw([T.SUBSCRIBE, 1, {}, 't']);
    subscriber.peer.take();
    // This peer's serializer fails every EVENT (as msgpack fails a bignum).
    subscriber.peer.send = (envelope) => {
      if (envelope.message.type === T.EVENT) throw new Error('cannot encode this');
      subscriber.peer.inbox.push(envelope.message);
    };
    const publisher = await h.join();
    for (let request = 1; request <= 30; request++) publisher.peer.raw([T.PUBLISH, request, {}, 't', [request]]);
    const warnings = () => log.lines.filter((line) => line.level === 'warn' && /not encodable/.test(line.message));
    assert.equal(h.router.metrics.unencodable.value({ type: 'EVENT', serializer: 'none' }), 30);
    assert.equal(warnings().length, 1);
    h.clock.advance(10_000);
    publisher.peer.raw([T.PUBLISH, 31, {}, 't', [31]]);
    assert.equal(warnings().length, 2);
    assert.equal(warnings()[1]!.fields.count, 30);
  });
});

describe('refusals over a per-session limit', () => {
  it('are counted by realm and limit, and warned at most once per 10 s per limit with how many since the last warning', async () => {
    const log = new CaptureLog();
    const h = harness({ maxSubscriptionsPerSession: 1, maxRegistrationsPerSession: 1, maxCallsInFlightPerSession: 1 }, log);
    const { peer } = await h.join();
    const refused = (limit: string) => h.router.metrics.sessionLimitRefused.value({ realm: 'realm1', limit });
    const warnings = () => log.lines.filter((line) => line.level === 'warn' && /per-session limit/.test(line.message));
    peer.raw([T.SUBSCRIBE, 1, {}, 'a']);
    peer.raw([T.SUBSCRIBE, 2, {}, 'b']);
    peer.raw([T.SUBSCRIBE, 3, {}, 'c']);
    peer.raw([T.REGISTER, 4, {}, 'p']);
    peer.raw([T.REGISTER, 5, {}, 'q']);
    peer.raw([T.CALL, 6, {}, 'p']); // its own procedure: in flight until it yields
    peer.raw([T.CALL, 7, {}, 'p']);
    await flush();
    assert.equal(refused('max_subscriptions_per_session'), 2);
    assert.equal(refused('max_registrations_per_session'), 1);
    assert.equal(refused('max_calls_in_flight_per_session'), 1);
    assert.deepEqual(warnings().map((line) => [line.fields.limit, line.fields.max, line.fields.refused]), [
      ['max_subscriptions_per_session', 1, 1], ['max_registrations_per_session', 1, 1], ['max_calls_in_flight_per_session', 1, 1],
    ]);
    h.clock.advance(10_000);
    peer.raw([T.SUBSCRIBE, 8, {}, 'd']);
    await flush();
    assert.equal(refused('max_subscriptions_per_session'), 3);
    assert.deepEqual(warnings().at(-1)!.fields.refused, 2, 'the refusal held back and this one');
  });
});
