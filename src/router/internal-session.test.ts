import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { privateUriPrefix } from '../protocol/uri.js';
import { MessageType as T } from '../protocol/codes.js';
import { flush, RouterHarness } from '../../test/support/router-harness.js';
import { InternalCallError, InternalResult, InternalSession } from './internal-session.js';

describe('internal session', () => {
  it('is refused with wamp.close.system_shutdown when it joins while the router shuts down (the ABORT comes from inside attach)', async () => {
    const h = new RouterHarness();
    await h.router.shutdown(0);
    const joining = InternalSession.join((peer, gate, options) => h.router.attach(peer, gate, options), 'realm1',
      { authid: 'pusher:1.1', authrole: 'anonymous' }, { trusted: false, transport: { type: 'pusher', serializer: 'json', peer: 'tcp4:127.0.0.1:1' } });
    await assert.rejects(joining, (error) => error instanceof InternalCallError && error.uri === 'wamp.close.system_shutdown');
    assert.equal(h.router.metrics.unencodable.value({ type: 'ABORT', serializer: 'json' }), 0);
    assert.equal(h.router.sessionCount, 0);
  });

  it('serves procedures below the private prefix to trusted sessions only: clients may not call, register or subscribe', async () => {
    const h = new RouterHarness();
    const attach = (peer: Parameters<typeof h.router.attach>[0], gate: Parameters<typeof h.router.attach>[1], options: Parameters<typeof h.router.attach>[2]) => h.router.attach(peer, gate, options);
    const internal = await InternalSession.join(attach, 'realm1', { authid: 'router', authrole: 'trusted' });
    const procedure = `${privateUriPrefix}authenticator.0123`;
    await internal.register(procedure, () => 'role');
    const caller = await InternalSession.join(attach, 'realm1', { authid: 'router', authrole: 'trusted' });
    assert.equal((await caller.call(procedure, [])).args[0], 'role');
    const { peer } = await h.join();
    peer.raw([T.CALL, 1, {}, procedure, []]);
    peer.raw([T.REGISTER, 2, {}, `${privateUriPrefix}other`]);
    peer.raw([T.SUBSCRIBE, 3, { match: 'prefix' }, privateUriPrefix]);
    await flush();
    const replies = peer.take();
    assert.equal(replies.length, 3);
    for (const reply of replies) {
      assert.ok(reply.type === T.ERROR && reply.error === 'wamp.error.invalid_uri', JSON.stringify(reply));
      assert.match(String(reply.args?.[0]), /private to the router/);
    }
  });

  it('registers wamp.* procedures (trusted) that network sessions can call', async () => {
    const h = new RouterHarness();
    const internal = await InternalSession.join((peer, gate, options) => h.router.attach(peer, gate, options), 'realm1',
      { authid: 'router', authrole: 'trusted' });
    await internal.register('wamp.test.double', (args) => (args[0] as number) * 2);
    await internal.register('wamp.test.pair', () => new InternalResult([1], { two: 2 }));
    await internal.register('wamp.test.fail', () => { throw new InternalCallError('com.example.nope', ['refused']); });
    const { peer } = await h.join();
    peer.raw([T.CALL, 1, {}, 'wamp.test.double', [21]]);
    peer.raw([T.CALL, 2, {}, 'wamp.test.pair']);
    peer.raw([T.CALL, 3, {}, 'wamp.test.fail']);
    await new Promise((resolve) => setImmediate(resolve));
    const replies = peer.take();
    const reply = (request: number) => replies.find((m) => 'request' in m && m.request === request);
    const [double, pair, fail] = [reply(1), reply(2), reply(3)];
    assert.ok(double?.type === T.RESULT && double.args?.[0] === 42);
    assert.ok(pair?.type === T.RESULT && pair.kwargs?.two === 2);
    assert.ok(fail?.type === T.ERROR && fail.error === 'com.example.nope');
    peer.raw([T.REGISTER, 4, {}, 'wamp.test.mine']);
    assert.ok(peer.take()[0]?.type === T.ERROR, 'network sessions may not register wamp.*');
  });

  it('calls procedures of network sessions and sees their errors', async () => {
    const h = new RouterHarness();
    const callee = await h.join();
    callee.peer.raw([T.REGISTER, 1, {}, 'app.auth']);
    callee.peer.take();
    const internal = await InternalSession.join((peer, gate, options) => h.router.attach(peer, gate, options), 'realm1',
      { authid: 'router', authrole: 'trusted' });
    const outcome = internal.call('app.auth', ['alice']);
    await new Promise((resolve) => setImmediate(resolve));
    const invocation = callee.peer.take()[0];
    assert.ok(invocation?.type === T.INVOCATION);
    callee.peer.raw([T.YIELD, invocation.request, {}, ['user'], { ok: true }]);
    assert.deepEqual(await outcome, { args: ['user'], kwargs: { ok: true } });
    const failing = internal.call('app.missing');
    await assert.rejects(failing, (error: InternalCallError) => error.uri === 'wamp.error.no_such_procedure');
  });

  it('receives progressive results when it asks for them, and sends them to a caller that asked', async () => {
    const h = new RouterHarness();
    const callee = await h.join();
    callee.peer.raw([T.REGISTER, 1, {}, 'app.count']);
    callee.peer.take();
    const internal = await InternalSession.join((peer, gate, options) => h.router.attach(peer, gate, options), 'realm1',
      { authid: 'router', authrole: 'trusted' });
    const seen: unknown[] = [];
    const outcome = internal.call('app.count', [], {}, {}, undefined, (args) => seen.push(args[0]));
    await new Promise((resolve) => setImmediate(resolve));
    const invocation = callee.peer.take()[0];
    assert.ok(invocation?.type === T.INVOCATION && invocation.details.receive_progress === true);
    for (const n of [1, 2]) callee.peer.raw([T.YIELD, invocation.request, { progress: true }, [n]]);
    callee.peer.raw([T.YIELD, invocation.request, {}, ['done']]);
    assert.deepEqual([(await outcome).args, seen], [['done'], [1, 2]]);

    await internal.register('app.stream', (_args, _kwargs, _details, _signal, progress) => {
      progress(['one'], {});
      return 'last';
    });
    const { peer } = await h.join();
    peer.raw([T.CALL, 5, { receive_progress: true }, 'app.stream']);
    peer.raw([T.CALL, 6, {}, 'app.stream']);
    await flush();
    const answers = peer.take().map((m) => (m.type === T.RESULT ? [m.request, m.details.progress === true, m.args?.[0]] : m));
    assert.deepEqual(answers, [[5, true, 'one'], [5, false, 'last'], [6, false, 'last']], 'a caller that did not ask gets the final result only');
  });

  const joinAs = (h: RouterHarness, trusted = true) =>
    InternalSession.join((peer, gate, options) => h.router.attach(peer, gate, options), 'realm1',
      { authid: 'bridge', authrole: 'publisher', authmethod: 'bridge', authprovider: 'junction' }, { trusted });

  it('publishes with acknowledgement and receives events of its subscriptions', async () => {
    const h = new RouterHarness();
    const internal = await joinAs(h);
    const seen: unknown[] = [];
    await internal.subscribe('com.news', (args, kwargs, details) => seen.push([args, kwargs, details.publication > 0]));
    const { peer } = await h.join();
    peer.raw([T.PUBLISH, 1, {}, 'com.news', ['hello'], { n: 1 }]);
    const id = await internal.publishAcknowledged('com.other', [1]);
    assert.ok(Number.isInteger(id) && id > 0);
    assert.deepEqual(seen, [[['hello'], { n: 1 }, true]]);
  });

  it('is refused wamp.* URIs when it joins untrusted, and its publish errors reject', async () => {
    const h = new RouterHarness();
    const bridge = await joinAs(h, false);
    await assert.rejects(bridge.publishAcknowledged('wamp.session.on_join'), (error: InternalCallError) => error.uri === 'wamp.error.invalid_uri');
  });

  it('gives the publication id without a promise when the router acknowledges during the call, and throws its ERROR the same way', async () => {
    const h = new RouterHarness({ authorizer: { authorize: (_session, _action, uri) => ({ allow: uri !== 'com.secret' }) } });
    const bridge = await joinAs(h, false);
    const { peer } = await h.join();
    peer.raw([T.SUBSCRIBE, 1, {}, 'com.news']);
    peer.take();
    const id = bridge.publishAcknowledgedNowOrLater('com.news', ['hello']);
    assert.ok(typeof id === 'number' && Number.isInteger(id) && id > 0, 'an id, not a promise');
    assert.throws(() => bridge.publishAcknowledgedNowOrLater('com.secret', [1]), (error: InternalCallError) => error.uri === 'wamp.error.not_authorized');
    assert.throws(() => bridge.publishAcknowledgedNowOrLater('wamp.session.on_join'), (error: InternalCallError) => error.uri === 'wamp.error.invalid_uri');
    await flush();
    assert.deepEqual(peer.take().map((message) => message.type === T.EVENT && [message.publication, message.args]), [[id, ['hello']]]);
  });

  it('gives a promise of the publication id when a dynamic authorizer is asked first', async () => {
    const decisions: ((allow: boolean) => void)[] = [];
    const h = new RouterHarness({ authorizer: { authorize: () => new Promise((resolve) => decisions.push((allow) => resolve({ allow }))) } });
    const bridge = await joinAs(h, false);
    const allowed = bridge.publishAcknowledgedNowOrLater('com.news', ['later']);
    assert.ok(allowed instanceof Promise);
    await flush();
    decisions.shift()!(true);
    const id = await allowed;
    assert.ok(Number.isInteger(id) && id > 0);
    const refused = bridge.publishAcknowledgedNowOrLater('com.news', ['never']);
    assert.ok(refused instanceof Promise);
    await flush();
    decisions.shift()!(false);
    await assert.rejects(refused, (error: InternalCallError) => error.uri === 'wamp.error.not_authorized');
  });

  it('cancels a call when its signal aborts, and interrupts its own handlers', async () => {
    const h = new RouterHarness();
    const internal = await joinAs(h);
    let interrupted: unknown;
    await internal.register('com.slow', (_args, _kwargs, _details, signal) => new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => { interrupted = signal.reason; reject(signal.reason as Error); });
    }));
    const controller = new AbortController();
    const outcome = internal.call('com.slow', [], {}, {}, controller.signal);
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await assert.rejects(outcome, (error: InternalCallError) => error.uri === 'wamp.error.canceled');
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(interrupted instanceof InternalCallError && interrupted.uri === 'wamp.error.canceled');
  });
  it('rejects a canceled call at once, without waiting for an ERROR the router does not send (a callee without call_canceling)', async () => {
    const h = new RouterHarness();
    const internal = await joinAs(h);
    const callee = await h.join({ callee: { features: {} } });
    callee.peer.raw([T.REGISTER, 1, {}, 'com.plain']);
    callee.peer.take();
    const controller = new AbortController();
    const outcome = internal.call('com.plain', [], {}, {}, controller.signal);
    await new Promise((resolve) => setImmediate(resolve));
    const invocation = callee.peer.take()[0];
    assert.ok(invocation?.type === T.INVOCATION);
    controller.abort();
    await assert.rejects(outcome, (error: InternalCallError) => error.uri === 'wamp.error.canceled');
    assert.deepEqual(callee.peer.take(), [], 'the callee cannot be interrupted: the call was skipped');
    callee.peer.raw([T.YIELD, invocation.request, {}, ['late']]);
    const next = internal.call('com.plain', ['again']);
    await new Promise((resolve) => setImmediate(resolve));
    const second = callee.peer.take()[0];
    assert.ok(second?.type === T.INVOCATION && second.args?.[0] === 'again');
    callee.peer.raw([T.YIELD, second.request, {}, ['fine']]);
    assert.deepEqual((await next).args, ['fine'], 'the late answer settled nothing; the next call works');
  });
  it('does not answer the router\'s reply to its own GOODBYE (the reply\'s reason is Crossbar\'s wamp.close.normal, as its own is)', async () => {
    const h = new RouterHarness();
    const sent: unknown[] = [];
    const internal = await InternalSession.join((peer, gate, options) => {
      const link = h.router.attach(peer, gate, options);
      const receive = link.receive.bind(link);
      link.receive = (decoded, bytes) => {
        sent.push(decoded);
        receive(decoded, bytes);
      };
      return link;
    }, 'realm1', { authid: 'router', authrole: 'trusted' });
    internal.leave();
    await internal.closed;
    await flush();
    assert.deepEqual(sent.filter((message) => (message as unknown[])[0] === T.GOODBYE), [[T.GOODBYE, {}, 'wamp.close.normal']]);
  });
});
