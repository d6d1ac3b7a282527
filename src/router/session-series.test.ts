import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../protocol/codes.js';
import { allRoles, flush, RouterHarness } from '../../test/support/router-harness.js';
import type { Authorizer, Decision } from './hooks.js';

/** An authorizer whose answers the test releases by hand: messages behind it wait in the session's queue. */
function heldAuthorizer(): { authorizer: Authorizer; release(): void } {
  const waiting: ((decision: Decision) => void)[] = [];
  return {
    authorizer: { authorize: () => new Promise<Decision>((resolve) => waiting.push(resolve)) },
    release: () => {
      for (const resolve of waiting.splice(0)) resolve({ allow: true });
    },
  };
}

const hello = [T.HELLO, 'realm1', { roles: allRoles }];

describe('session series: GOODBYE, then a new HELLO on the same connection', () => {
  it('starts a new session with a new ID; the old one has left the realm', async () => {
    const h = new RouterHarness();
    const peer = h.connect({ sessionSeries: true });
    peer.raw(hello);
    await flush();
    const [first] = peer.take();
    assert.equal(first?.type, T.WELCOME);
    peer.raw([T.SUBSCRIBE, 1, {}, 'a.topic']);
    peer.raw([T.GOODBYE, {}, 'wamp.close.close_realm']);
    assert.deepEqual(peer.take().map((m) => m.type), [T.SUBSCRIBED, T.GOODBYE]);
    assert.equal(peer.closed, false, 'the connection stays open');
    assert.equal(h.router.realm('realm1')!.broker.subscriptionCount(), 0);
    peer.raw(hello);
    await flush();
    const [second] = peer.take();
    assert.ok(second?.type === T.WELCOME && first.type === T.WELCOME && second.session !== first.session);
    assert.equal(h.router.realm('realm1')!.sessions.size, 1);
  });

  it('hands what the client sent behind GOODBYE, while the session was busy, to the next session in order', async () => {
    const held = heldAuthorizer();
    const h = new RouterHarness({ authorizer: held.authorizer });
    const peer = h.connect({ sessionSeries: true });
    peer.raw(hello);
    await flush();
    peer.take();
    peer.raw([T.SUBSCRIBE, 1, {}, 'a.topic']); // waits for the authorizer; what follows is queued
    peer.raw([T.GOODBYE, {}, 'wamp.close.close_realm']);
    peer.raw(hello);
    held.release();
    await flush();
    await flush();
    assert.deepEqual(peer.take().map((m) => m.type), [T.SUBSCRIBED, T.GOODBYE, T.WELCOME]);
    assert.equal(h.router.realm('realm1')!.broker.subscriptionCount(), 0, 'the first session\'s subscription left with it');
  });

  it('closes the connection after GOODBYE when the transport carries one session only, or the router is stopping', async () => {
    const h = new RouterHarness();
    const single = await h.join();
    single.peer.raw([T.GOODBYE, {}, 'wamp.close.close_realm']);
    assert.ok(single.peer.closed);

    const series = h.connect({ sessionSeries: true });
    series.raw(hello);
    await flush();
    series.take();
    // A router-initiated GOODBYE (shutdown): the client's answer ends the connection.
    const stopping = h.router.shutdown(1_000);
    assert.equal(series.take()[0]?.type, T.GOODBYE);
    series.raw([T.GOODBYE, {}, 'wamp.close.goodbye_and_out']);
    await stopping;
    assert.ok(series.closed);
  });
});
