import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType } from '../protocol/codes.js';
import { ErrorUri } from '../protocol/errors.js';
import { jsonCodec } from '../codec/json.js';
import { connectWith, type ConnectOptions } from './connect.js';
import { InvalidUriError, SessionClosedError, WampError } from './errors.js';
import { Result } from './result.js';
import type { Session } from './session.js';
import { FakeRouter, type FakePeer } from './testing/fake-router.js';
import type { Event } from './types.js';

async function open(options: Partial<ConnectOptions> = {}): Promise<{ router: FakeRouter; peer: FakePeer; session: Session }> {
  const router = new FakeRouter();
  const connecting = connectWith({ transport: router.transport, codecs: [jsonCodec] }, { url: 'ws://fake/ws', realm: 'realm1', reconnect: false, ...options });
  const peer = await router.acceptSession(4242, { authid: 'anon-1', authrole: 'anonymous' });
  return { router, peer, session: await connecting };
}

/**
 * After the client settled a call itself (abort, timeout, a stream left), the router's ERROR and a
 * callee's late RESULT for it are dropped: no protocol violation, and the next call works.
 */
async function assertLateAnswerIgnored(peer: FakePeer, session: Session, request: number): Promise<void> {
  peer.send({ type: MessageType.RESULT, request, details: {}, args: ['late'] });
  peer.send({ type: MessageType.ERROR, requestType: MessageType.CALL, request, details: {}, error: ErrorUri.canceled });
  const next = session.call('com.next');
  const call = await peer.expect(MessageType.CALL); // an ABORT here would fail the expectation
  peer.send({ type: MessageType.RESULT, request: call.request, details: {}, args: ['fine'] });
  assert.deepEqual((await next).args, ['fine']);
}

describe('client session handshake', () => {
  it('sends HELLO with the realm, its roles and anonymous auth, and exposes WELCOME', async () => {
    const router = new FakeRouter();
    const connecting = connectWith({ transport: router.transport, codecs: [jsonCodec] }, { url: 'ws://fake/ws', realm: 'realm1' });
    const peer = await router.accept();
    assert.deepEqual(peer.offered, ['wamp.2.json']);
    const hello = await peer.expect(MessageType.HELLO);
    assert.equal(hello.realm, 'realm1');
    assert.deepEqual(hello.details.authmethods, ['anonymous']);
    const roles = hello.details.roles as Record<string, { features: Record<string, boolean> }>;
    assert.deepEqual(Object.keys(roles).sort(), ['callee', 'caller', 'publisher', 'subscriber']);
    assert.equal(roles.caller!.features.call_canceling, true);
    peer.send({ type: MessageType.WELCOME, session: 99, details: { authrole: 'anonymous' } });
    const session = await connecting;
    assert.equal(session.id, 99);
    assert.equal(session.details.authrole, 'anonymous');
    assert.equal(session.state, 'open');
  });

  it('rejects with a WampError when the router ABORTs', async () => {
    const router = new FakeRouter();
    const connecting = connectWith({ transport: router.transport, codecs: [jsonCodec] }, { url: 'ws://fake/ws', realm: 'nope' });
    const peer = await router.accept();
    await peer.expect(MessageType.HELLO);
    peer.send({ type: MessageType.ABORT, details: { message: 'no realm "nope"' }, reason: ErrorUri.noSuchRealm });
    await assert.rejects(connecting, (error: unknown) => error instanceof WampError && error.uri === ErrorUri.noSuchRealm && /no realm "nope"/.test(error.message));
  });

  it('rejects misconfiguration before dialing', async () => {
    const router = new FakeRouter();
    const platform = { transport: router.transport, codecs: [jsonCodec] };
    await assert.rejects(connectWith(platform, { url: 'http://x', realm: 'realm1' }), /url must start with ws:\/\/ or wss:\/\//);
    await assert.rejects(connectWith(platform, { url: 'ws://x', realm: 'bad realm' }), InvalidUriError);
    await assert.rejects(connectWith(platform, { url: 'ws://x', realm: 'r', serializers: ['msgpack'] }), /connect: serializers must be some of json \(in this build\), got \["msgpack"\]/);
    await assert.rejects(connectWith(platform, { url: 'ws://x', realm: 'r', reconnect: { growth: 0.5 } }), /reconnect: want .*growth >= 1/);
    assert.equal(router.attempts, 0);
  });
});

describe('client publish and subscribe', () => {
  it('publishes without and with acknowledge', async () => {
    const { peer, session } = await open();
    assert.equal(await session.publish('com.example.news', ['hello'], { lang: 'en' }), undefined);
    const plain = await peer.expect(MessageType.PUBLISH);
    assert.deepEqual([plain.topic, plain.args, plain.kwargs, plain.options], ['com.example.news', ['hello'], { lang: 'en' }, {}]);

    const acked = session.publish('com.example.news', [], undefined, { acknowledge: true, exclude_me: false });
    const publish = await peer.expect(MessageType.PUBLISH);
    assert.deepEqual(publish.options, { acknowledge: true, exclude_me: false });
    peer.send({ type: MessageType.PUBLISHED, request: publish.request, publication: 777 });
    assert.equal(await acked, 777);
  });

  it('rejects an acknowledged publish the router refuses', async () => {
    const { peer, session } = await open();
    const acked = session.publish('com.secret', [], {}, { acknowledge: true });
    const publish = await peer.expect(MessageType.PUBLISH);
    peer.send({ type: MessageType.ERROR, requestType: MessageType.PUBLISH, request: publish.request, details: {}, error: ErrorUri.notAuthorized, args: ['denied'] });
    await assert.rejects(acked, (error: unknown) => error instanceof WampError && error.uri === ErrorUri.notAuthorized && error.args[0] === 'denied');
  });

  it('delivers events to a handler as (args, kwargs, details)', async () => {
    const { peer, session } = await open();
    const seen: unknown[] = [];
    const subscribing = session.subscribe<[string], { n: number }>('com.example.news', (args, kwargs, details) => seen.push([args[0], kwargs.n, details.topic, details.publication, details.publisher]));
    const subscribe = await peer.expect(MessageType.SUBSCRIBE);
    assert.equal(subscribe.topic, 'com.example.news');
    peer.send({ type: MessageType.SUBSCRIBED, request: subscribe.request, subscription: 5 });
    const subscription = await subscribing;
    assert.equal(subscription.id, 5);
    peer.send({ type: MessageType.EVENT, subscription: 5, publication: 10, details: { publisher: 3 }, args: ['a'], kwargs: { n: 1 } });
    peer.send({ type: MessageType.EVENT, subscription: 5, publication: 11, details: {}, args: ['b'], kwargs: { n: 2 } });
    await session.publish('com.sync', []); // a round of microtasks so both events are in
    await peer.expect(MessageType.PUBLISH);
    assert.deepEqual(seen, [['a', 1, 'com.example.news', 10, 3], ['b', 2, 'com.example.news', 11, undefined]]);
  });

  it('an EVENT or INVOCATION right behind its SUBSCRIBED or REGISTERED (one read) reaches its handler', async () => {
    const { peer, session } = await open();
    const seen: unknown[] = [];
    const subscribing = session.subscribe('com.example.news', (args) => void seen.push(args[0]));
    peer.send({ type: MessageType.SUBSCRIBED, request: (await peer.expect(MessageType.SUBSCRIBE)).request, subscription: 5 });
    peer.send({ type: MessageType.EVENT, subscription: 5, publication: 10, details: {}, args: ['at once'] });
    await subscribing;
    const registering = session.register('com.example.add', (args) => (args[0] as number) + 1);
    peer.send({ type: MessageType.REGISTERED, request: (await peer.expect(MessageType.REGISTER)).request, registration: 30 });
    peer.send({ type: MessageType.INVOCATION, request: 1, registration: 30, details: {}, args: [41] });
    await registering;
    assert.deepEqual((await peer.expect(MessageType.YIELD)).args, [42]);
    assert.deepEqual(seen, ['at once']);
  });

  it('iterates events when subscribed without a handler; leaving the loop unsubscribes', async () => {
    const { peer, session } = await open();
    const subscribing = session.subscribe('com.example.', undefined, { match: 'prefix' });
    const subscribe = await peer.expect(MessageType.SUBSCRIBE);
    assert.deepEqual(subscribe.options, { match: 'prefix' });
    peer.send({ type: MessageType.SUBSCRIBED, request: subscribe.request, subscription: 8 });
    const subscription = await subscribing;
    for (let i = 1; i <= 3; i++) {
      peer.send({ type: MessageType.EVENT, subscription: 8, publication: i, details: { topic: `com.example.t${i}` }, args: [i] });
    }
    const got: Event[] = [];
    for await (const event of subscription) {
      got.push(event);
      if (got.length === 2) break;
    }
    assert.deepEqual(got.map((event) => [event.args[0], event.details.topic]), [[1, 'com.example.t1'], [2, 'com.example.t2']]);
    const unsubscribe = await peer.expect(MessageType.UNSUBSCRIBE);
    assert.equal(unsubscribe.subscription, 8);
    assert.equal(subscription.isActive, false);
  });

  it('shares one router subscription between two local ones and unsubscribes after the last', async () => {
    const { peer, session } = await open();
    const first = session.subscribe('com.t', () => {});
    peer.send({ type: MessageType.SUBSCRIBED, request: (await peer.expect(MessageType.SUBSCRIBE)).request, subscription: 9 });
    const second = session.subscribe('com.t', () => {});
    peer.send({ type: MessageType.SUBSCRIBED, request: (await peer.expect(MessageType.SUBSCRIBE)).request, subscription: 9 });
    const [a, b] = await Promise.all([first, second]);
    await a.unsubscribe(); // b still needs id 9: nothing is sent
    const unsubscribing = b.unsubscribe();
    const unsubscribe = await peer.expect(MessageType.UNSUBSCRIBE);
    assert.equal(unsubscribe.subscription, 9);
    peer.send({ type: MessageType.UNSUBSCRIBED, request: unsubscribe.request });
    await unsubscribing;
  });

  it('reports a throwing handler and keeps delivering', async () => {
    const reported: unknown[] = [];
    const { peer, session } = await open({ onHandlerError: (error, where) => reported.push([(error as Error).message, where]) });
    let calls = 0;
    const subscribing = session.subscribe('com.t', () => {
      calls++;
      throw new Error('boom');
    });
    peer.send({ type: MessageType.SUBSCRIBED, request: (await peer.expect(MessageType.SUBSCRIBE)).request, subscription: 1 });
    await subscribing;
    peer.send({ type: MessageType.EVENT, subscription: 1, publication: 1, details: {} });
    peer.send({ type: MessageType.EVENT, subscription: 1, publication: 2, details: {} });
    await session.publish('com.sync', []);
    await peer.expect(MessageType.PUBLISH);
    assert.equal(calls, 2);
    assert.deepEqual(reported, [['boom', 'com.t'], ['boom', 'com.t']]);
  });
});

describe('client calls', () => {
  it('resolves a Result with args, kwargs and details', async () => {
    const { peer, session } = await open();
    const calling = session.call<[number, number], {}, [number]>('com.add', [2, 3], undefined, { disclose_me: true });
    const call = await peer.expect(MessageType.CALL);
    assert.deepEqual([call.procedure, call.args, call.options], ['com.add', [2, 3], { disclose_me: true }]);
    peer.send({ type: MessageType.RESULT, request: call.request, details: {}, args: [5] });
    const result = await calling;
    assert.ok(result instanceof Result);
    assert.deepEqual([result.args, result.kwargs, result.progress], [[5], {}, false]);
  });

  it('rejects with the callee error as a WampError', async () => {
    const { peer, session } = await open();
    const calling = session.call('com.fail');
    const call = await peer.expect(MessageType.CALL);
    peer.send({ type: MessageType.ERROR, requestType: MessageType.CALL, request: call.request, details: {}, error: 'com.error.bad', args: ['nope'], kwargs: { code: 7 } });
    await assert.rejects(calling, (error: unknown) => error instanceof WampError && error.uri === 'com.error.bad' && error.kwargs.code === 7 && error.error === 'com.error.bad');
  });

  it('hands progressive results to onProgress and resolves with the final one', async () => {
    const { peer, session } = await open();
    const progress: unknown[] = [];
    const calling = session.call('com.count', [], {}, { onProgress: (result) => progress.push(result.args[0]) });
    const call = await peer.expect(MessageType.CALL);
    assert.equal(call.options.receive_progress, true);
    for (const n of [1, 2]) peer.send({ type: MessageType.RESULT, request: call.request, details: { progress: true }, args: [n] });
    peer.send({ type: MessageType.RESULT, request: call.request, details: {}, args: ['done'] });
    assert.deepEqual((await calling).args, ['done']);
    assert.deepEqual(progress, [1, 2]);
  });

  it('streams progressive results with callStream, and cancels when the loop is left', async () => {
    const { peer, session } = await open();
    const stream = session.callStream('com.ticks');
    const call = await peer.expect(MessageType.CALL);
    for (const n of [1, 2, 3]) peer.send({ type: MessageType.RESULT, request: call.request, details: { progress: true }, args: [n] });
    const got: unknown[] = [];
    for await (const result of stream) {
      got.push(result.args[0]);
      if (got.length === 2) break;
    }
    assert.deepEqual(got, [1, 2]);
    const cancel = await peer.expect(MessageType.CANCEL);
    assert.deepEqual([cancel.request, cancel.options], [call.request, { mode: 'killnowait' }]);
    await assertLateAnswerIgnored(peer, session, call.request);
  });

  it('ends callStream with the final result', async () => {
    const { peer, session } = await open();
    const stream = session.callStream('com.ticks');
    const call = await peer.expect(MessageType.CALL);
    peer.send({ type: MessageType.RESULT, request: call.request, details: { progress: true }, args: [1] });
    peer.send({ type: MessageType.RESULT, request: call.request, details: {}, args: ['end'] });
    const got: unknown[] = [];
    for await (const result of stream) got.push([result.args[0], result.progress]);
    assert.deepEqual(got, [[1, true], ['end', false]]);
  });

  for (const mode of ['skip', 'killnowait', 'kill'] as const) {
    it(`sends CANCEL ${mode} when the AbortSignal fires and rejects at once with its reason; the router's answer, if any, is ignored`, async () => {
      const { peer, session } = await open();
      const controller = new AbortController();
      const calling = session.call('com.slow', [], {}, { signal: controller.signal, cancelMode: mode });
      const call = await peer.expect(MessageType.CALL);
      controller.abort();
      // Settled with no answer from the router: with skip (or a callee that cannot be interrupted) none comes, as on Crossbar.
      await assert.rejects(calling, { name: 'AbortError' });
      const cancel = await peer.expect(MessageType.CANCEL);
      assert.deepEqual([cancel.request, cancel.options], [call.request, { mode }]);
      await assertLateAnswerIgnored(peer, session, call.request);
    });
  }

  it('does not send a call whose signal is already aborted', async () => {
    const { peer, session } = await open();
    await assert.rejects(session.call('com.x', [], {}, { signal: AbortSignal.abort(new Error('too late')) }), /too late/);
    await session.publish('com.sync');
    await peer.expect(MessageType.PUBLISH); // no CALL came before it
  });

  it('times out: sends the timeout along, then CANCEL, and rejects with wamp.error.timeout', async () => {
    const { peer, session } = await open();
    const calling = session.call('com.slow', [], {}, { timeout: 20 });
    const call = await peer.expect(MessageType.CALL);
    assert.equal(call.options.timeout, 20);
    await assert.rejects(calling, (error: unknown) => error instanceof WampError && error.uri === ErrorUri.timeout && /timed out after 20 ms/.test(error.message));
    assert.deepEqual((await peer.expect(MessageType.CANCEL)).options, { mode: 'killnowait' });
    await assertLateAnswerIgnored(peer, session, call.request);
  });
});

describe('client registrations', () => {
  async function registered(session: Session, peer: FakePeer, endpoint: Parameters<Session['register']>[1], id = 30) {
    const registering = session.register('com.proc', endpoint);
    const register = await peer.expect(MessageType.REGISTER);
    peer.send({ type: MessageType.REGISTERED, request: register.request, registration: id });
    return registering;
  }

  it('answers with the endpoint value, a Promise or a Result', async () => {
    const { peer, session } = await open();
    const outcomes: unknown[] = [5, Promise.resolve('later'), new Result([1, 2], { k: true }), undefined];
    let next = 0;
    await registered(session, peer, () => outcomes[next++]);
    const expected = [[[5], undefined], [['later'], undefined], [[1, 2], { k: true }], [[], undefined]];
    for (let i = 0; i < outcomes.length; i++) {
      peer.send({ type: MessageType.INVOCATION, request: 100 + i, registration: 30, details: {}, args: [] });
      const answer = await peer.expect(MessageType.YIELD);
      assert.equal(answer.request, 100 + i);
      assert.deepEqual([answer.args, answer.kwargs && Object.keys(answer.kwargs).length ? answer.kwargs : undefined], expected[i]);
    }
  });

  it('passes args, kwargs and caller details to the endpoint', async () => {
    const { peer, session } = await open();
    let seen: unknown;
    await registered(session, peer, (args, kwargs, details) => {
      seen = [args, kwargs, details.procedure, details.caller, details.receive_progress];
      return null;
    });
    peer.send({ type: MessageType.INVOCATION, request: 1, registration: 30, details: { caller: 12, procedure: 'com.proc.sub' }, args: [1], kwargs: { a: 2 } });
    await peer.expect(MessageType.YIELD);
    assert.deepEqual(seen, [[1], { a: 2 }, 'com.proc.sub', 12, false]);
  });

  it('turns thrown errors into ERROR: a WampError keeps its URI, others become runtime errors', async () => {
    const { peer, session } = await open();
    let n = 0;
    await registered(session, peer, () => {
      if (n++ === 0) throw new WampError('com.error.invalid', ['bad input'], { field: 'x' });
      throw new Error('kaput');
    });
    peer.send({ type: MessageType.INVOCATION, request: 1, registration: 30, details: {} });
    const first = await peer.expect(MessageType.ERROR);
    assert.deepEqual([first.requestType, first.request, first.error, first.args, first.kwargs], [MessageType.INVOCATION, 1, 'com.error.invalid', ['bad input'], { field: 'x' }]);
    peer.send({ type: MessageType.INVOCATION, request: 2, registration: 30, details: {} });
    const second = await peer.expect(MessageType.ERROR);
    assert.deepEqual([second.error, second.args], ['wamp.error.runtime_error', ['kaput']]);
  });

  it('streams an async generator as progressive YIELDs when the caller asked for them', async () => {
    const { peer, session } = await open();
    await registered(session, peer, async function* () {
      yield 1;
      yield new Result([2], { two: true });
      return 'last';
    });
    peer.send({ type: MessageType.INVOCATION, request: 1, registration: 30, details: { receive_progress: true } });
    const yields = [await peer.expect(MessageType.YIELD), await peer.expect(MessageType.YIELD), await peer.expect(MessageType.YIELD)];
    assert.deepEqual(yields.map((y) => [y.options.progress ?? false, y.args]), [[true, [1]], [true, [2]], [false, ['last']]]);

    // Without receive_progress only the final result goes out.
    peer.send({ type: MessageType.INVOCATION, request: 2, registration: 30, details: {} });
    const only = await peer.expect(MessageType.YIELD);
    assert.deepEqual([only.request, only.options, only.args], [2, {}, ['last']]);
  });

  it('fires the endpoint signal on INTERRUPT and answers wamp.error.canceled', async () => {
    const { peer, session } = await open();
    let aborted: unknown;
    await registered(session, peer, (_args, _kwargs, details) =>
      new Promise((_resolve, reject) => details.signal.addEventListener('abort', () => {
        aborted = details.signal.reason;
        reject(details.signal.reason);
      })),
    );
    peer.send({ type: MessageType.INVOCATION, request: 7, registration: 30, details: {} });
    peer.send({ type: MessageType.INTERRUPT, request: 7, options: { mode: 'kill' } });
    const error = await peer.expect(MessageType.ERROR);
    assert.deepEqual([error.request, error.error], [7, ErrorUri.canceled]);
    assert.match(String((aborted as Error).message), /canceled \(kill\)/);
  });

  it('makes no AbortController for an invocation whose endpoint never reads its signal, and answers an INTERRUPT all the same', async () => {
    const { peer, session } = await open();
    let release!: () => void;
    await registered(session, peer, () => new Promise<string>((resolve) => (release = () => resolve('late'))));
    const Original = globalThis.AbortController;
    let made = 0;
    globalThis.AbortController = class extends Original {
      constructor() {
        super();
        made++;
      }
    };
    try {
      peer.send({ type: MessageType.INVOCATION, request: 8, registration: 30, details: {} });
      peer.send({ type: MessageType.INTERRUPT, request: 8, options: { mode: 'kill' } });
      await new Promise((resolve) => setImmediate(resolve));
      release();
      const error = await peer.expect(MessageType.ERROR);
      assert.deepEqual([error.request, error.error], [8, ErrorUri.canceled]);
      assert.equal(made, 0);
    } finally {
      globalThis.AbortController = Original;
    }
  });

  it('gives an endpoint that reads its signal after an INTERRUPT a signal already aborted with its reason', async () => {
    const { peer, session } = await open();
    let interrupted!: () => void;
    const seen = new Promise<void>((resolve) => (interrupted = resolve));
    let signal: AbortSignal | undefined;
    await registered(session, peer, async (_args, _kwargs, details) => {
      await seen;
      signal = details.signal;
      return 'ignored';
    });
    peer.send({ type: MessageType.INVOCATION, request: 9, registration: 30, details: {} });
    peer.send({ type: MessageType.INTERRUPT, request: 9, options: { mode: 'killnowait' } });
    await new Promise((resolve) => setImmediate(resolve));
    interrupted();
    const error = await peer.expect(MessageType.ERROR);
    assert.deepEqual([error.request, error.error], [9, ErrorUri.canceled]);
    assert.equal(signal?.aborted, true);
    assert.match(String((signal?.reason as Error).message), /canceled \(killnowait\)/);
  });

  it('unregisters', async () => {
    const { peer, session } = await open();
    const registration = await registered(session, peer, () => 1);
    const unregistering = registration.unregister();
    const unregister = await peer.expect(MessageType.UNREGISTER);
    assert.equal(unregister.registration, 30);
    peer.send({ type: MessageType.UNREGISTERED, request: unregister.request });
    await unregistering;
    assert.equal(registration.isActive, false);
  });
});

describe('client misuse and closing', () => {
  it('throws at the call for bad URIs and payloads', async () => {
    const { session } = await open();
    assert.throws(() => session.publish('com..bad'), {
      name: 'InvalidUriError',
      message: 'publish: "com..bad" is not a valid URI (components must be non-empty, without whitespace or "#")',
    });
    assert.throws(() => session.call('has space'), InvalidUriError);
    assert.throws(() => session.subscribe(42 as unknown as string), { name: 'InvalidUriError', message: /^subscribe: 42 is not a valid URI/ });
    assert.throws(() => session.subscribe('com.#', undefined, { match: 'prefix' }), /subscribe: "com.#" is not a valid URI pattern \(no whitespace or "#" allowed\)/);
    assert.throws(() => session.call('com.ok', 'x' as unknown as []), /call "com.ok": args must be an array/);
    assert.throws(() => session.publish('com.ok', [], [] as unknown as {}), /publish "com.ok": kwargs must be a plain object/);
    assert.throws(() => session.register('com.ok', undefined as unknown as () => void), /register "com.ok": endpoint must be a function/);
    assert.throws(() => session.leave('not ok'), /leave: "not ok" is not a valid URI/);
    // Patterns allow empty components.
    const wildcard = session.subscribe('com..update', () => {}, { match: 'wildcard' });
    assert.ok(wildcard instanceof Promise);
  });

  it('leaves with GOODBYE, then refuses further use with SessionClosedError', async () => {
    const { peer, session } = await open();
    const statuses = session.status();
    const leaving = session.leave('wamp.close.normal', 'bye');
    const goodbye = await peer.expect(MessageType.GOODBYE);
    assert.deepEqual([goodbye.reason, goodbye.details], ['wamp.close.normal', { message: 'bye' }]);
    peer.send({ type: MessageType.GOODBYE, details: {}, reason: ErrorUri.goodbyeAndOut });
    await leaving;
    await peer.clientClosed;
    assert.equal(session.state, 'closed');
    assert.throws(() => session.call('com.add'), (error: unknown) => error instanceof SessionClosedError && /cannot call "com.add": the session is leaving/.test(error.message));
    const seen = [];
    for await (const status of statuses) seen.push(status);
    assert.deepEqual(seen, [{ type: 'closed', reason: ErrorUri.goodbyeAndOut, message: undefined, willRetry: false }]);
  });

  it('answers a router GOODBYE and, without reconnect, closes', async () => {
    const { peer, session } = await open();
    peer.send({ type: MessageType.GOODBYE, details: { message: 'maintenance' }, reason: ErrorUri.systemShutdown });
    const reply = await peer.expect(MessageType.GOODBYE);
    assert.equal(reply.reason, ErrorUri.goodbyeAndOut);
    await peer.clientClosed;
    assert.equal(session.state, 'closed');
    assert.throws(() => session.publish('com.t'), /the session is closed \(wamp.close.system_shutdown: maintenance\)/);
  });

  it('aborts the session on a malformed message from the router', async () => {
    const { peer, session } = await open();
    peer.sendRaw('[36, "not an id", 1, {}]');
    const abort = await peer.expect(MessageType.ABORT);
    assert.equal(abort.reason, ErrorUri.protocolViolation);
    assert.equal(abort.details.message, 'message type 36: subscription (element 1) must be an ID');
    await peer.clientClosed;
    assert.equal(session.state, 'closed');
  });

  it('aborts on a reply that does not fit its request', async () => {
    const { peer, session } = await open();
    const subscribing = session.subscribe('com.t', () => {});
    const subscribe = await peer.expect(MessageType.SUBSCRIBE);
    peer.send({ type: MessageType.REGISTERED, request: subscribe.request, registration: 1 });
    const abort = await peer.expect(MessageType.ABORT);
    assert.equal(abort.details.message, `message type 65 answers request ${subscribe.request} of type 32`);
    await assert.rejects(subscribing, { name: 'ConnectionLostError' });
  });
});
