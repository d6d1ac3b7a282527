import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../protocol/codes.js';
import { maxUriLength } from '../protocol/uri.js';
import type { AuthGate, AuthOutcome } from './hooks.js';
import { InternalSession } from './internal-session.js';
import { allRoles, flush, MemoryPeer, onlyMessage, RouterHarness } from '../../test/support/router-harness.js';

describe('router - session lifecycle', () => {
  it('answers HELLO with WELCOME carrying the identity and the router roles', async () => {
    const h = new RouterHarness();
    const { id, welcome } = await h.join();
    assert.ok(Number.isInteger(id) && id >= 1 && id <= 2 ** 53);
    assert.equal(welcome.authrole, 'anonymous');
    assert.equal(welcome.authmethod, 'anonymous');
    assert.equal(welcome.realm, 'realm1');
    const roles = welcome.roles as Record<string, { features: object }>;
    assert.ok(roles.broker && roles.dealer);
  });

  it('aborts HELLO for an unknown realm with wamp.error.no_such_realm', async () => {
    const h = new RouterHarness();
    const peer = h.connect();
    peer.raw([T.HELLO, 'nowhere', { roles: allRoles }]);
    await flush();
    const abort = onlyMessage(peer.take(), T.ABORT);
    assert.equal(abort.reason, 'wamp.error.no_such_realm');
    assert.match(String(abort.details.message), /nowhere/);
    assert.ok(peer.closed);
  });

  it('signs in toward a realm it lacks, as Crossbar: the sign-in may place the session in a realm it has', async () => {
    const asked: (string | null)[] = [];
    // A principal with a `realm` of its own (cryptosign static, a dynamic authenticator's answer).
    const gate: AuthGate = {
      hello: (request) => {
        asked.push(request.realm);
        const realm = request.details.authid === 'placed' ? { realm: 'realm1' } : {};
        return { kind: 'welcome', identity: { authid: String(request.details.authid), authrole: 'anonymous', authmethod: 'ticket', authprovider: 'static', ...realm } };
      },
    };
    const h = new RouterHarness({ gate });
    const placed = h.connect();
    placed.raw([T.HELLO, 'crossbardemo', { roles: allRoles, authid: 'placed' }]);
    await flush();
    assert.equal(onlyMessage(placed.take(), T.WELCOME).details.realm, 'realm1');

    const unplaced = h.connect();
    unplaced.raw([T.HELLO, 'crossbardemo', { roles: allRoles, authid: 'unplaced' }]);
    await flush();
    const abort = onlyMessage(unplaced.take(), T.ABORT);
    assert.equal(abort.reason, 'wamp.error.no_such_realm');
    assert.match(String(abort.details.message), /crossbardemo/);
    assert.deepEqual(asked, ['crossbardemo', 'crossbardemo'], 'the gate saw the realm the client asked for');

    // Autobahn|Python sends a null realm when the client names none.
    const none = h.connect();
    none.raw([T.HELLO, null, { roles: allRoles, authid: 'placed' }]);
    await flush();
    assert.equal(onlyMessage(none.take(), T.WELCOME).details.realm, 'realm1');
    const nowhere = h.connect();
    nowhere.raw([T.HELLO, null, { roles: allRoles, authid: 'unplaced' }]);
    await flush();
    const noRealm = onlyMessage(nowhere.take(), T.ABORT);
    assert.deepEqual([noRealm.reason, noRealm.details.message], ['wamp.error.no_such_realm', 'no realm requested']);
    assert.deepEqual(asked.slice(2), [null, null]);
  });

  it('holds what a client sends while it signs in toward a realm it lacks to the tightest queue limits of its realms', async () => {
    // A sign-in still deciding (a dynamic authenticator's call): what the client pipelines waits behind it.
    let decide: (outcome: AuthOutcome) => void = () => undefined;
    const gate: AuthGate = { hello: () => new Promise<AuthOutcome>((resolve) => { decide = resolve; }) };
    const h = new RouterHarness({ gate, realm: { limits: { maxQueuedMessagesPerSession: 3 } } });
    const peer = h.connect();
    peer.raw([T.HELLO, 'elsewhere', { roles: allRoles }]);
    await flush();
    for (let request = 1; request <= 5 && !peer.closed; request++) peer.raw([T.SUBSCRIBE, request, {}, 'a.topic']);
    const abort = onlyMessage(peer.take(), T.ABORT);
    assert.equal(abort.reason, 'junction.error.limit_exceeded');
    assert.ok(peer.closed);
    decide({ kind: 'deny', reason: 'wamp.error.not_authorized', message: 'late' });
  });

  it('aborts a HELLO without roles, a message before HELLO, and a second HELLO', async () => {
    const h = new RouterHarness();
    const noRoles = h.connect();
    noRoles.raw([T.HELLO, 'realm1', {}]);
    await flush();
    assert.match(String(onlyMessage(noRoles.take(), T.ABORT).details.message), /roles/);

    const early = h.connect();
    early.raw([T.PUBLISH, 1, {}, 'a.topic']);
    const abort = onlyMessage(early.take(), T.ABORT);
    assert.equal(abort.reason, 'wamp.error.protocol_violation');
    assert.match(String(abort.details.message), /PUBLISH received before HELLO/);

    const { peer } = await h.join();
    peer.raw([T.HELLO, 'realm1', { roles: allRoles }]);
    assert.match(String(onlyMessage(peer.take(), T.ABORT).details.message), /HELLO received on an established session/);
  });

  it('aborts a malformed message with the parser reason and keeps serving other sessions', async () => {
    const h = new RouterHarness();
    const bad = await h.join();
    const good = await h.join();
    bad.peer.raw([T.PUBLISH, 'not-an-id', {}, 'x']);
    const abort = onlyMessage(bad.peer.take(), T.ABORT);
    assert.equal(abort.reason, 'wamp.error.protocol_violation');
    assert.match(String(abort.details.message), /PUBLISH request/);
    good.peer.raw([T.SUBSCRIBE, 1, {}, 'still.works']);
    assert.equal(onlyMessage(good.peer.take(), T.SUBSCRIBED).request, 1);
  });

  it('aborts messages a client may not send, such as EVENT or WELCOME', async () => {
    const h = new RouterHarness();
    const { peer } = await h.join();
    peer.raw([T.WELCOME, 5, {}]);
    assert.match(String(onlyMessage(peer.take(), T.ABORT).details.message), /WELCOME is not a message a client may send/);
  });

  it('answers GOODBYE with wamp.close.normal (Crossbar\'s reason) and cleans up', async () => {
    const h = new RouterHarness();
    const { peer } = await h.join();
    peer.raw([T.SUBSCRIBE, 1, {}, 'a']);
    peer.take();
    peer.raw([T.GOODBYE, {}, 'wamp.close.close_realm']);
    const goodbye = onlyMessage(peer.take(), T.GOODBYE);
    assert.equal(goodbye.reason, 'wamp.close.normal');
    assert.ok(peer.closed);
    assert.equal(h.router.realm('realm1')!.broker.subscriptionCount(), 0);
    assert.equal(h.router.sessionCount, 0);
  });

  it('says GOODBYE wamp.close.system_shutdown to every session on shutdown', async () => {
    const h = new RouterHarness();
    const a = await h.join();
    const b = await h.join();
    const done = h.router.shutdown(1_000);
    assert.equal(onlyMessage(a.peer.take(), T.GOODBYE).reason, 'wamp.close.system_shutdown');
    assert.equal(onlyMessage(b.peer.take(), T.GOODBYE).reason, 'wamp.close.system_shutdown');
    a.peer.raw([T.GOODBYE, {}, 'wamp.close.goodbye_and_out']);
    b.peer.link.detach();
    await done;
    assert.equal(a.peer.take().length, 0, 'no GOODBYE echo to a GOODBYE reply');
    assert.equal(h.router.sessionCount, 0);
  });

  it('refuses client sessions once the node begins to stop, before any sign-in, while joined and internal sessions go on', async () => {
    let signIns = 0;
    const h = new RouterHarness();
    const joined = await h.join();
    h.router.refuseClientSessions();
    const gate: AuthGate = { hello: () => (signIns++, { kind: 'welcome', identity: { authid: 'a', authrole: 'anonymous', authmethod: 'anonymous', authprovider: 'static' } }) };
    const late = new MemoryPeer();
    late.link = h.router.attach(late, gate);
    late.raw([T.HELLO, 'realm1', { roles: allRoles }]);
    await flush();
    assert.equal(onlyMessage(late.take(), T.ABORT).reason, 'wamp.close.system_shutdown');
    assert.ok(late.closed);
    assert.equal(signIns, 0, 'the sign-in is not asked');
    assert.equal(h.router.metrics.sessionsRefusedStopping.value({ transport: 'memory' }), 1);
    const internal = await InternalSession.join(h.router.attach.bind(h.router), 'realm1', { authid: 'component', authrole: 'trusted' });
    assert.equal(await internal.publishAcknowledged('topic1', [1]) > 0, true);
    joined.peer.raw([T.PUBLISH, 1, { acknowledge: true }, 'topic1', []]);
    await flush();
    assert.equal(onlyMessage(joined.peer.take(), T.PUBLISHED).request, 1);
  });

  it('closes a session whose transport cannot send even the ABORT that replaces an undeliverable message, without replacing that ABORT again', async () => {
    class BrokenPeer extends MemoryPeer {
      override send(): void {
        throw new TypeError('the transport is broken');
      }
    }
    const h = new RouterHarness();
    const peer = h.connect({}, new BrokenPeer());
    peer.raw([T.HELLO, 'realm1', { roles: allRoles }]);
    await flush();
    assert.ok(peer.closed);
    assert.equal(h.router.sessionCount, 0);
    const unencodable = (type: string) => h.router.metrics.unencodable.value({ type, serializer: 'none' });
    assert.deepEqual([unencodable('WELCOME'), unencodable('ABORT')], [1, 1]);
  });
});

describe('router - broker', () => {
  it('gives every subscriber of one topic the same subscription ID and delivers args and kwargs', async () => {
    const h = new RouterHarness();
    const s1 = await h.join();
    const s2 = await h.join();
    const pub = await h.join();
    s1.peer.raw([T.SUBSCRIBE, 1, {}, 'chat.room1']);
    s2.peer.raw([T.SUBSCRIBE, 7, {}, 'chat.room1']);
    const sub1 = onlyMessage(s1.peer.take(), T.SUBSCRIBED);
    const sub2 = onlyMessage(s2.peer.take(), T.SUBSCRIBED);
    assert.equal(sub1.subscription, sub2.subscription);
    pub.peer.raw([T.PUBLISH, 3, { acknowledge: true }, 'chat.room1', ['hello'], { from: 'pub' }]);
    const published = onlyMessage(pub.peer.take(), T.PUBLISHED);
    for (const subscriber of [s1, s2]) {
      const event = onlyMessage(subscriber.peer.take(), T.EVENT);
      assert.equal(event.subscription, sub1.subscription);
      assert.equal(event.publication, published.publication);
      assert.deepEqual(event.args, ['hello']);
      assert.deepEqual(event.kwargs, { from: 'pub' });
    }
  });

  it('excludes the publisher from its own event unless exclude_me is false', async () => {
    const h = new RouterHarness();
    const { peer } = await h.join();
    peer.raw([T.SUBSCRIBE, 1, {}, 'echo']);
    peer.take();
    peer.raw([T.PUBLISH, 2, {}, 'echo', [1]]);
    assert.equal(peer.take().length, 0);
    peer.raw([T.PUBLISH, 3, { exclude_me: false }, 'echo', [2]]);
    assert.deepEqual(onlyMessage(peer.take(), T.EVENT).args, [2]);
  });

  it('applies eligible and exclude lists, exclusion winning', async () => {
    const h = new RouterHarness();
    const a = await h.join();
    const b = await h.join();
    const pub = await h.join();
    for (const s of [a, b]) {
      s.peer.raw([T.SUBSCRIBE, 1, {}, 't']);
      s.peer.take();
    }
    pub.peer.raw([T.PUBLISH, 1, { eligible: [a.id, b.id], exclude: [b.id] }, 't']);
    assert.equal(a.peer.take().length, 1);
    assert.equal(b.peer.take().length, 0);
  });

  it('discloses the publisher when asked', async () => {
    const h = new RouterHarness();
    const sub = await h.join();
    const pub = await h.join();
    sub.peer.raw([T.SUBSCRIBE, 1, {}, 't']);
    sub.peer.take();
    pub.peer.raw([T.PUBLISH, 1, { disclose_me: true }, 't']);
    const event = onlyMessage(sub.peer.take(), T.EVENT);
    assert.equal(event.details.publisher, pub.id);
    assert.equal(event.details.publisher_authrole, 'anonymous');
  });

  it('unsubscribes, and refuses an unknown subscription with wamp.error.no_such_subscription', async () => {
    const h = new RouterHarness();
    const { peer } = await h.join();
    peer.raw([T.SUBSCRIBE, 1, {}, 't']);
    const { subscription } = onlyMessage(peer.take(), T.SUBSCRIBED);
    peer.raw([T.UNSUBSCRIBE, 2, subscription]);
    assert.equal(onlyMessage(peer.take(), T.UNSUBSCRIBED).request, 2);
    peer.raw([T.UNSUBSCRIBE, 3, subscription]);
    const error = onlyMessage(peer.take(), T.ERROR);
    assert.equal(error.error, 'wamp.error.no_such_subscription');
    assert.equal(error.requestType, T.UNSUBSCRIBE);
  });

  it('refuses invalid and reserved URIs with wamp.error.invalid_uri', async () => {
    const h = new RouterHarness();
    const { peer } = await h.join();
    peer.raw([T.SUBSCRIBE, 1, {}, 'bad..uri']);
    assert.equal(onlyMessage(peer.take(), T.ERROR).error, 'wamp.error.invalid_uri');
    peer.raw([T.PUBLISH, 2, { acknowledge: true }, 'wamp.session.on_join']);
    const error = onlyMessage(peer.take(), T.ERROR);
    assert.equal(error.error, 'wamp.error.invalid_uri');
    assert.match(String(error.args?.[0]), /reserved/);
    peer.raw([T.PUBLISH, 3, {}, 'has space']);
    assert.equal(peer.take().length, 0, 'no reply without acknowledge');
  });

  it('refuses subscriptions, registrations, calls and publications of URIs longer than maxUriLength (the router would hold them), without echoing them, and counts each', async () => {
    const h = new RouterHarness();
    const { peer } = await h.join();
    const long = `com.${'x'.repeat(maxUriLength)}`;
    const cases = [
      [[T.SUBSCRIBE, 1, {}, long], T.SUBSCRIBE], [[T.SUBSCRIBE, 2, { match: 'prefix' }, long], T.SUBSCRIBE],
      [[T.REGISTER, 3, {}, long], T.REGISTER], [[T.CALL, 4, {}, long], T.CALL], [[T.PUBLISH, 5, { acknowledge: true }, long], T.PUBLISH],
    ] as const;
    for (const [message, kind] of cases) {
      peer.raw(message);
      const error = onlyMessage(peer.take(), T.ERROR);
      assert.equal(error.requestType, kind);
      assert.equal(error.error, 'wamp.error.invalid_uri');
      assert.match(String(error.args?.[0]), new RegExp(`longer than ${maxUriLength} characters`));
      assert.ok(String(error.args?.[0]).length < 400);
    }
    assert.equal(h.router.realm('realm1')!.broker.subscriptionCount(), 0);
    const refused = (message: string, reason = 'too_long', realm = 'realm1') => h.router.metrics.urisRefused.value({ realm, message, reason });
    assert.deepEqual(['subscribe', 'register', 'call', 'publish'].map((message) => refused(message)), [2, 1, 1, 1]);

    // A HELLO for a realm named by an over-long URI: ABORT, counted without a realm.
    const hello = h.connect();
    hello.raw([T.HELLO, long, { roles: allRoles }]);
    await flush();
    assert.equal(onlyMessage(hello.take(), T.ABORT).reason, 'wamp.error.invalid_uri');
    assert.equal(refused('hello', 'too_long', ''), 1);

    // Other refused URIs are counted by their reason.
    peer.raw([T.SUBSCRIBE, 6, {}, 'bad..uri']);
    peer.raw([T.REGISTER, 7, {}, 'wamp.mine']);
    assert.equal(peer.take().length, 2);
    assert.equal(refused('subscribe', 'malformed'), 1);
    assert.equal(refused('register', 'reserved'), 1);
  });

  it('refuses options of the wrong type with wamp.error.invalid_argument', async () => {
    const h = new RouterHarness();
    const { peer } = await h.join();
    peer.raw([T.PUBLISH, 1, { acknowledge: true, exclude: ['x'] }, 't']);
    const error = onlyMessage(peer.take(), T.ERROR);
    assert.equal(error.error, 'wamp.error.invalid_argument');
    assert.match(String(error.args?.[0]), /exclude/);
  });

  it('removes the subscriptions of a session that vanishes without GOODBYE', async () => {
    const h = new RouterHarness();
    const sub = await h.join();
    const pub = await h.join();
    sub.peer.raw([T.SUBSCRIBE, 1, {}, 't']);
    sub.peer.link.detach();
    assert.equal(h.router.realm('realm1')!.broker.subscriptionCount(), 0);
    pub.peer.raw([T.PUBLISH, 1, { acknowledge: true }, 't']);
    assert.equal(onlyMessage(pub.peer.take(), T.PUBLISHED).request, 1);
  });
});

describe('router - dealer', () => {
  async function registered(h: RouterHarness, procedure = 'com.add') {
    const callee = await h.join();
    callee.peer.raw([T.REGISTER, 1, {}, procedure]);
    const { registration } = onlyMessage(callee.peer.take(), T.REGISTERED);
    return { ...callee, registration };
  }

  it('routes CALL → INVOCATION → YIELD → RESULT with args and kwargs', async () => {
    const h = new RouterHarness();
    const callee = await registered(h);
    const caller = await h.join();
    caller.peer.raw([T.CALL, 9, {}, 'com.add', [2, 3], { mode: 'sum' }]);
    const invocation = onlyMessage(callee.peer.take(), T.INVOCATION);
    assert.equal(invocation.registration, callee.registration);
    assert.deepEqual(invocation.args, [2, 3]);
    assert.deepEqual(invocation.kwargs, { mode: 'sum' });
    callee.peer.raw([T.YIELD, invocation.request, {}, [5], { ok: true }]);
    const result = onlyMessage(caller.peer.take(), T.RESULT);
    assert.equal(result.request, 9);
    assert.deepEqual(result.args, [5]);
    assert.deepEqual(result.kwargs, { ok: true });
  });

  it('at a stop, tells a client GOODBYE once its call in flight is answered, ends calls unanswered within the grace with wamp.error.canceled, spares the sessions it is told to, and disconnects those that do not answer', async () => {
    const h = new RouterHarness();
    const pass = async (ms: number): Promise<void> => {
      for (let passed = 0; passed < ms; passed += 10) {
        h.clock.advance(10);
        await flush();
      }
    };
    const callee = await registered(h); // stands for a router Python component: spared
    const caller = await h.join();
    const stuck = await h.join();
    const silent = await h.join();
    caller.peer.raw([T.CALL, 9, {}, 'com.add', [2, 3]]);
    stuck.peer.raw([T.CALL, 7, {}, 'com.add', [0, 0]]);
    const [answered, unanswered] = callee.peer.take().map((message) => message as { type: number; request: number });
    let done = false;
    const closing = h.router.closeClientSessions(300, (session) => session.peer === callee.peer).then(() => (done = true));
    assert.equal(onlyMessage(silent.peer.take(), T.GOODBYE).reason, 'wamp.close.system_shutdown');
    await pass(100);
    assert.deepEqual([...caller.peer.take(), ...stuck.peer.take()], [], 'no GOODBYE while a call waits');
    callee.peer.raw([T.YIELD, answered!.request, {}, [5]]);
    assert.deepEqual(onlyMessage(caller.peer.take(), T.RESULT).args, [5]);
    await pass(50);
    assert.equal(onlyMessage(caller.peer.take(), T.GOODBYE).reason, 'wamp.close.system_shutdown');
    caller.peer.raw([T.GOODBYE, {}, 'wamp.close.goodbye_and_out']);
    assert.ok(caller.peer.closed);
    await pass(200); // the grace to finish calls is over
    const [error, goodbye] = stuck.peer.take() as { type: number; request?: number; error?: string; reason?: string }[];
    assert.deepEqual([error?.type, error?.request, error?.error], [T.ERROR, 7, 'wamp.error.canceled']);
    assert.deepEqual([goodbye?.type, goodbye?.reason], [T.GOODBYE, 'wamp.close.system_shutdown']);
    assert.equal(onlyMessage(callee.peer.take(), T.INTERRUPT).request, unanswered!.request);
    assert.ok(!done && !silent.peer.closed && !stuck.peer.closed, 'they have the grace to answer');
    await pass(300);
    await closing;
    assert.ok(silent.peer.closed && stuck.peer.closed, 'disconnected at the end of the grace');
    assert.deepEqual(callee.peer.take(), [], 'the spared session is told nothing');
    assert.equal(h.router.sessionCount, 1, 'the spared session stays');
  });

  it('refuses a second registration and a call to nothing', async () => {
    const h = new RouterHarness();
    await registered(h);
    const other = await h.join();
    other.peer.raw([T.REGISTER, 1, {}, 'com.add']);
    assert.equal(onlyMessage(other.peer.take(), T.ERROR).error, 'wamp.error.procedure_already_exists');
    other.peer.raw([T.CALL, 2, {}, 'com.missing']);
    const error = onlyMessage(other.peer.take(), T.ERROR);
    assert.equal(error.error, 'wamp.error.no_such_procedure');
    assert.equal(error.requestType, T.CALL);
    assert.equal(error.request, 2);
  });

  it('passes a callee ERROR to the caller with its URI, args and kwargs', async () => {
    const h = new RouterHarness();
    const callee = await registered(h);
    const caller = await h.join();
    caller.peer.raw([T.CALL, 4, {}, 'com.add', [1]]);
    const invocation = onlyMessage(callee.peer.take(), T.INVOCATION);
    callee.peer.raw([T.ERROR, T.INVOCATION, invocation.request, {}, 'com.error.overflow', ['too big'], { limit: 10 }]);
    const error = onlyMessage(caller.peer.take(), T.ERROR);
    assert.equal(error.error, 'com.error.overflow');
    assert.deepEqual(error.args, ['too big']);
    assert.deepEqual(error.kwargs, { limit: 10 });
  });

  it('fails every pending call with wamp.error.canceled when the callee leaves', async () => {
    const h = new RouterHarness();
    const callee = await registered(h);
    const caller = await h.join();
    caller.peer.raw([T.CALL, 1, {}, 'com.add']);
    caller.peer.raw([T.CALL, 2, {}, 'com.add']);
    callee.peer.link.detach();
    const errors = caller.peer.take();
    assert.deepEqual(errors.map((m) => m.type === T.ERROR && [m.request, m.error]),
      [[1, 'wamp.error.canceled'], [2, 'wamp.error.canceled']]);
    caller.peer.raw([T.CALL, 3, {}, 'com.add']);
    assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, 'wamp.error.no_such_procedure');
  });

  it('interrupts the callee when the caller leaves, and ignores the late YIELD', async () => {
    const h = new RouterHarness();
    const callee = await registered(h);
    const caller = await h.join();
    caller.peer.raw([T.CALL, 1, {}, 'com.add']);
    const invocation = onlyMessage(callee.peer.take(), T.INVOCATION);
    caller.peer.link.detach();
    const interrupt = onlyMessage(callee.peer.take(), T.INTERRUPT);
    assert.equal(interrupt.request, invocation.request);
    callee.peer.raw([T.YIELD, invocation.request, {}]);
    assert.equal(h.router.realm('realm1')!.dealer.callsInFlight(), 0);
    assert.equal(callee.peer.take().length, 0);
  });

  it('streams progressive results when both sides asked for them', async () => {
    const h = new RouterHarness();
    const callee = await registered(h);
    const caller = await h.join();
    caller.peer.raw([T.CALL, 1, { receive_progress: true }, 'com.add']);
    const invocation = onlyMessage(callee.peer.take(), T.INVOCATION);
    assert.equal(invocation.details.receive_progress, true);
    callee.peer.raw([T.YIELD, invocation.request, { progress: true }, ['partial']]);
    callee.peer.raw([T.YIELD, invocation.request, {}, ['final']]);
    const [progress, final] = caller.peer.take();
    assert.ok(progress?.type === T.RESULT && progress.details.progress === true);
    assert.ok(final?.type === T.RESULT && final.details.progress === undefined);
    assert.deepEqual(final.args, ['final']);
  });

  it('times out a call with wamp.error.timeout and interrupts the callee', async () => {
    const h = new RouterHarness();
    const callee = await registered(h);
    const caller = await h.join();
    caller.peer.raw([T.CALL, 1, { timeout: 500 }, 'com.add']);
    const invocation = onlyMessage(callee.peer.take(), T.INVOCATION);
    h.clock.advance(499);
    assert.equal(caller.peer.take().length, 0);
    h.clock.advance(1);
    assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, 'wamp.error.timeout');
    assert.equal(onlyMessage(callee.peer.take(), T.INTERRUPT).request, invocation.request);
    callee.peer.raw([T.YIELD, invocation.request, {}, ['late']]);
    assert.equal(caller.peer.take().length, 0, 'a result after the timeout is dropped');
  });

  it('cancels in skip, kill and killnowait modes', async () => {
    const h = new RouterHarness();
    const callee = await registered(h);
    const caller = await h.join();

    caller.peer.raw([T.CALL, 1, {}, 'com.add']);
    callee.peer.take();
    caller.peer.raw([T.CANCEL, 1, { mode: 'skip' }]);
    assert.equal(caller.peer.take().length, 0, 'skip answers the caller nothing (as Crossbar)');
    assert.equal(callee.peer.take().length, 0, 'skip does not tell the callee');

    caller.peer.raw([T.CALL, 2, {}, 'com.add']);
    const killed = onlyMessage(callee.peer.take(), T.INVOCATION);
    caller.peer.raw([T.CANCEL, 2, { mode: 'kill' }]);
    assert.equal(onlyMessage(callee.peer.take(), T.INTERRUPT).options.mode, 'kill');
    assert.equal(caller.peer.take().length, 0, 'kill waits for the callee');
    callee.peer.raw([T.ERROR, T.INVOCATION, killed.request, {}, 'wamp.error.canceled']);
    assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, 'wamp.error.canceled');

    caller.peer.raw([T.CALL, 3, {}, 'com.add']);
    callee.peer.take();
    caller.peer.raw([T.CANCEL, 3, { mode: 'killnowait' }]);
    assert.equal(onlyMessage(callee.peer.take(), T.INTERRUPT).options.mode, 'killnowait');
    assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, 'wamp.error.canceled');

    caller.peer.raw([T.CANCEL, 3, {}]);
    assert.equal(caller.peer.take().length, 0, 'canceling a finished call does nothing');
  });

  it('shares a registration round-robin and refuses a different policy', async () => {
    const h = new RouterHarness();
    const a = await h.join();
    const b = await h.join();
    a.peer.raw([T.REGISTER, 1, { invoke: 'roundrobin' }, 'p']);
    b.peer.raw([T.REGISTER, 1, { invoke: 'roundrobin' }, 'p']);
    assert.equal(onlyMessage(a.peer.take(), T.REGISTERED).registration, onlyMessage(b.peer.take(), T.REGISTERED).registration);
    const c = await h.join();
    c.peer.raw([T.REGISTER, 1, { invoke: 'random' }, 'p']);
    assert.equal(onlyMessage(c.peer.take(), T.ERROR).error, 'wamp.error.procedure_exists_with_different_invocation_policy');
    for (const request of [1, 2, 3, 4]) c.peer.raw([T.CALL, request, {}, 'p']);
    assert.equal(a.peer.take().length, 2);
    assert.equal(b.peer.take().length, 2);
  });
});

describe('router - authorization', () => {
  it('refuses an unauthorized action with wamp.error.not_authorized naming action and URI', async () => {
    const h = new RouterHarness({ authorizer: { authorize: (_s, action) => ({ allow: action !== 'call' }) } });
    const { peer } = await h.join();
    peer.raw([T.CALL, 1, {}, 'com.secret']);
    const error = onlyMessage(peer.take(), T.ERROR);
    assert.equal(error.error, 'wamp.error.not_authorized');
    assert.match(String(error.args?.[0]), /not authorized to call "com.secret"/);
  });

  it('keeps message order when the authorizer answers asynchronously', async () => {
    const h = new RouterHarness({
      authorizer: { authorize: async (_s, _a, uri) => { await flush(); return { allow: uri !== 'denied' }; } },
    });
    const { peer } = await h.join();
    peer.raw([T.SUBSCRIBE, 1, {}, 'first']);
    peer.raw([T.SUBSCRIBE, 2, {}, 'denied']);
    peer.raw([T.SUBSCRIBE, 3, {}, 'third']);
    for (let i = 0; i < 6; i++) await flush();
    assert.deepEqual(peer.take().map((m) => [m.type, 'request' in m ? m.request : 0]),
      [[T.SUBSCRIBED, 1], [T.ERROR, 2], [T.SUBSCRIBED, 3]]);
  });

  it('denies when the authorizer throws (fail closed)', async () => {
    const h = new RouterHarness({ authorizer: { authorize: () => { throw new Error('boom'); } } });
    const { peer } = await h.join();
    peer.raw([T.REGISTER, 1, {}, 'p']);
    assert.equal(onlyMessage(peer.take(), T.ERROR).error, 'wamp.error.not_authorized');
  });
});

describe('router - payload passthru mode', () => {
  it('forwards an opaque payload and the ppt_* options untouched, for events and calls', async () => {
    const h = new RouterHarness();
    const sub = await h.join();
    const pub = await h.join();
    const bytes = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
    const ppt = { ppt_scheme: 'x_custom', ppt_serializer: 'cbor', ppt_cipher: 'xsalsa20poly1305', ppt_keyid: 'k1' };
    sub.peer.raw([T.SUBSCRIBE, 1, {}, 'secret.topic']);
    sub.peer.take();
    pub.peer.raw([T.PUBLISH, 1, { ...ppt }, 'secret.topic', bytes]);
    const event = onlyMessage(sub.peer.take(), T.EVENT);
    assert.deepEqual(event.payload, bytes);
    assert.equal(event.args, undefined);
    assert.deepEqual(event.details, ppt);

    sub.peer.raw([T.REGISTER, 2, {}, 'secret.proc']);
    sub.peer.take();
    pub.peer.raw([T.CALL, 2, { ...ppt }, 'secret.proc', bytes]);
    const invocation = onlyMessage(sub.peer.take(), T.INVOCATION);
    assert.deepEqual(invocation.payload, bytes);
    assert.equal(invocation.details.ppt_scheme, 'x_custom');
    sub.peer.raw([T.YIELD, invocation.request, { ...ppt }, new Uint8Array([1])]);
    const result = onlyMessage(pub.peer.take(), T.RESULT);
    assert.deepEqual(result.payload, new Uint8Array([1]));
    assert.equal(result.details.ppt_keyid, 'k1');
  });

  it('passes Autobahn|Python\'s spelling (enc_algo, enc_key, enc_serializer) on as Crossbar does', async () => {
    const h = new RouterHarness();
    const sub = await h.join();
    const pub = await h.join();
    const bytes = new Uint8Array([1, 2, 3]);
    const enc = { enc_algo: 'cryptobox', enc_key: 'a2V5', enc_serializer: 'json' };
    sub.peer.raw([T.SUBSCRIBE, 1, {}, 'boxed.topic']);
    sub.peer.raw([T.REGISTER, 2, {}, 'boxed.proc']);
    sub.peer.take();
    pub.peer.raw([T.PUBLISH, 1, { ...enc }, 'boxed.topic', bytes]);
    const event = onlyMessage(sub.peer.take(), T.EVENT);
    assert.deepEqual([event.payload, event.details], [bytes, enc]);
    pub.peer.raw([T.CALL, 2, { ...enc }, 'boxed.proc', bytes]);
    const invocation = onlyMessage(sub.peer.take(), T.INVOCATION);
    assert.deepEqual([invocation.payload, invocation.details], [bytes, enc]);
    sub.peer.raw([T.YIELD, invocation.request, { ...enc }, bytes]);
    assert.deepEqual(onlyMessage(pub.peer.take(), T.RESULT).details, enc);
  });
});
