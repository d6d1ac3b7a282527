import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../protocol/codes.js';
import { allRoles, flush, onlyMessage, RouterHarness } from '../../test/support/router-harness.js';
import { allowEverything, type Authorizer } from './hooks.js';
import { defaultRealmLimits } from '../config/schema-router.js';

/** What a config reload asks of the router: realms added and removed, a realm's rules changed in place. */

const denyEverything: Authorizer = { authorize: () => ({ allow: false }) };

describe('router - realms added and removed while running', () => {
  it('lets sessions join a realm added after start', async () => {
    const h = new RouterHarness();
    await h.router.addRealm({ name: 'realm2', authorizer: allowEverything, uriCheck: 'loose', enableMetaApi: true, limits: defaultRealmLimits });
    const peer = h.connect();
    peer.deliver({ type: T.HELLO, realm: 'realm2', details: { roles: allRoles } });
    await flush();
    assert.equal(onlyMessage(peer.take(), T.WELCOME).details.realm, 'realm2');
    await assert.rejects(h.router.addRealm({ name: 'realm2', authorizer: allowEverything, uriCheck: 'loose', limits: defaultRealmLimits }), /already exists/);
  });

  it('says GOODBYE to a removed realm\'s sessions, disconnects one that does not answer, and refuses new HELLOs for it', async () => {
    const h = new RouterHarness({ realm: { enableMetaApi: false } });
    const answering = await h.join();
    const silent = await h.join();
    h.router.removeRealm('realm1', 'wamp.close.close_realm', 'realm "realm1" was removed', 30);
    for (const { peer } of [answering, silent]) {
      const goodbye = onlyMessage(peer.take(), T.GOODBYE);
      assert.equal(goodbye.reason, 'wamp.close.close_realm');
      assert.equal(goodbye.details.message, 'realm "realm1" was removed');
    }
    answering.peer.deliver({ type: T.GOODBYE, details: {}, reason: 'wamp.close.goodbye_and_out' });
    assert.ok(answering.peer.closed);
    assert.ok(!silent.peer.closed);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.ok(silent.peer.closed, 'a session that ignores GOODBYE is disconnected after the grace period');
    assert.equal(h.router.sessionCount, 0);

    const late = h.connect();
    late.deliver({ type: T.HELLO, realm: 'realm1', details: { roles: allRoles } });
    await flush();
    assert.equal(onlyMessage(late.take(), T.ABORT).reason, 'wamp.error.no_such_realm');
  });
});

describe('router - a realm reconfigured in place', () => {
  it('judges the next action of a connected session by the new authorizer', async () => {
    const h = new RouterHarness();
    const { peer } = await h.join();
    peer.deliver({ type: T.SUBSCRIBE, request: 1, options: {}, topic: 'app.news' });
    assert.equal(onlyMessage(peer.take(), T.SUBSCRIBED).request, 1);
    h.router.realm('realm1')!.reconfigure({ authorizer: denyEverything, uriCheck: 'loose', limits: defaultRealmLimits });
    peer.deliver({ type: T.SUBSCRIBE, request: 2, options: {}, topic: 'app.other' });
    assert.equal(onlyMessage(peer.take(), T.ERROR).error, 'wamp.error.not_authorized');
  });

  it('bounds what connected sessions add from now on by the new limits, and takes nothing away', async () => {
    const h = new RouterHarness();
    const { peer } = await h.join();
    peer.deliver({ type: T.SUBSCRIBE, request: 1, options: {}, topic: 'a' });
    peer.deliver({ type: T.SUBSCRIBE, request: 2, options: {}, topic: 'b' });
    assert.equal(peer.take().filter((message) => message.type === T.SUBSCRIBED).length, 2);
    h.router.realm('realm1')!.reconfigure({
      authorizer: allowEverything, uriCheck: 'loose',
      limits: { ...defaultRealmLimits, maxSubscriptionsPerSession: 1, publishRate: { perSecond: 0, burst: 0 } },
    });
    peer.deliver({ type: T.SUBSCRIBE, request: 3, options: {}, topic: 'c' });
    assert.equal(onlyMessage(peer.take(), T.ERROR).error, 'junction.error.limit_exceeded');
    // Both subscriptions it held are still delivered to.
    const publisher = await h.join();
    publisher.peer.deliver({ type: T.PUBLISH, request: 1, options: { acknowledge: true }, topic: 'b', args: ['kept'] });
    assert.equal(onlyMessage(peer.take(), T.EVENT).args?.[0], 'kept');
  });

  it('applies a new URI rule to the next message', async () => {
    const h = new RouterHarness({ uriCheck: 'loose' });
    const { peer } = await h.join();
    peer.deliver({ type: T.SUBSCRIBE, request: 1, options: {}, topic: 'Loose-Topic' });
    assert.equal(onlyMessage(peer.take(), T.SUBSCRIBED).request, 1);
    h.router.realm('realm1')!.reconfigure({ authorizer: allowEverything, uriCheck: 'strict', limits: defaultRealmLimits });
    peer.deliver({ type: T.SUBSCRIBE, request: 2, options: {}, topic: 'Loose-Topic' });
    assert.equal(onlyMessage(peer.take(), T.ERROR).error, 'wamp.error.invalid_uri');
  });
});
