import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../protocol/codes.js';
import { RouterHarness } from '../../test/support/router-harness.js';
import { InternalCallError, InternalResult, InternalSession } from './internal-session.js';

describe('internal session', () => {
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
});
