import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionFacts } from '../router/hooks.js';
import { CaptureLog } from '../../test/auth/support/capture-log.js';
import { FakeCaller } from '../../test/auth/support/fake-caller.js';
import { DynamicAuthorizer } from './dynamic-authorizer.js';
import { isRouterSession, RealmAuthorizer } from './realm-authorizer.js';
import { PermissionTable } from './static-authorizer.js';

const facts: SessionFacts = {
  session: 9, realm: 'realm1', authid: 'joe', authrole: 'user', authmethod: 'ticket', authprovider: 'static', authextra: { team: 'a' },
};

function authorizer(answer: (...args: unknown[]) => unknown, maxCached?: number) {
  const caller = new FakeCaller(answer);
  const log = new CaptureLog();
  return { caller, log, authorizer: new DynamicAuthorizer({ realm: 'realm1', procedure: 'com.example.authorize', maxCached }, caller, log) };
}

describe('dynamic authorizer', () => {
  it('calls the procedure as (session, uri, action, options) through a trusted router session', async () => {
    const { caller, authorizer: a } = authorizer(() => true);
    assert.deepEqual(await a.authorize(facts, 'subscribe', 'com.a', { match: 'prefix' }), { allow: true });
    assert.deepEqual(caller.calls[0], {
      where: { realm: 'realm1', role: 'trusted' },
      procedure: 'com.example.authorize',
      args: [{ session: 9, realm: 'realm1', authid: 'joe', authrole: 'user', authmethod: 'ticket', authprovider: 'static', authextra: { team: 'a' } },
        'com.a', 'subscribe', { match: 'prefix' }],
    });
  });

  it('takes false, and {allow, disclose}', async () => {
    assert.deepEqual(await authorizer(() => false).authorizer.authorize(facts, 'call', 'x', {}), { allow: false });
    assert.deepEqual(await authorizer(() => ({ allow: true, disclose: true })).authorizer.authorize(facts, 'call', 'x', {}), { allow: true, disclose: true });
    assert.deepEqual(await authorizer(() => ({ allow: true, disclose: false })).authorizer.authorize(facts, 'call', 'x', {}), { allow: true, disclose: false });
  });

  it('caches a decision marked cache per (role, action, uri) and answers it synchronously', async () => {
    let allow = true;
    const { caller, authorizer: a } = authorizer(() => ({ allow, cache: true }));
    assert.deepEqual(await a.authorize(facts, 'publish', 'com.a', {}), { allow: true });
    allow = false;
    assert.deepEqual(a.authorize({ ...facts, session: 10, authid: 'ann' }, 'publish', 'com.a', {}), { allow: true }, 'same role: cached, not a Promise');
    assert.equal(caller.calls.length, 1);
    assert.deepEqual(await a.authorize(facts, 'subscribe', 'com.a', {}), { allow: false }, 'another action is asked');
    assert.deepEqual(await a.authorize({ ...facts, authrole: 'admin' }, 'publish', 'com.a', {}), { allow: false }, 'another role is asked');
    assert.equal(caller.calls.length, 3);
  });

  it('does not cache without cache: true, and keeps at most maxCached decisions', async () => {
    const { caller, authorizer: a } = authorizer(() => ({ allow: true, cache: false }));
    await a.authorize(facts, 'call', 'x', {});
    await a.authorize(facts, 'call', 'x', {});
    assert.equal(caller.calls.length, 2);
    const bounded = authorizer(() => ({ allow: true, cache: true }), 2).authorizer;
    for (const uri of ['a', 'b', 'c']) await bounded.authorize(facts, 'call', uri, {});
    assert.equal(bounded.cachedCount, 2);
  });

  it('denies (fails closed) and logs why when the authorizer fails or answers nonsense', async () => {
    for (const [answer, why] of [
      [() => { throw new Error('wamp.error.no_such_procedure'); }, /no_such_procedure/],
      [() => 'yes', /expected true, false/],
      [() => ({ disclose: true }), /no boolean "allow"/],
      [() => ({ allow: true, cache: 'yes' }), /"cache" that is not a boolean/],
      [() => undefined, /expected true, false/],
    ] as const) {
      const { authorizer: a, log } = authorizer(answer);
      assert.deepEqual(await a.authorize(facts, 'call', 'com.a', {}), { allow: false });
      const line = log.find('dynamic authorizer gave no usable answer; denying');
      assert.ok(line && line.level === 'error');
      assert.match(String(line.fields.why), why);
      assert.equal(line.fields.uri, 'com.a');
      assert.equal(line.fields.action, 'call');
    }
  });

  it("clips the authorizer's own words in the log: its error message may be of any length", async () => {
    const { authorizer: a, log } = authorizer(() => { throw new Error(`denied: ${'x'.repeat(10_000)}`); });
    assert.deepEqual(await a.authorize(facts, 'call', 'com.a', {}), { allow: false });
    assert.match(String(log.find('dynamic authorizer gave no usable answer; denying')?.fields.why), /^the call failed: denied: x{475}… \(10025 characters\)$/);
  });
});

describe('realm authorizer', () => {
  const realm = new RealmAuthorizer(new Map([
    ['user', new PermissionTable([{ uri: 'app.', match: 'prefix', allow: { call: true, register: false, publish: false, subscribe: false }, disclose: { caller: false, publisher: false } }])],
  ]));

  it('judges each session by its role, and denies a role the realm does not define', () => {
    assert.deepEqual(realm.authorize(facts, 'call', 'app.x', {}), { allow: true });
    assert.deepEqual(realm.authorize(facts, 'register', 'app.x', {}), { allow: false });
    assert.deepEqual(realm.authorize({ ...facts, authrole: 'ghost' }, 'call', 'app.x', {}), { allow: false });
  });

  it("allows the router's own sessions everything, and only them", () => {
    const internal = { ...facts, authrole: 'trusted', authmethod: 'trusted', authprovider: 'internal' };
    assert.ok(isRouterSession(internal));
    assert.deepEqual(realm.authorize(internal, 'register', 'any.thing', {}), { allow: true });
    const impostor = { ...facts, authrole: 'trusted' };
    assert.ok(!isRouterSession(impostor), 'a client given the role "trusted" by an authenticator is not the router');
    assert.deepEqual(realm.authorize(impostor, 'register', 'any.thing', {}), { allow: false });
  });
});
