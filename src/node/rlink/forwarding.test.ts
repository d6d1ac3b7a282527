import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsRegistry } from '../../metrics/registry.js';
import { ErrorUri } from '../../protocol/errors.js';
import type { Args, Dict } from '../../protocol/messages.js';
import { silentLogger } from '../../router/log.js';
import { echoGuard } from './echo-guard.js';
import { callForwarding, eventForwarding, InFlight } from './forwarding.js';
import { LinkCallError, type ForwardHop, type LinkSide, type Outcome, type SideEndpoint, type SideEventHandler, type SideProgress } from './link-sides.js';
import { Mirror, MirrorBudget } from './mirror.js';
import { rlinkMetrics } from './rlink-metrics.js';

/** A side in memory: its meta API lists what the test put in `existing`; what the link does is recorded. */
class FakeSide implements LinkSide {
  readonly subscriptions = new Map<string, { options: Dict; handler: SideEventHandler }>();
  readonly registrations = new Map<string, { options: Dict; endpoint: SideEndpoint }>();
  readonly published: { topic: string; args: Args; kwargs: Dict; options: Dict }[] = [];
  readonly calls: { procedure: string; args: Args; options: Dict }[] = [];
  existing: Record<'subscription' | 'registration', Dict[]> = { subscription: [], registration: [] };
  /** The session details of each registration's one callee (by registration ID): an application's unless a test says otherwise. */
  readonly callees = new Map<number, Dict>();
  answer: (procedure: string, args: Args, onProgress?: SideProgress) => Promise<Outcome> = async (_procedure, args) => ({ args, kwargs: {} });
  /** When this side acknowledges a publication (at once unless a test says otherwise). */
  acknowledge: () => Promise<void> = async () => undefined;

  constructor(readonly name: 'local' | 'remote') {}

  identity(): ForwardHop {
    return { session: 77, authid: `${this.name}-link`, authrole: 'rlink' };
  }

  async call(procedure: string, args: Args = [], _kwargs: Dict = {}, options: Dict = {}, _signal?: AbortSignal, onProgress?: SideProgress): Promise<Outcome> {
    const meta = /^wamp\.(subscription|registration)\.(list|get)$/.exec(procedure);
    // A registration's one callee has the registration's ID plus 1000 as its session ID.
    if (procedure === 'wamp.registration.list_callees') return { args: [[(args[0] as number) + 1000]], kwargs: {} };
    if (procedure === 'wamp.session.get') return { args: [this.callees.get((args[0] as number) - 1000) ?? { authrole: 'anonymous', authextra: {} }], kwargs: {} };
    if (meta) {
      const items = this.existing[meta[1] as 'subscription' | 'registration'];
      if (meta[2] === 'get') return { args: [items.find((item) => item.id === args[0])], kwargs: {} };
      return { args: [{ exact: items.filter((item) => item.match === 'exact').map((item) => item.id), prefix: items.filter((item) => item.match === 'prefix').map((item) => item.id), wildcard: [] }], kwargs: {} };
    }
    this.calls.push({ procedure, args, options });
    return this.answer(procedure, args, onProgress);
  }

  async subscribe(uri: string, options: Dict, handler: SideEventHandler) {
    this.subscriptions.set(uri, { options, handler });
    return async () => void this.subscriptions.delete(uri);
  }

  async publish(topic: string, args: Args, kwargs: Dict, options: Dict) {
    this.published.push({ topic, args, kwargs, options });
    await this.acknowledge();
  }

  async register(uri: string, options: Dict, endpoint: SideEndpoint) {
    if (this.registrations.has(uri)) throw new LinkCallError(ErrorUri.procedureAlreadyExists, ['taken']);
    this.registrations.set(uri, { options, endpoint });
    return async () => void this.registrations.delete(uri);
  }

  /** A meta event of this side, as the router would publish it. */
  meta(topic: string, args: Args): void {
    this.subscriptions.get(topic)!.handler(args, {}, {});
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** The tests' default: no bound at all (0 = no limit). */
const noLimits = { subscriptions: 0, registrations: 0, calls: 0, callBytes: 0, events: 0, eventBytes: 0 };

/** `secrets`: the link's own (its ticket...); `homeName`: which router's subscriptions and registrations are mirrored. */
function setup(limits: Partial<typeof noLimits> = {}, { secrets = [] as string[], homeName = 'local' as 'local' | 'remote' } = {}) {
  const { subscriptions, registrations, calls: maxCalls, callBytes, events: maxEvents, eventBytes } = { ...noLimits, ...limits };
  const metrics = new MetricsRegistry();
  const meter = rlinkMetrics(metrics).forLink('realm1', 'to_b');
  const home = new FakeSide(homeName);
  const away = new FakeSide(homeName === 'local' ? 'remote' : 'local');
  const context = { home, away, meter, log: silentLogger, guard: echoGuard(secrets, meter, silentLogger) };
  const eventSlots = new InFlight('events', { count: maxEvents, bytes: eventBytes }, { inFlight: meter.eventsInFlight, bytesInFlight: meter.eventBytesInFlight, refused: meter.eventsDropped });
  const callSlots = new InFlight('calls', { count: maxCalls, bytes: callBytes }, { inFlight: meter.callsInFlight, bytesInFlight: meter.callBytesInFlight, refused: meter.callsRefused });
  const events = new Mirror(home, 'subscription', eventForwarding(context, ['other-link'], eventSlots),
    new MirrorBudget(subscriptions, meter.mirrored.subscription, meter.mirrorsRefused.subscription), silentLogger);
  const calls = new Mirror(home, 'registration', callForwarding(context, callSlots),
    new MirrorBudget(registrations, meter.mirrored.registration, meter.mirrorsRefused.registration), silentLogger);
  // The registry hands back the metric already registered under a name, whatever its kind.
  const value = (name: string, labels: Record<string, string> = {}) => metrics.counter(name, '').value({ realm: 'realm1', link: 'to_b', ...labels });
  return { home, away, events, calls, value };
}

describe('router link forwarding', () => {
  it('mirrors the home side\'s subscriptions (existing, created, deleted; never wamp.*) with their match policy', async () => {
    const { home, away, events, value } = setup();
    home.existing.subscription = [{ id: 1, uri: 'app.a', match: 'exact' }, { id: 2, uri: 'wamp.session.on_join', match: 'exact' }];
    await events.start();
    home.meta('wamp.subscription.on_create', [9, { id: 3, uri: 'app.prefix.', match: 'prefix' }]);
    await settle();
    assert.deepEqual([...away.subscriptions.keys()].sort(), ['app.a', 'app.prefix.']);
    assert.deepEqual(away.subscriptions.get('app.prefix.')!.options, { match: 'prefix' });
    assert.equal(value('junction_rlink_mirrored', { kind: 'subscription' }), 2);
    home.meta('wamp.subscription.on_delete', [9, 1]);
    await settle();
    assert.deepEqual([...away.subscriptions.keys()], ['app.prefix.']);
    assert.equal(value('junction_rlink_mirrored', { kind: 'subscription' }), 1);
  });

  it('publishes at home what the mirror receives, naming its publisher in forward_for, once: never what was already forwarded', async () => {
    const { home, away, events, value } = setup();
    home.existing.subscription = [{ id: 1, uri: 'app.', match: 'prefix' }];
    await events.start();
    const { handler } = away.subscriptions.get('app.')!;
    handler(['hello'], {}, { topic: 'app.news', publisher: 5, publisher_authid: 'bob', publisher_authrole: 'user' });
    handler(['anonymous'], {}, { topic: 'app.news' });
    handler(['looped'], {}, { topic: 'app.news', forward_for: [{ session: 1, authid: 'x', authrole: 'rlink' }] });
    await settle();
    assert.deepEqual(home.published, [
      { topic: 'app.news', args: ['hello'], kwargs: {}, options: { forward_for: [{ session: 5, authid: 'bob', authrole: 'user' }], exclude_me: true, exclude_authid: ['other-link'] } },
      { topic: 'app.news', args: ['anonymous'], kwargs: {}, options: { forward_for: [away.identity()], exclude_me: true, exclude_authid: ['other-link'] } },
    ]);
    assert.equal(value('junction_rlink_events_forwarded_total', { direction: 'to_local' }), 2);
  });

  it('publishes at most max_events_in_flight events home has not acknowledged: the rest are dropped, counted; room comes back with the acknowledgements', async () => {
    const { home, away, events, value } = setup({ events: 2 });
    home.existing.subscription = [{ id: 1, uri: 'app.news', match: 'exact' }];
    await events.start();
    const acknowledgements: (() => void)[] = [];
    home.acknowledge = () => new Promise((resolve) => acknowledgements.push(resolve));
    const { handler } = away.subscriptions.get('app.news')!;
    for (const n of [1, 2, 3, 4]) handler([n], {}, {});
    assert.deepEqual(home.published.map(({ args }) => args[0]), [1, 2]);
    assert.equal(value('junction_rlink_events_in_flight'), 2);
    assert.equal(value('junction_rlink_events_dropped_total'), 2);
    for (const acknowledge of acknowledgements) acknowledge();
    await settle();
    assert.equal(value('junction_rlink_events_in_flight'), 0);
    handler([5], {}, {});
    assert.deepEqual(home.published.map(({ args }) => args[0]), [1, 2, 5]);
    assert.equal(value('junction_rlink_events_forwarded_total', { direction: 'to_local' }), 2);
  });

  it('publishes at most max_event_bytes_in_flight of events home has not acknowledged: a large one past it is dropped, counted, a small one still fits; one alone goes whatever its size', async () => {
    const { home, away, events, value } = setup({ eventBytes: 3000 });
    home.existing.subscription = [{ id: 1, uri: 'app.news', match: 'exact' }];
    await events.start();
    const acknowledgements: (() => void)[] = [];
    home.acknowledge = () => new Promise((resolve) => acknowledgements.push(resolve));
    const { handler } = away.subscriptions.get('app.news')!;
    const large = (n: number) => [n, 'x'.repeat(1000)];
    for (const args of [large(1), large(2), large(3), [4]]) handler(args, {}, {});
    assert.deepEqual(home.published.map(({ args }) => args[0]), [1, 2, 4]);
    assert.equal(value('junction_rlink_events_dropped_total'), 1);
    const held = value('junction_rlink_event_bytes_in_flight');
    assert.ok(held > 2000 && held <= 3000, `${held} bytes held: two large events and a small one`);
    for (const acknowledge of acknowledgements.splice(0)) acknowledge();
    await settle();
    assert.deepEqual([value('junction_rlink_events_in_flight'), value('junction_rlink_event_bytes_in_flight')], [0, 0]);
    handler([5, 'x'.repeat(10_000)], {}, {});
    assert.deepEqual(home.published.map(({ args }) => args[0]), [1, 2, 4, 5]);
    assert.ok(value('junction_rlink_event_bytes_in_flight') > 3000);
  });

  it('the far side cannot name a topic or procedure the mirror does not cover: the link\'s session at home is trusted', async () => {
    const { home, away, events, calls } = setup();
    home.existing.subscription = [{ id: 1, uri: 'app.', match: 'prefix' }, { id: 2, uri: 'other.news', match: 'exact' }];
    home.existing.registration = [{ id: 3, uri: 'app.add', match: 'exact' }];
    await events.start();
    await calls.start();
    away.subscriptions.get('app.')!.handler(['forged'], {}, { topic: 'wamp.session.on_join' });
    away.subscriptions.get('other.news')!.handler(['forged'], {}, { topic: 'other.secret' });
    away.subscriptions.get('app.')!.handler(['fine'], {}, { topic: 'app.x.news' });
    await settle();
    assert.deepEqual(home.published.map(({ topic, args }) => [topic, args[0]]), [['app.x.news', 'fine']]);
    const { endpoint } = away.registrations.get('app.add')!;
    await assert.rejects(endpoint([], {}, { procedure: 'wamp.session.kill_all' }, new AbortController().signal, undefined), (error: LinkCallError) => error.uri === ErrorUri.notAuthorized);
    assert.deepEqual(home.calls, [], 'nothing was called at home');
  });

  it('stops mirroring at its limit, counts what it refused, and mirrors again once there is room', async () => {
    const { home, away, events, value } = setup({ subscriptions: 1 });
    await events.start();
    home.meta('wamp.subscription.on_create', [9, { id: 1, uri: 'app.a', match: 'exact' }]);
    home.meta('wamp.subscription.on_create', [9, { id: 2, uri: 'app.b', match: 'exact' }]);
    await settle();
    assert.deepEqual([...away.subscriptions.keys()], ['app.a']);
    assert.equal(value('junction_rlink_mirrors_refused_total', { kind: 'subscription' }), 1);
    home.meta('wamp.subscription.on_delete', [9, 1]);
    home.meta('wamp.subscription.on_create', [9, { id: 3, uri: 'app.c', match: 'exact' }]);
    await settle();
    assert.deepEqual([...away.subscriptions.keys()], ['app.c']);
  });

  it('forwards a call to the home side and returns its result or error; refuses one already forwarded', async () => {
    const { home, away, calls, value } = setup();
    home.existing.registration = [{ id: 1, uri: 'app.add', match: 'exact', invoke: 'single' }];
    await calls.start();
    const { endpoint, options } = away.registrations.get('app.add')!;
    assert.deepEqual(options, { match: 'exact', invoke: 'single' });
    const signal = new AbortController().signal;
    assert.deepEqual(await endpoint([2, 3], {}, { caller: 5, caller_authid: 'bob', caller_authrole: 'user', timeout: 500 }, signal, undefined), { args: [2, 3], kwargs: {} });
    assert.deepEqual(home.calls, [{ procedure: 'app.add', args: [2, 3], options: { forward_for: [{ session: 5, authid: 'bob', authrole: 'user' }], timeout: 500 } }]);
    home.answer = async () => {
      throw new LinkCallError('app.error.nope', ['no'], { code: 1 });
    };
    await assert.rejects(endpoint([], {}, {}, signal, undefined), (error: LinkCallError) => error.uri === 'app.error.nope' && error.kwargs.code === 1);
    await assert.rejects(endpoint([], {}, { forward_for: [{ session: 1, authid: 'a', authrole: 'rlink' }] }, signal, undefined), (error: LinkCallError) => error.uri === ErrorUri.noSuchProcedure);
    assert.equal(home.calls.length, 2, 'the already forwarded call was not made');
    assert.equal(value('junction_rlink_calls_forwarded_total', { direction: 'to_local' }), 2);
  });

  it('passes the callee\'s progressive results on to a caller that asked for them, in order, then the final one', async () => {
    const { home, away, calls } = setup();
    home.existing.registration = [{ id: 1, uri: 'app.count', match: 'exact' }];
    await calls.start();
    home.answer = async (_procedure, _args, onProgress) => {
      for (const n of [1, 2, 3]) onProgress?.({ args: [n], kwargs: {} });
      return { args: ['done'], kwargs: {} };
    };
    const { endpoint } = away.registrations.get('app.count')!;
    const got: Args[] = [];
    const final = await endpoint([], {}, { receive_progress: true }, new AbortController().signal, (outcome) => got.push(outcome.args));
    assert.deepEqual([got, final.args], [[[1], [2], [3]], ['done']]);
  });

  it('refuses calls past max_calls_in_flight with junction.error.limit_exceeded, and takes them again once one ends', async () => {
    const { home, away, calls, value } = setup({ calls: 1 });
    home.existing.registration = [{ id: 1, uri: 'app.slow', match: 'exact' }];
    await calls.start();
    let finish!: () => void;
    home.answer = () => new Promise((resolve) => (finish = () => resolve({ args: ['done'], kwargs: {} })));
    const { endpoint } = away.registrations.get('app.slow')!;
    const signal = new AbortController().signal;
    const first = endpoint([], {}, {}, signal, undefined);
    await assert.rejects(endpoint([], {}, {}, signal, undefined), (error: LinkCallError) => error.uri === ErrorUri.limitExceeded);
    assert.equal(value('junction_rlink_calls_in_flight'), 1);
    assert.equal(value('junction_rlink_calls_refused_total'), 1);
    finish();
    assert.deepEqual((await first).args, ['done']);
    assert.equal(value('junction_rlink_calls_in_flight'), 0);
    home.answer = async () => ({ args: ['again'], kwargs: {} });
    assert.deepEqual((await endpoint([], {}, {}, signal, undefined)).args, ['again']);
  });

  it('refuses calls past max_call_bytes_in_flight with junction.error.limit_exceeded naming it, takes a small one still, and one alone whatever its size', async () => {
    const { home, away, calls, value } = setup({ callBytes: 1500 });
    home.existing.registration = [{ id: 1, uri: 'app.slow', match: 'exact' }];
    await calls.start();
    const finishes: (() => void)[] = [];
    home.answer = () => new Promise((resolve) => finishes.push(() => resolve({ args: ['done'], kwargs: {} })));
    const { endpoint } = away.registrations.get('app.slow')!;
    const signal = new AbortController().signal;
    const first = endpoint(['y'.repeat(1000)], {}, {}, signal, undefined);
    await assert.rejects(endpoint(['y'.repeat(1000)], {}, {}, signal, undefined),
      (error: LinkCallError) => error.uri === ErrorUri.limitExceeded && /limits\.max_call_bytes_in_flight/.test(String(error.args[0])));
    const small = endpoint([1], {}, {}, signal, undefined);
    assert.equal(value('junction_rlink_calls_refused_total'), 1);
    assert.equal(value('junction_rlink_calls_in_flight'), 2);
    assert.ok(value('junction_rlink_call_bytes_in_flight') > 1000);
    for (const finish of finishes.splice(0)) finish();
    await Promise.all([first, small]);
    assert.deepEqual([value('junction_rlink_calls_in_flight'), value('junction_rlink_call_bytes_in_flight')], [0, 0]);
    home.answer = async () => ({ args: ['alone'], kwargs: {} });
    assert.deepEqual((await endpoint(['y'.repeat(10_000)], {}, {}, signal, undefined)).args, ['alone']);
  });

  it('leaves a procedure the other side already has to its own callee, and unregisters a mirror whose registration is gone', async () => {
    const { home, away, calls, value } = setup();
    await away.register('app.taken', {}, async () => ({ args: [], kwargs: {} }));
    await calls.start();
    home.meta('wamp.registration.on_create', [9, { id: 1, uri: 'app.taken', match: 'exact' }]);
    home.meta('wamp.registration.on_create', [9, { id: 2, uri: 'app.mine', match: 'exact' }]);
    await settle();
    assert.equal(value('junction_rlink_mirrored', { kind: 'registration' }), 1);
    home.meta('wamp.registration.on_delete', [9, 2]);
    await settle();
    assert.deepEqual([...away.registrations.keys()], ['app.taken']);
    assert.equal(value('junction_rlink_mirrored', { kind: 'registration' }), 0);
  });

  it("does not mirror another link's mirror (its callees all links: role rlink there, authextra.rlink on their own router), which would bring calls no link forwards again", async () => {
    const { home, away, calls, value } = setup();
    home.callees.set(1, { authrole: 'trusted', authextra: { rlink: 'rlink_1_3' } });
    home.callees.set(2, { authrole: 'rlink', authextra: {} });
    home.existing.registration = [{ id: 1, uri: 'app.pulled', match: 'exact' }];
    await calls.start();
    home.meta('wamp.registration.on_create', [9, { id: 2, uri: 'app.pushed', match: 'exact' }]);
    home.meta('wamp.registration.on_create', [9, { id: 3, uri: 'app.own', match: 'exact' }]);
    await settle();
    await settle();
    assert.deepEqual([...away.registrations.keys()], ['app.own']);
    assert.equal(value('junction_rlink_mirrored', { kind: 'registration' }), 1);
  });

  it('masks the link\'s secret in events and invocations it passes on to this router\'s sessions, refuses a topic or procedure quoting it, and counts both', async () => {
    const ticket = 's3cret-ticket';
    const { home, away, events, calls, value } = setup(undefined, { secrets: [ticket] });
    home.existing.subscription = [{ id: 1, uri: 'app.', match: 'prefix' }];
    home.existing.registration = [{ id: 2, uri: 'app.', match: 'prefix' }];
    await events.start();
    await calls.start();
    const { handler } = away.subscriptions.get('app.')!;
    handler([`invalid ticket '${ticket}'`, 42], { [ticket]: { nested: [ticket] } }, { topic: 'app.news', publisher: 5, publisher_authid: ticket, publisher_authrole: 'user' });
    handler(['plain'], {}, { topic: `app.${ticket}` });
    await settle();
    assert.deepEqual(home.published.map(({ topic, args, kwargs, options }) => ({ topic, args, kwargs, forwardFor: options.forward_for })), [
      { topic: 'app.news', args: ["invalid ticket '*****'", 42], kwargs: { '*****': { nested: ['*****'] } }, forwardFor: [{ session: 5, authid: '*****', authrole: 'user' }] },
    ]);
    const { endpoint } = away.registrations.get('app.')!;
    const signal = new AbortController().signal;
    await endpoint([ticket], {}, { procedure: 'app.echo', caller: 6, caller_authid: 'bob', caller_authrole: 'user' }, signal, undefined);
    await assert.rejects(endpoint([], {}, { procedure: `app.${ticket}` }, signal, undefined), (error: LinkCallError) => error.uri === ErrorUri.notAuthorized && !JSON.stringify(error.args).includes(ticket));
    assert.deepEqual(home.calls.map(({ procedure, args }) => [procedure, args]), [['app.echo', ['*****']]]);
    assert.equal(value('junction_rlink_secret_echoes_total', { action: 'masked' }), 2);
    assert.equal(value('junction_rlink_secret_echoes_total', { action: 'refused' }), 2);
  });

  it('masks the link\'s secret in results, progressive results and errors from the other router, leaves what it sends there as it is, and mirrors no registration quoting it', async () => {
    const ticket = 's3cret-ticket';
    const { home, away, calls, value } = setup(undefined, { secrets: [ticket], homeName: 'remote' });
    home.existing.registration = [{ id: 1, uri: 'app.check', match: 'exact' }, { id: 2, uri: `app.${ticket}`, match: 'exact' }];
    await calls.start();
    assert.deepEqual([...away.registrations.keys()], ['app.check']);
    const { endpoint } = away.registrations.get('app.check')!;
    const signal = new AbortController().signal;
    home.answer = async (_procedure, args, onProgress) => {
      onProgress?.({ args: [`progress ${ticket}`], kwargs: {} });
      return { args: [...args, 'ok'], kwargs: { quoted: ticket } };
    };
    const progress: Args[] = [];
    const result = await endpoint([ticket], {}, { receive_progress: true }, signal, (outcome) => progress.push(outcome.args));
    assert.deepEqual(home.calls.map(({ args }) => args), [[ticket]], 'sent to the other router as it is');
    assert.deepEqual([progress, result], [[['progress *****']], { args: ['*****', 'ok'], kwargs: { quoted: '*****' } }]);
    home.answer = async () => {
      throw new LinkCallError(`app.error.${ticket}`, [`invalid ticket '${ticket}'`], { ticket });
    };
    await assert.rejects(endpoint([], {}, {}, signal, undefined), (error: LinkCallError) =>
      error.uri === 'app.error.*****' && error.args[0] === "invalid ticket '*****'" && error.kwargs.ticket === '*****');
    home.answer = async () => {
      throw new Error(`the session is closed (GOODBYE wamp.close.system_shutdown: ticket '${ticket}' revoked)`);
    };
    await assert.rejects(endpoint([], {}, {}, signal, undefined), { message: "the session is closed (GOODBYE wamp.close.system_shutdown: ticket '*****' revoked)" });
    assert.equal(value('junction_rlink_secret_echoes_total', { action: 'masked' }), 4);
    assert.equal(value('junction_rlink_secret_echoes_total', { action: 'refused' }), 1);
  });
});
