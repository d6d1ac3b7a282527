import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../../protocol/codes.js';
import type { Args, Dict, WampMessage } from '../../protocol/messages.js';
import { allRoles, flush, RouterHarness, type HarnessOptions, type MemoryPeer } from '../../../test/support/router-harness.js';
import type { Authorizer, AuthGate } from '../hooks.js';

/** Signs in with the authid and role the HELLO asks for (HELLO.Details.authid / x_role): enough to tell sessions apart. */
const chooseYourRole: AuthGate = {
  hello: (request) => ({
    kind: 'welcome',
    identity: {
      authid: String(request.details.authid ?? 'anon'), authrole: String(request.details.x_role ?? 'user'),
      authmethod: 'anonymous', authprovider: 'static',
    },
  }),
};

/** Everything is allowed except publishing below "forbidden" and anything on "secret" for the role "user". */
const mostlyOpen: Authorizer = {
  authorize: (session, action, uri) => ({
    allow: !(action === 'publish' && uri.startsWith('forbidden')) && !(uri.startsWith('secret') && session.authrole === 'user'),
  }),
};

function harness(realm: HarnessOptions['realm'] = {}): RouterHarness {
  return new RouterHarness({ authorizer: mostlyOpen, gate: chooseYourRole, realm });
}

async function join(h: RouterHarness, authid = 'anon', role = 'user') {
  return h.join(allRoles, { authid, x_role: role });
}

let nextRequest = 1000;

/** Calls a procedure and waits for its answer: the RESULT's args (and kwargs) or the ERROR. */
async function call(peer: MemoryPeer, procedure: string, args: Args = [], kwargs: Dict = {}): Promise<Extract<WampMessage, { type: typeof T.RESULT | typeof T.ERROR }>> {
  const request = ++nextRequest;
  peer.raw([T.CALL, request, {}, procedure, args, kwargs]);
  for (let i = 0; i < 5; i++) await flush();
  const index = peer.inbox.findIndex((m) => (m.type === T.RESULT || m.type === T.ERROR) && m.request === request);
  assert.ok(index >= 0, `no answer to ${procedure}; inbox: ${JSON.stringify(peer.inbox)}`);
  return peer.inbox.splice(index, 1)[0] as Extract<WampMessage, { type: typeof T.RESULT | typeof T.ERROR }>;
}

async function result(peer: MemoryPeer, procedure: string, args: Args = [], kwargs: Dict = {}): Promise<unknown> {
  const answer = await call(peer, procedure, args, kwargs);
  assert.equal(answer.type, T.RESULT, `${procedure} failed: ${JSON.stringify(answer)}`);
  return answer.args?.[0];
}

async function failure(peer: MemoryPeer, procedure: string, args: Args = [], kwargs: Dict = {}): Promise<string> {
  const answer = await call(peer, procedure, args, kwargs);
  assert.ok(answer.type === T.ERROR, `${procedure} should fail: ${JSON.stringify(answer)}`);
  return answer.error;
}

/** The meta events a peer received, as [topic-less subscription ID, args]. */
function events(peer: MemoryPeer): Extract<WampMessage, { type: typeof T.EVENT }>[] {
  const found = peer.inbox.filter((m) => m.type === T.EVENT) as Extract<WampMessage, { type: typeof T.EVENT }>[];
  peer.inbox.splice(0);
  return found;
}

async function subscribe(peer: MemoryPeer, topic: string, options: Dict = {}): Promise<number> {
  const request = ++nextRequest;
  peer.raw([T.SUBSCRIBE, request, options, topic]);
  const reply = peer.inbox.find((m) => m.type === T.SUBSCRIBED && m.request === request);
  assert.ok(reply?.type === T.SUBSCRIBED, `SUBSCRIBE ${topic} failed: ${JSON.stringify(peer.inbox)}`);
  peer.inbox.splice(peer.inbox.indexOf(reply), 1);
  return reply.subscription;
}

describe('meta API - announcement', () => {
  it('announces the meta features in WELCOME when the realm runs the meta API', async () => {
    const h = harness();
    const { welcome } = await join(h);
    const roles = welcome.roles as Record<string, { features: Record<string, boolean> }>;
    for (const feature of ['session_meta_api', 'subscription_meta_api', 'event_history']) assert.equal(roles.broker!.features[feature], true, feature);
    for (const feature of ['session_meta_api', 'registration_meta_api', 'testament_meta_api']) assert.equal(roles.dealer!.features[feature], true, feature);
  });

  it('neither announces nor serves it when the realm disables it', async () => {
    const h = harness({ enableMetaApi: false });
    const { peer, welcome } = await join(h);
    const roles = welcome.roles as Record<string, { features: Record<string, boolean> }>;
    assert.equal(roles.broker!.features.session_meta_api, undefined);
    assert.equal(roles.dealer!.features.testament_meta_api, undefined);
    assert.equal(await failure(peer, 'wamp.session.count'), 'wamp.error.no_such_procedure');
  });
});

describe('meta API - sessions', () => {
  it('counts, lists and describes the realm\'s sessions, not the router\'s own', async () => {
    const h = harness();
    const alice = await join(h, 'alice', 'admin');
    const bob = await join(h, 'bob', 'user');
    assert.equal(await result(alice.peer, 'wamp.session.count'), 2);
    assert.equal(await result(alice.peer, 'wamp.session.count', [['admin']]), 1);
    assert.deepEqual(((await result(alice.peer, 'wamp.session.list')) as number[]).sort(), [alice.id, bob.id].sort());
    assert.deepEqual(await result(alice.peer, 'wamp.session.list', [['user', 'guest']]), [bob.id]);
    assert.deepEqual(await result(alice.peer, 'wamp.session.get', [bob.id]), {
      session: bob.id, authid: 'bob', authrole: 'user', authmethod: 'anonymous', authprovider: 'static',
      transport: { type: 'memory', serializer: 'none', peer: 'memory' },
    });
    assert.equal(await failure(alice.peer, 'wamp.session.get', [12345]), 'wamp.error.no_such_session');
    assert.equal(await failure(alice.peer, 'wamp.session.count', ['admin']), 'wamp.error.invalid_argument');
    assert.equal(h.router.sessionCount, 2);
  });

  it('publishes on_join and on_leave like any event, to pattern subscriptions too', async () => {
    const h = harness();
    const watcher = await join(h, 'watcher');
    const exact = await subscribe(watcher.peer, 'wamp.session.on_join');
    const prefix = await subscribe(watcher.peer, 'wamp.session.on_', { match: 'prefix' });
    const carol = await join(h, 'carol', 'guest');
    const joined = events(watcher.peer);
    assert.deepEqual(joined.map((e) => e.subscription), [exact, prefix]);
    assert.deepEqual(joined[0]!.args, [{
      session: carol.id, authid: 'carol', authrole: 'guest', authmethod: 'anonymous', authprovider: 'static',
      transport: { type: 'memory', serializer: 'none', peer: 'memory' },
    }]);
    assert.equal(joined[1]!.details.topic, 'wamp.session.on_join');
    carol.peer.link.detach();
    const left = events(watcher.peer);
    assert.equal(left.length, 1);
    assert.deepEqual(left[0]!.args, [carol.id], 'Crossbar\'s one argument: its handlers are on_leave(session_id)');
    assert.equal(left[0]!.kwargs, undefined, 'no kwargs: Autobahn|Python would pass them to the handler as keyword arguments');
    assert.deepEqual(left[0]!.details.x_session_details, joined[0]!.args[0], 'the join details ride in EVENT.Details');
    assert.equal(left[0]!.details.topic, 'wamp.session.on_leave');
  });

  it('takes x_session_details into EVENT.Details from the router\'s own publishers only', async () => {
    const h = harness();
    const watcher = await join(h, 'watcher');
    await subscribe(watcher.peer, 'app.news');
    const client = await join(h, 'client');
    client.peer.raw([T.PUBLISH, 1, { x_session_details: { session: 1, authid: 'forged' } }, 'app.news', ['hi']]);
    await flush();
    const [event] = events(watcher.peer);
    assert.deepEqual(event!.args, ['hi']);
    assert.equal(event!.details.x_session_details, undefined);
  });

  it('kills a session with GOODBYE, with the reason and message given', async () => {
    const h = harness();
    const admin = await join(h, 'admin');
    const victim = await join(h, 'victim');
    assert.equal(await result(admin.peer, 'wamp.session.kill', [victim.id], { reason: 'com.myapp.kicked', message: 'bye' }), undefined);
    const goodbye = victim.peer.take().find((m) => m.type === T.GOODBYE);
    assert.ok(goodbye?.type === T.GOODBYE);
    assert.equal(goodbye.reason, 'com.myapp.kicked');
    assert.deepEqual(goodbye.details, { message: 'bye' });
    victim.peer.raw([T.GOODBYE, {}, 'wamp.close.goodbye_and_out']);
    assert.equal(await result(admin.peer, 'wamp.session.count'), 1);
  });

  it('takes the reason and message positionally too, as Crossbar\'s kill procedures do', async () => {
    const h = harness();
    const admin = await join(h, 'admin');
    const victim = await join(h, 'victim', 'ops');
    await result(admin.peer, 'wamp.session.kill', [victim.id, 'com.myapp.kicked', 'bye']);
    const goodbye = victim.peer.take().find((m) => m.type === T.GOODBYE);
    assert.deepEqual(goodbye?.type === T.GOODBYE && [goodbye.reason, goodbye.details], ['com.myapp.kicked', { message: 'bye' }]);
    const other = await join(h, 'other', 'ops');
    await result(admin.peer, 'wamp.session.kill_by_authrole', ['ops', 'com.myapp.maintenance']);
    const second = other.peer.take().find((m) => m.type === T.GOODBYE);
    assert.deepEqual(second?.type === T.GOODBYE && second.reason, 'com.myapp.maintenance');
  });

  it('refuses to kill the caller itself, an unknown session, or with a reason that is no URI', async () => {
    const h = harness();
    const admin = await join(h, 'admin');
    const other = await join(h, 'other');
    assert.equal(await failure(admin.peer, 'wamp.session.kill', [admin.id]), 'wamp.error.no_such_session');
    assert.equal(await failure(admin.peer, 'wamp.session.kill', [999]), 'wamp.error.no_such_session');
    assert.equal(await failure(admin.peer, 'wamp.session.kill', [other.id], { reason: 'not a uri' }), 'wamp.error.invalid_uri');
    const goodbye = other.peer.take().find((m) => m.type === T.GOODBYE);
    assert.equal(goodbye, undefined);
  });

  it('kills by authid and by authrole, sparing the caller, and answers with the count', async () => {
    const h = harness();
    const me = await join(h, 'twin', 'ops');
    const twin = await join(h, 'twin', 'user');
    const worker1 = await join(h, 'w1', 'ops');
    const worker2 = await join(h, 'w2', 'ops');
    const bystander = await join(h, 'b', 'user');
    assert.deepEqual(await result(me.peer, 'wamp.session.kill_by_authid', ['twin']), [twin.id], 'the IDs of the sessions closed (the spec, Crossbar)');
    assert.equal(twin.peer.take().filter((m) => m.type === T.GOODBYE).length, 1);
    assert.deepEqual((await result(me.peer, 'wamp.session.kill_by_authrole', ['ops'], { message: 'maintenance' }) as number[]).sort(),
      [worker1.id, worker2.id].sort(), 'a list too, as in Crossbar (the spec says a count)');
    for (const worker of [worker1, worker2]) {
      const goodbye = worker.peer.take().find((m) => m.type === T.GOODBYE);
      assert.ok(goodbye?.type === T.GOODBYE && goodbye.reason === 'wamp.close.normal' && goodbye.details.message === 'maintenance');
    }
    assert.equal(bystander.peer.take().filter((m) => m.type === T.GOODBYE).length, 0);
    assert.equal(me.peer.take().filter((m) => m.type === T.GOODBYE).length, 0);
  });

  it('kills all other sessions without on_leave or testament events', async () => {
    const h = harness();
    const me = await join(h, 'me');
    const other = await join(h, 'other');
    await result(other.peer, 'wamp.session.add_testament', ['app.gone', ['other'], {}]);
    await subscribe(me.peer, 'wamp.session.on_leave');
    await subscribe(me.peer, 'app.gone');
    assert.equal(await result(me.peer, 'wamp.session.kill_all'), 1);
    other.peer.raw([T.GOODBYE, {}, 'wamp.close.goodbye_and_out']);
    assert.deepEqual(events(me.peer), []);
    assert.equal(await result(me.peer, 'wamp.session.count'), 1);
  });
});

describe('meta API - testaments', () => {
  it('publishes a leaving session\'s testaments, detached before destroyed, each in order, then on_leave', async () => {
    const h = harness();
    const watcher = await join(h, 'watcher');
    const sub = await subscribe(watcher.peer, 'app.status', { match: 'prefix' });
    await subscribe(watcher.peer, 'wamp.session.on_leave');
    const device = await join(h, 'device');
    assert.equal(await result(device.peer, 'wamp.session.add_testament', ['app.status.gone', ['destroyed 1'], { id: 7 }]), undefined);
    await result(device.peer, 'wamp.session.add_testament', ['app.status.gone', ['detached 1'], {}], { scope: 'detached' });
    await result(device.peer, 'wamp.session.add_testament', ['app.status.gone', ['destroyed 2'], {}], { scope: 'destroyed' });
    device.peer.link.detach();
    const received = events(watcher.peer);
    assert.deepEqual(received.map((e) => e.args?.[0]), ['detached 1', 'destroyed 1', 'destroyed 2', device.id]);
    assert.equal(received[0]!.subscription, sub);
    assert.deepEqual(received[1]!.kwargs, { id: 7 });
  });

  it('flushes a scope, and checks the topic, the scope and the right to publish', async () => {
    const h = harness();
    const watcher = await join(h, 'watcher');
    await subscribe(watcher.peer, 'app.gone');
    const device = await join(h, 'device');
    await result(device.peer, 'wamp.session.add_testament', ['app.gone', ['kept'], {}], { scope: 'detached' });
    await result(device.peer, 'wamp.session.add_testament', ['app.gone', ['flushed'], {}]);
    // Crossbar's positional form: publish_options and scope after topic, args, kwargs.
    await result(device.peer, 'wamp.session.add_testament', ['app.gone', ['flushed too'], {}, {}, 'destroyed']);
    await result(device.peer, 'wamp.session.add_testament', ['app.gone', ['flushed by position'], {}, {}, 'detached']);
    assert.equal(await result(device.peer, 'wamp.session.flush_testaments'), 2, 'how many it removed, as Crossbar answers');
    assert.equal(await result(device.peer, 'wamp.session.flush_testaments', [], { scope: 'destroyed' }), 0);
    assert.equal(await result(device.peer, 'wamp.session.add_testament', ['app.gone', ['kept too'], {}, {}, 'detached']), undefined);
    assert.equal(await result(device.peer, 'wamp.session.flush_testaments', ['detached']), 3);
    await result(device.peer, 'wamp.session.add_testament', ['app.gone', ['kept'], {}], { scope: 'detached' });
    const deniedPublish = h.router.metrics.authorizationDenied.value({ action: 'publish' });
    assert.equal(await failure(device.peer, 'wamp.session.add_testament', ['forbidden.topic', [], {}]), 'wamp.error.not_authorized');
    assert.equal(h.router.metrics.authorizationDenied.value({ action: 'publish' }), deniedPublish + 1, 'a refused testament is counted as a refused publication');
    assert.equal(await failure(device.peer, 'wamp.session.add_testament', ['wamp.session.on_join', [], {}]), 'wamp.error.invalid_uri');
    assert.equal(await failure(device.peer, 'wamp.session.add_testament', ['app.gone', [], {}], { scope: 'later' }), 'wamp.error.testament_error');
    assert.equal(await failure(device.peer, 'wamp.session.add_testament', ['app.gone', [], {}], { publish_options: { exclude: 'x' } }), 'wamp.error.invalid_argument');
    device.peer.link.detach();
    assert.deepEqual(events(watcher.peer).map((e) => e.args?.[0]), ['kept']);
  });
});

describe('meta API - subscriptions', () => {
  it('publishes on_create, on_subscribe, on_unsubscribe and on_delete in the spec order', async () => {
    const h = harness();
    const watcher = await join(h, 'watcher');
    const meta = await subscribe(watcher.peer, 'wamp.subscription.', { match: 'prefix' });
    const a = await join(h, 'a');
    const b = await join(h, 'b');
    const id = await subscribe(a.peer, 'news', { match: 'prefix' });
    await subscribe(b.peer, 'news', { match: 'prefix' });
    const created = events(watcher.peer);
    assert.deepEqual(created.map((e) => [e.details.topic, e.args?.[0]]), [
      ['wamp.subscription.on_create', a.id], ['wamp.subscription.on_subscribe', a.id], ['wamp.subscription.on_subscribe', b.id],
    ]);
    const details = created[0]!.args?.[1] as Dict;
    assert.deepEqual({ ...details, created: typeof details.created }, { id, uri: 'news', match: 'prefix', created: 'string' });
    assert.ok(!Number.isNaN(Date.parse(details.created as string)));
    assert.deepEqual(created[1]!.args, [a.id, id]);
    a.peer.raw([T.UNSUBSCRIBE, 1, id]);
    b.peer.link.detach();
    assert.deepEqual(events(watcher.peer).map((e) => [e.details.topic, e.args]), [
      ['wamp.subscription.on_unsubscribe', [a.id, id]], ['wamp.subscription.on_unsubscribe', [b.id, id]], ['wamp.subscription.on_delete', [b.id, id]],
    ]);
    assert.ok(meta > 0);
  });

  it('lists, looks up, matches and describes subscriptions, hiding the router\'s own topics', async () => {
    const h = harness();
    const a = await join(h, 'a');
    const b = await join(h, 'b');
    const exact = await subscribe(a.peer, 'com.app.update');
    const prefix = await subscribe(b.peer, 'com.app', { match: 'prefix' });
    const wildcard = await subscribe(b.peer, 'com..update', { match: 'wildcard' });
    const shared = await subscribe(b.peer, 'com.app.update');
    assert.equal(shared, exact);
    const meta = await subscribe(a.peer, 'wamp.session.on_join');
    assert.deepEqual(await result(a.peer, 'wamp.subscription.list'), { exact: [exact], prefix: [prefix], wildcard: [wildcard] });
    assert.deepEqual(await result(a.peer, 'wamp.subscription.list', [b.id]), { exact: [exact], prefix: [prefix], wildcard: [wildcard] });
    assert.deepEqual(await result(a.peer, 'wamp.subscription.list', [a.id]), { exact: [exact], prefix: [], wildcard: [] });
    assert.equal(await result(a.peer, 'wamp.subscription.lookup', ['com.app', { match: 'prefix' }]), prefix);
    assert.equal(await result(a.peer, 'wamp.subscription.lookup', ['com.app']), null);
    assert.equal(await result(a.peer, 'wamp.subscription.lookup', ['wamp.session.on_join']), null);
    assert.deepEqual(await result(a.peer, 'wamp.subscription.match', ['com.app.update']), [exact, prefix, wildcard]);
    assert.equal(await result(a.peer, 'wamp.subscription.match', ['org.x']), null);
    assert.deepEqual((await result(a.peer, 'wamp.subscription.get', [wildcard])) as Dict, {
      id: wildcard, uri: 'com..update', match: 'wildcard', created: ((await result(a.peer, 'wamp.subscription.get', [wildcard])) as Dict).created,
    });
    assert.deepEqual(((await result(a.peer, 'wamp.subscription.list_subscribers', [exact])) as number[]).sort(), [a.id, b.id].sort());
    assert.equal(await result(a.peer, 'wamp.subscription.count_subscribers', [exact]), 2);
    assert.equal(await failure(a.peer, 'wamp.subscription.get', [1]), 'wamp.error.no_such_subscription');
    assert.equal(await failure(a.peer, 'wamp.subscription.count_subscribers', [meta]), 'wamp.error.not_authorized');
    assert.equal(await failure(a.peer, 'wamp.subscription.list', [12345]), 'wamp.error.no_such_session');
    assert.equal(await failure(a.peer, 'wamp.subscription.lookup', ['com.app', { match: 'regex' }]), 'wamp.error.invalid_argument');
  });
});

describe('meta API - registrations', () => {
  it('publishes on_create, on_register, on_unregister and on_delete in the spec order', async () => {
    const h = harness();
    const watcher = await join(h, 'watcher');
    await subscribe(watcher.peer, 'wamp.registration.', { match: 'prefix' });
    const a = await join(h, 'a');
    const b = await join(h, 'b');
    a.peer.raw([T.REGISTER, 1, { invoke: 'roundrobin', match: 'prefix' }, 'svc']);
    b.peer.raw([T.REGISTER, 1, { invoke: 'roundrobin', match: 'prefix' }, 'svc']);
    const registered = a.peer.take()[0];
    assert.ok(registered?.type === T.REGISTERED);
    const id = registered.registration;
    const created = events(watcher.peer);
    assert.deepEqual(created.map((e) => [e.details.topic, e.args?.[0]]), [
      ['wamp.registration.on_create', a.id], ['wamp.registration.on_register', a.id], ['wamp.registration.on_register', b.id],
    ]);
    const details = created[0]!.args?.[1] as Dict;
    assert.deepEqual({ ...details, created: undefined }, { id, uri: 'svc', match: 'prefix', invoke: 'roundrobin', created: undefined });
    a.peer.link.detach();
    b.peer.raw([T.UNREGISTER, 2, id]);
    assert.deepEqual(events(watcher.peer).map((e) => [e.details.topic, e.args]), [
      ['wamp.registration.on_unregister', [a.id, id]], ['wamp.registration.on_unregister', [b.id, id]], ['wamp.registration.on_delete', [b.id, id]],
    ]);
  });

  it('lists, looks up, matches and describes registrations, hiding the meta API\'s own', async () => {
    const h = harness();
    const callee = await join(h, 'callee');
    callee.peer.raw([T.REGISTER, 1, {}, 'a1.b2.c3.d4']);
    callee.peer.raw([T.REGISTER, 2, { match: 'prefix' }, 'a1.b2']);
    callee.peer.raw([T.REGISTER, 3, { match: 'wildcard' }, 'a1..c3']);
    const [exact, prefix, wildcard] = callee.peer.take().map((m) => (m as { registration: number }).registration);
    const caller = await join(h, 'caller');
    assert.deepEqual(await result(caller.peer, 'wamp.registration.list'), { exact: [exact], prefix: [prefix], wildcard: [wildcard] });
    assert.deepEqual(await result(caller.peer, 'wamp.registration.list', [caller.id]), { exact: [], prefix: [], wildcard: [] });
    assert.equal(await result(caller.peer, 'wamp.registration.lookup', ['a1..c3', { match: 'wildcard' }]), wildcard);
    assert.equal(await result(caller.peer, 'wamp.registration.lookup', ['wamp.session.count']), null);
    assert.equal(await result(caller.peer, 'wamp.registration.match', ['a1.b2.c3.d4']), exact);
    assert.equal(await result(caller.peer, 'wamp.registration.match', ['a1.b2.c3']), prefix, 'a prefix match beats a wildcard match');
    assert.equal(await result(caller.peer, 'wamp.registration.match', ['a1.x.c3']), wildcard);
    assert.equal(await result(caller.peer, 'wamp.registration.match', ['zz']), null);
    assert.equal((await result(caller.peer, 'wamp.registration.get', [prefix]) as Dict).invoke, 'single');
    assert.deepEqual(await result(caller.peer, 'wamp.registration.list_callees', [exact]), [callee.id]);
    assert.equal(await result(caller.peer, 'wamp.registration.count_callees', [exact]), 1);
    assert.equal(await failure(caller.peer, 'wamp.registration.get', [1]), 'wamp.error.no_such_registration');
    const metaRegistration = h.router.realm('realm1')!.dealer.lookup('wamp.session.count', 'exact')!.id;
    assert.equal(await failure(caller.peer, 'wamp.registration.list_callees', [metaRegistration]), 'wamp.error.not_authorized');
  });
});

describe('meta API - removing a callee or a subscriber (Crossbar\'s remove_callee, remove_subscriber)', () => {
  const revocable = {
    ...allRoles,
    subscriber: { features: { subscription_revocation: true } },
    callee: { features: { registration_revocation: true } },
  };

  it('takes a callee off a registration, tells it if it announced registration_revocation, and publishes the meta events', async () => {
    const h = harness();
    const told = await h.join(revocable, { authid: 'told' });
    const untold = await join(h, 'untold');
    told.peer.raw([T.REGISTER, 1, { invoke: 'roundrobin' }, 'com.pool']);
    untold.peer.raw([T.REGISTER, 1, { invoke: 'roundrobin' }, 'com.pool']);
    const registration = (told.peer.take()[0] as { registration: number }).registration;
    untold.peer.take();
    const admin = await join(h, 'admin');
    const unregistered = await subscribe(admin.peer, 'wamp.registration.on_unregister');
    const deleted = await subscribe(admin.peer, 'wamp.registration.on_delete');

    assert.equal(await result(admin.peer, 'wamp.registration.remove_callee', [registration, told.id, 'com.example.moved']), null);
    assert.deepEqual(told.peer.take(), [{ type: T.UNREGISTERED, request: 0, details: { registration, reason: 'com.example.moved' } }]);
    assert.deepEqual(await result(admin.peer, 'wamp.registration.list_callees', [registration]), [untold.id]);
    assert.equal(await result(admin.peer, 'wamp.registration.remove_callee', [], { registration_id: registration, callee_id: untold.id }), null);
    assert.deepEqual(untold.peer.take(), [], 'no UNREGISTERED to a callee without registration_revocation');
    assert.deepEqual(events(admin.peer).map((e) => [e.subscription, e.args]), [
      [unregistered, [told.id, registration]], [unregistered, [untold.id, registration]], [deleted, [untold.id, registration]],
    ]);
    assert.equal(await failure(admin.peer, 'wamp.registration.get', [registration]), 'wamp.error.no_such_registration');
  });

  it('refuses an unknown session, an unknown registration, a session that is not its callee, and the router\'s own', async () => {
    const h = harness();
    const callee = await join(h, 'callee');
    callee.peer.raw([T.REGISTER, 1, {}, 'com.one']);
    const registration = (callee.peer.take()[0] as { registration: number }).registration;
    const admin = await join(h, 'admin');
    assert.equal(await failure(admin.peer, 'wamp.registration.remove_callee', [registration, 4242]), 'wamp.error.no_such_session');
    assert.equal(await failure(admin.peer, 'wamp.registration.remove_callee', [4242, callee.id]), 'wamp.error.no_such_registration');
    assert.equal(await failure(admin.peer, 'wamp.registration.remove_callee', [registration, admin.id]), 'wamp.error.no_such_registration');
    const metaRegistration = h.router.realm('realm1')!.dealer.lookup('wamp.session.count', 'exact')!.id;
    assert.equal(await failure(admin.peer, 'wamp.registration.remove_callee', [metaRegistration, callee.id]), 'wamp.error.not_authorized');
    assert.equal(await failure(admin.peer, 'wamp.registration.remove_callee', [registration, callee.id, 7]), 'wamp.error.invalid_argument');
    assert.deepEqual(await result(admin.peer, 'wamp.registration.list_callees', [registration]), [callee.id], 'nothing was removed');
  });

  it('takes a subscriber off a subscription, tells it if it announced subscription_revocation; it gets no further events', async () => {
    const h = harness();
    const told = await h.join(revocable, { authid: 'told' });
    const untold = await join(h, 'untold');
    const subscription = await subscribe(told.peer, 'news');
    assert.equal(await subscribe(untold.peer, 'news'), subscription);
    const admin = await join(h, 'admin');
    const unsubscribed = await subscribe(admin.peer, 'wamp.subscription.on_unsubscribe');
    const deleted = await subscribe(admin.peer, 'wamp.subscription.on_delete');

    assert.equal(await result(admin.peer, 'wamp.subscription.remove_subscriber', [subscription, told.id]), null);
    assert.deepEqual(told.peer.take(), [{ type: T.UNSUBSCRIBED, request: 0, details: { subscription } }]);
    admin.peer.raw([T.PUBLISH, 1, {}, 'news', ['after']]);
    await flush();
    assert.deepEqual(told.peer.take(), []);
    assert.equal(events(untold.peer).length, 1);
    assert.equal(await result(admin.peer, 'wamp.subscription.remove_subscriber', [], { subscription_id: subscription, subscriber_id: untold.id, reason: 'bye' }), null);
    assert.deepEqual(untold.peer.take(), [], 'no UNSUBSCRIBED to a subscriber without subscription_revocation');
    assert.deepEqual(events(admin.peer).map((e) => [e.subscription, e.args]), [
      [unsubscribed, [told.id, subscription]], [unsubscribed, [untold.id, subscription]], [deleted, [untold.id, subscription]],
    ]);
    assert.equal(await failure(admin.peer, 'wamp.subscription.remove_subscriber', [subscription, untold.id]), 'wamp.error.no_such_subscription');
  });
});

describe('meta API - event history', () => {
  /** The events of a get_events RESULT: its one argument, a list (Crossbar's shape). */
  async function storedEvents(peer: MemoryPeer, args: unknown[], kwargs?: Dict): Promise<Dict[]> {
    const answer = await call(peer, 'wamp.subscription.get_events', args, kwargs);
    assert.ok(answer.type === T.RESULT, JSON.stringify(answer));
    assert.equal(answer.args?.length, 1, 'RESULT.Arguments holds one list of events');
    assert.ok(Array.isArray(answer.args[0]));
    return answer.args[0] as Dict[];
  }

  it('returns the stored events as one list in the spec\'s event shape, with limit and reverse', async () => {
    const h = harness({ eventHistory: [{ uri: 'log', match: 'prefix', limit: 10, limitBytes: 0 }] });
    const pub = await join(h, 'pub');
    for (let i = 1; i <= 3; i++) pub.peer.raw([T.PUBLISH, i, { disclose_me: i === 1 }, `log.${i}`, [i], { n: i }]);
    const reader = await join(h, 'reader');
    const subscription = await result(reader.peer, 'wamp.subscription.lookup', ['log', { match: 'prefix' }]) as number;
    const stored = await storedEvents(reader.peer, [subscription], { limit: 2 });
    assert.equal(stored.length, 2);
    assert.deepEqual(Object.keys(stored[0]!).sort(), ['args', 'details', 'kwargs', 'publication', 'subscription', 'timestamp']);
    assert.equal(stored[0]!.subscription, subscription);
    assert.deepEqual(stored[0]!.details, { publisher: pub.id, publisher_authid: 'pub', publisher_authrole: 'user', topic: 'log.1' });
    assert.deepEqual(stored.map((e) => e.args), [[1], [2]], 'oldest first, as the spec orders them');
    assert.ok(!Number.isNaN(Date.parse(stored[0]!.timestamp as string)));
    const newest = await storedEvents(reader.peer, [subscription], { reverse: true, limit: 1 });
    assert.deepEqual(newest.map((e) => e.kwargs), [{ n: 3 }]);
    assert.deepEqual(await storedEvents(reader.peer, [subscription], { topic: 'log.9' }), []);
  });

  it('answers Crossbar\'s call form [subscription, limit] with the last events, newest first', async () => {
    const h = harness({ eventHistory: [{ uri: 'log', match: 'exact', limit: 10, limitBytes: 0 }] });
    const pub = await join(h, 'pub');
    for (let i = 1; i <= 4; i++) pub.peer.raw([T.PUBLISH, i, {}, 'log', [i]]);
    const reader = await join(h, 'reader');
    const subscription = await result(reader.peer, 'wamp.subscription.lookup', ['log']) as number;
    assert.deepEqual((await storedEvents(reader.peer, [subscription, 2])).map((e) => e.args), [[4], [3]]);
    assert.deepEqual((await storedEvents(reader.peer, [subscription, 2], { reverse: false })).map((e) => e.args), [[1], [2]]);
  });

  it('leaves out args and kwargs the publication did not have (no null, no undefined)', async () => {
    const h = harness({ eventHistory: [{ uri: 'log', match: 'exact', limit: 10, limitBytes: 0 }] });
    const pub = await join(h, 'pub');
    pub.peer.raw([T.PUBLISH, 1, {}, 'log']);
    pub.peer.raw([T.PUBLISH, 2, {}, 'log', ['only args']]);
    const reader = await join(h, 'reader');
    const subscription = await result(reader.peer, 'wamp.subscription.lookup', ['log']) as number;
    const [bare, withArgs] = await storedEvents(reader.peer, [subscription]);
    assert.deepEqual(Object.keys(bare!).sort(), ['details', 'publication', 'subscription', 'timestamp']);
    assert.deepEqual(Object.keys(withArgs!).sort(), ['args', 'details', 'publication', 'subscription', 'timestamp']);
  });

  it('refuses a subscription without history, an unknown one, and a reader who may not subscribe', async () => {
    const h = harness({ eventHistory: [{ uri: 'secret.log', match: 'exact', limit: 5, limitBytes: 0 }] });
    const reader = await join(h, 'reader', 'user');
    const plain = await subscribe(reader.peer, 'plain');
    assert.equal(await failure(reader.peer, 'wamp.subscription.get_events', [plain]), 'wamp.error.history_unavailable');
    assert.equal(await failure(reader.peer, 'wamp.subscription.get_events', [42]), 'wamp.error.no_such_subscription');
    const admin = await join(h, 'admin', 'admin');
    const secret = await result(admin.peer, 'wamp.subscription.lookup', ['secret.log']) as number;
    const deniedSubscribe = h.router.metrics.authorizationDenied.value({ action: 'subscribe' });
    assert.equal(await failure(reader.peer, 'wamp.subscription.get_events', [secret]), 'wamp.error.not_authorized');
    assert.equal(h.router.metrics.authorizationDenied.value({ action: 'subscribe' }), deniedSubscribe + 1, 'a refused history read is counted as a refused subscription');
    assert.deepEqual((await call(admin.peer, 'wamp.subscription.get_events', [secret])).args, [[]]);
    assert.equal(await failure(admin.peer, 'wamp.subscription.get_events', [secret], { from_time: 'yesterday' }), 'wamp.error.invalid_argument');
  });

  it('refuses an unknown keyword argument of every meta procedure, naming it, before acting (a mistyped "reason" must not kill)', async () => {
    const h = harness({ eventHistory: [{ uri: 'log', match: 'exact', limit: 5, limitBytes: 0 }] });
    const admin = await join(h, 'admin', 'admin');
    const bob = await join(h, 'bob', 'user');
    const subscription = await subscribe(bob.peer, 'log');
    const procedures: [string, Args][] = [
      ['wamp.session.count', []], ['wamp.session.list', []], ['wamp.session.get', [bob.id]],
      ['wamp.session.kill', [bob.id]], ['wamp.session.kill_by_authid', ['bob']], ['wamp.session.kill_by_authrole', ['user']],
      ['wamp.session.kill_all', []], ['wamp.session.add_testament', ['app.gone']], ['wamp.session.flush_testaments', []],
      ['wamp.subscription.list', []], ['wamp.subscription.lookup', ['log']], ['wamp.subscription.match', ['log']],
      ['wamp.subscription.get', [subscription]], ['wamp.subscription.list_subscribers', [subscription]],
      ['wamp.subscription.count_subscribers', [subscription]], ['wamp.subscription.get_events', [subscription]],
      ['wamp.registration.list', []], ['wamp.registration.lookup', ['com.x']], ['wamp.registration.match', ['com.x']],
      ['wamp.registration.get', [1]], ['wamp.registration.list_callees', [1]], ['wamp.registration.count_callees', [1]],
      ['wamp.registration.remove_callee', [1, bob.id]], ['wamp.subscription.remove_subscriber', [subscription, bob.id]],
    ];
    for (const [procedure, args] of procedures) {
      const answer = await call(admin.peer, procedure, args, { reasn: 'wamp.close.system_shutdown' });
      assert.ok(answer.type === T.ERROR, `${procedure} should refuse "reasn": ${JSON.stringify(answer)}`);
      assert.equal(answer.error, 'wamp.error.invalid_argument', procedure);
      assert.match(String(answer.args?.[0]), /^unknown keyword argument "reasn" \(expected [a-z_, ]+\)$/, procedure);
    }
    assert.equal(h.router.sessionCount, 2, 'no kill acted');
    // The known keywords still work.
    assert.equal(await result(admin.peer, 'wamp.session.count', [], { filter_authroles: ['user'] }), 1);
  });
});
