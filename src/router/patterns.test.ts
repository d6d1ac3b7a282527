import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../protocol/codes.js';
import type { WampMessage } from '../protocol/messages.js';
import { onlyMessage, RouterHarness } from '../../test/support/router-harness.js';

function ofType<K extends WampMessage['type']>(messages: WampMessage[], type: K): Extract<WampMessage, { type: K }>[] {
  return messages.filter((m) => m.type === type) as Extract<WampMessage, { type: K }>[];
}

describe('router - pattern-based subscriptions', () => {
  it('announces pattern_based_subscription and pattern_based_registration in WELCOME', async () => {
    const h = new RouterHarness();
    const { welcome } = await h.join();
    const roles = welcome.roles as Record<string, { features: Record<string, boolean> }>;
    assert.equal(roles.broker!.features.pattern_based_subscription, true);
    assert.equal(roles.dealer!.features.pattern_based_registration, true);
  });

  it('delivers one EVENT per matching subscription, naming the topic for patterns only', async () => {
    const h = new RouterHarness();
    const sub = await h.join();
    const pub = await h.join();
    sub.peer.raw([T.SUBSCRIBE, 1, {}, 'com.myapp.update']);
    sub.peer.raw([T.SUBSCRIBE, 2, { match: 'prefix' }, 'com.myapp']);
    sub.peer.raw([T.SUBSCRIBE, 3, { match: 'wildcard' }, 'com..update']);
    const ids = ofType(sub.peer.take(), T.SUBSCRIBED).map((m) => m.subscription);
    assert.equal(new Set(ids).size, 3, 'three distinct subscriptions');
    pub.peer.raw([T.PUBLISH, 1, {}, 'com.myapp.update', ['x']]);
    const events = ofType(sub.peer.take(), T.EVENT);
    assert.deepEqual(events.map((e) => e.subscription), ids);
    assert.equal(events[0]!.details.topic, undefined);
    assert.equal(events[1]!.details.topic, 'com.myapp.update');
    assert.equal(events[2]!.details.topic, 'com.myapp.update');
    assert.equal(new Set(events.map((e) => e.publication)).size, 1, 'one publication');

    pub.peer.raw([T.PUBLISH, 2, {}, 'com.myapp.delete']);
    assert.deepEqual(ofType(sub.peer.take(), T.EVENT).map((e) => e.subscription), [ids[1]]);
    pub.peer.raw([T.PUBLISH, 3, {}, 'com.other.update']);
    assert.deepEqual(ofType(sub.peer.take(), T.EVENT).map((e) => e.subscription), [ids[2]]);
    pub.peer.raw([T.PUBLISH, 4, {}, 'com.other.update.more']);
    assert.equal(sub.peer.take().length, 0, 'a wildcard pattern matches only URIs with as many components');
  });

  it('shares a pattern subscription between sessions and keeps the same URI apart per match policy', async () => {
    const h = new RouterHarness();
    const a = await h.join();
    const b = await h.join();
    a.peer.raw([T.SUBSCRIBE, 1, { match: 'prefix' }, 'news']);
    b.peer.raw([T.SUBSCRIBE, 1, { match: 'prefix' }, 'news']);
    b.peer.raw([T.SUBSCRIBE, 2, {}, 'news']);
    const shared = onlyMessage(a.peer.take(), T.SUBSCRIBED).subscription;
    const [bPrefix, bExact] = ofType(b.peer.take(), T.SUBSCRIBED).map((m) => m.subscription);
    assert.equal(bPrefix, shared);
    assert.notEqual(bExact, shared);
    a.peer.raw([T.UNSUBSCRIBE, 2, shared]);
    onlyMessage(a.peer.take(), T.UNSUBSCRIBED);
    const pub = await h.join();
    pub.peer.raw([T.PUBLISH, 1, {}, 'news.sport']);
    assert.equal(a.peer.take().length, 0);
    assert.equal(onlyMessage(b.peer.take(), T.EVENT).subscription, shared);
  });

  it('removes pattern subscriptions of a session that leaves', async () => {
    const h = new RouterHarness();
    const sub = await h.join();
    sub.peer.raw([T.SUBSCRIBE, 1, { match: 'wildcard' }, 'a..c']);
    sub.peer.raw([T.SUBSCRIBE, 2, { match: 'prefix' }, 'a.']);
    assert.equal(ofType(sub.peer.take(), T.SUBSCRIBED).length, 2, 'a prefix may end in "."');
    sub.peer.link.detach();
    assert.equal(h.router.realm('realm1')!.broker.subscriptionCount(), 0);
  });

  it('refuses an unknown match policy and empty components outside wildcard patterns', async () => {
    const h = new RouterHarness();
    const { peer } = await h.join();
    peer.raw([T.SUBSCRIBE, 1, { match: 'regex' }, 'a']);
    assert.equal(onlyMessage(peer.take(), T.ERROR).error, 'wamp.error.invalid_argument');
    peer.raw([T.SUBSCRIBE, 2, { match: 'prefix' }, 'a..b']);
    assert.equal(onlyMessage(peer.take(), T.ERROR).error, 'wamp.error.invalid_uri');
  });
});

describe('router - pattern-based registrations', () => {
  it('routes by the spec precedence and tells the callee the procedure called', async () => {
    const h = new RouterHarness();
    const callees = new Map<string, Awaited<ReturnType<RouterHarness['join']>>>();
    const registrations: [string, string, string][] = [
      ['1', 'exact', 'a1.b2.c3.d4.e55'],
      ['2', 'prefix', 'a1.b2.c3'],
      ['3', 'prefix', 'a1.b2.c3.d4'],
      ['4', 'wildcard', 'a1.b2..d4.e5'],
      ['5', 'wildcard', 'a1.b2.c3..e5'],
      ['6', 'wildcard', 'a1.b2..d4.e5..g7'],
      ['7', 'wildcard', 'a1.b2..d4..f6.g7'],
    ];
    for (const [name, match, uri] of registrations) {
      const callee = await h.join();
      callee.peer.raw([T.REGISTER, 1, { match }, uri]);
      onlyMessage(callee.peer.take(), T.REGISTERED);
      callees.set(name, callee);
    }
    const caller = await h.join();
    const cases: [string, string | undefined][] = [
      ['a1.b2.c3.d4.e55', '1'],
      ['a1.b2.c3.d98.e74', '2'],
      ['a1.b2.c3.d4.e325', '3'],
      ['a1.b2.c55.d4.e5', '4'],
      ['a1.b2.c88.d4.e5.f6.g7', '6'],
      ['a2.b2.c2.d2.e2', undefined],
    ];
    let request = 0;
    for (const [procedure, expected] of cases) {
      caller.peer.raw([T.CALL, ++request, {}, procedure]);
      if (expected === undefined) {
        assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, 'wamp.error.no_such_procedure');
        continue;
      }
      for (const [name, callee] of callees) {
        const got = callee.peer.take();
        if (name !== expected) {
          assert.equal(got.length, 0, `${procedure} must not reach registration ${name}`);
          continue;
        }
        const invocation = onlyMessage(got, T.INVOCATION);
        assert.equal(invocation.details.procedure, expected === '1' ? undefined : procedure, 'procedure named for patterns only');
        callee.peer.raw([T.YIELD, invocation.request, {}]);
        onlyMessage(caller.peer.take(), T.RESULT);
      }
    }
  });

  it('shares a pattern registration round-robin and refuses a second single one', async () => {
    const h = new RouterHarness();
    const a = await h.join();
    const b = await h.join();
    a.peer.raw([T.REGISTER, 1, { match: 'prefix', invoke: 'roundrobin' }, 'svc']);
    b.peer.raw([T.REGISTER, 1, { match: 'prefix', invoke: 'roundrobin' }, 'svc']);
    assert.equal(onlyMessage(a.peer.take(), T.REGISTERED).registration, onlyMessage(b.peer.take(), T.REGISTERED).registration);
    const c = await h.join();
    c.peer.raw([T.REGISTER, 1, { match: 'wildcard' }, 'svc.']);
    c.peer.raw([T.REGISTER, 2, { match: 'wildcard' }, 'svc.']);
    const [first, second] = c.peer.take();
    assert.equal(first?.type, T.REGISTERED);
    assert.ok(second?.type === T.ERROR && second.error === 'wamp.error.procedure_already_exists');
    c.peer.raw([T.CALL, 3, {}, 'svc.x']);
    c.peer.raw([T.CALL, 4, {}, 'svc.y']);
    assert.equal(ofType(a.peer.take(), T.INVOCATION).length, 1, 'the prefix registration wins over the wildcard');
    assert.equal(ofType(b.peer.take(), T.INVOCATION).length, 1);
  });
});
