import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dict } from '../../protocol/messages.js';
import type { AuthGate, AuthOutcome, AuthRequest } from '../../router/hooks.js';
import { authGate } from '../gate.js';
import type { AuthMethod } from '../method.js';
import { CookieSignIn, visitOf, withVisit, type CookieVisit } from './cookie-sign-in.js';
import { MemoryCookieStore } from './store.js';

const maxAgeMs = 60_000;

function setup(maxEntries = 100, maxPerAuthid = 100) {
  const clock = { now: 1_000 };
  const store = new MemoryCookieStore(maxEntries);
  const cookies = new CookieSignIn(store, { maxAgeMs, length: 24, maxPerAuthid }, () => clock.now);
  /** Stands for wampcra: welcomes "joe" (and "sue") when HELLO.authid is joe (sue). */
  const password: AuthMethod = {
    name: 'wampcra',
    begin: (request) => ['joe', 'sue'].includes(request.details.authid as string)
      ? { kind: 'welcome', identity: { authid: request.details.authid as string, authrole: 'user', authmethod: 'wampcra', authprovider: 'static', authextra: { team: 'a' } } }
      : { kind: 'fail', why: 'no such user' },
  };
  const anonymous: AuthMethod = { name: 'anonymous', begin: () => ({ kind: 'welcome', identity: { authid: 'anon-1', authrole: 'guest', authmethod: 'anonymous', authprovider: 'static' } }) };
  const gate = authGate({ methods: [password, anonymous, cookies.method()], observer: cookies, sleep: async () => {} });
  return { clock, store, cookies, gate };
}

/** A connection on the path: the upgrade's visit, and its HELLOs. */
async function connect(cookies: CookieSignIn, token: string | undefined, crossSite = false) {
  const { visit, newToken } = await cookies.arrive(token, crossSite);
  const closed: string[] = [];
  cookies.opened(visit, () => closed.push('closed'));
  const transport = { type: 'websocket', serializer: 'json', peer: 'tcp4:127.0.0.1:1', extra: withVisit({ path: '/ws' }, visit) };
  const hello = (gate: AuthGate, details: Dict, realm = 'realm1') =>
    Promise.resolve(gate.hello({ realm, details: { roles: {}, ...details }, transport, sessionId: 1 } satisfies AuthRequest));
  return { visit, newToken, transport, closed, hello };
}

function welcomed(outcome: AuthOutcome) {
  assert.equal(outcome.kind, 'welcome', JSON.stringify(outcome));
  return (outcome as Extract<AuthOutcome, { kind: 'welcome' }>).identity;
}

describe('cookie sign-in', () => {
  it('a new connection gets a token; a sign-in by another method binds it; the next connection with it signs in by cookie', async () => {
    const { cookies, gate } = setup();
    const first = await connect(cookies, undefined);
    assert.ok(first.newToken);
    welcomed(await first.hello(gate, { authmethods: ['cookie', 'wampcra'], authid: 'joe' }));
    assert.equal(cookies.skipped.get('no_cookie'), 1);
    assert.equal(cookies.bindings, 1);

    const second = await connect(cookies, first.newToken);
    assert.equal(second.newToken, undefined, 'a live cookie is not replaced');
    const identity = welcomed(await second.hello(gate, { authmethods: ['wampcra', 'cookie'] }));
    // As Crossbar: the binding's authmethod, authprovider "cookie", its authextra; cookie first wherever it is listed.
    assert.deepEqual(identity, { authid: 'joe', authrole: 'user', authmethod: 'wampcra', authprovider: 'cookie', realm: 'realm1', authextra: { team: 'a' } });
    assert.equal(cookies.bindings, 1, 'a cookie sign-in does not bind again');
  });

  it('without "cookie" in HELLO.authmethods the cookie is not used', async () => {
    const { cookies, gate } = setup();
    const first = await connect(cookies, undefined);
    await first.hello(gate, { authmethods: ['wampcra'], authid: 'joe' });
    const second = await connect(cookies, first.newToken);
    assert.equal((await second.hello(gate, { authmethods: ['anonymous'] })).kind, 'welcome');
    assert.equal(welcomed(await second.hello(gate, { authmethods: ['anonymous'] })).authmethod, 'anonymous');
    assert.equal(cookies.bindings, 1);
  });

  it('an anonymous sign-in binds nothing (any page could fill the store)', async () => {
    const { cookies, gate, store } = setup();
    const first = await connect(cookies, undefined);
    welcomed(await first.hello(gate, { authmethods: ['cookie', 'anonymous'] }));
    assert.equal(store.size, 0);
  });

  it('a forged, unknown or expired cookie falls back to the other methods and is replaced', async () => {
    const { cookies, gate, clock } = setup();
    const forged = await connect(cookies, 'A'.repeat(24));
    assert.ok(forged.newToken);
    assert.equal(welcomed(await forged.hello(gate, { authmethods: ['cookie', 'wampcra'], authid: 'joe' })).authprovider, 'static');
    assert.equal(cookies.skipped.get('unknown'), 1);

    clock.now += maxAgeMs;
    const late = await connect(cookies, forged.newToken);
    assert.ok(late.newToken, 'an expired cookie is replaced');
    assert.equal(welcomed(await late.hello(gate, { authmethods: ['cookie', 'wampcra'], authid: 'joe' })).authprovider, 'static');
    assert.equal(cookies.skipped.get('unknown'), 2);
  });

  it('asking for cookie alone without a bound cookie is refused with no_auth_method', async () => {
    const { cookies, gate } = setup();
    const outcome = await (await connect(cookies, undefined)).hello(gate, { authmethods: ['cookie'] });
    assert.equal(outcome.kind, 'deny');
    assert.equal((outcome as { reason: string }).reason, 'wamp.error.no_auth_method');
  });

  it('a cross-site page is treated as if it sent no cookie: no new cookie, no cookie sign-in, no binding', async () => {
    const { cookies, gate, store } = setup();
    const first = await connect(cookies, undefined);
    await first.hello(gate, { authmethods: ['wampcra'], authid: 'joe' });
    const evil = await connect(cookies, first.newToken, true);
    assert.equal(evil.newToken, undefined);
    const outcome = await evil.hello(gate, { authmethods: ['cookie', 'wampcra'], authid: 'ann' });
    assert.equal(outcome.kind, 'deny');
    assert.equal(cookies.skipped.get('cross_site'), 1);
    const mallory = await connect(cookies, undefined, true);
    await mallory.hello(gate, { authmethods: ['wampcra'], authid: 'joe' });
    assert.equal(store.size, 1, 'the cross-site sign-in bound nothing');
  });

  it('a cookie bound in another realm does not sign in here (stricter than Crossbar, which would move the session)', async () => {
    const { cookies, gate } = setup();
    const first = await connect(cookies, undefined);
    await first.hello(gate, { authmethods: ['wampcra'], authid: 'joe' }, 'realm2');
    const other = await connect(cookies, first.newToken);
    assert.equal((await other.hello(gate, { authmethods: ['cookie'] })).kind, 'deny');
    assert.equal(cookies.skipped.get('other_realm'), 1);
    assert.equal(welcomed(await other.hello(gate, { authmethods: ['cookie'] }, 'realm2')).authprovider, 'cookie');
  });

  it('GOODBYE wamp.close.logout forgets the cookie and closes the other connections that carry it, not this one', async () => {
    const { cookies, gate, store } = setup();
    const first = await connect(cookies, undefined);
    await first.hello(gate, { authmethods: ['wampcra'], authid: 'joe' });
    const second = await connect(cookies, first.newToken);
    const unrelated = await connect(cookies, undefined);
    welcomed(await second.hello(gate, { authmethods: ['cookie'] }));
    gate.left!(first.transport, 'wamp.close.normal');
    assert.equal(store.size, 1, 'an ordinary GOODBYE keeps the cookie');
    gate.left!(first.transport, 'wamp.close.logout');
    assert.equal(store.size, 0);
    assert.equal(cookies.logouts, 1);
    assert.deepEqual(first.closed, []);
    assert.deepEqual(second.closed, ['closed']);
    assert.deepEqual(unrelated.closed, []);
    // The same connection cannot bind the dead cookie again, and it signs in by nothing.
    await first.hello(gate, { authmethods: ['wampcra'], authid: 'joe' });
    assert.equal(store.size, 0);
    assert.equal((await first.hello(gate, { authmethods: ['cookie'] })).kind, 'deny');
    assert.equal(cookies.skipped.get('logged_out'), 1);
  });

  it('one authid signing in again and again with new cookies replaces its own oldest, not the others\' (max_entries_per_authid)', async () => {
    const { cookies, gate, store } = setup(5, 3);
    const sue = await connect(cookies, undefined);
    await sue.hello(gate, { authmethods: ['wampcra'], authid: 'sue' });
    const joes: string[] = [];
    for (let i = 0; i < 10; i++) {
      const joe = await connect(cookies, undefined);
      welcomed(await joe.hello(gate, { authmethods: ['wampcra'], authid: 'joe' }));
      joes.push(joe.newToken!);
    }
    assert.equal(store.size, 4, 'sue\'s and joe\'s three newest');
    assert.equal(store.evicted, 0, 'the full store dropped nobody else\'s');
    assert.equal(cookies.replaced, 7);
    assert.equal(welcomed(await (await connect(cookies, sue.newToken)).hello(gate, { authmethods: ['cookie'] })).authid, 'sue');
    for (const [i, token] of joes.entries()) {
      const outcome = await (await connect(cookies, token)).hello(gate, { authmethods: ['cookie'] });
      assert.equal(outcome.kind, i < 7 ? 'deny' : 'welcome', `joe's cookie ${i}`);
    }
  });

  it('a logged-out cookie no longer counts toward its authid\'s bound', async () => {
    const { cookies, gate, store } = setup(100, 2);
    const first = await connect(cookies, undefined);
    await first.hello(gate, { authmethods: ['wampcra'], authid: 'joe' });
    const second = await connect(cookies, undefined);
    await second.hello(gate, { authmethods: ['wampcra'], authid: 'joe' });
    gate.left!(second.transport, 'wamp.close.logout');
    const third = await connect(cookies, undefined);
    await third.hello(gate, { authmethods: ['wampcra'], authid: 'joe' });
    assert.equal(store.size, 2);
    assert.equal(cookies.replaced, 0);
  });

  it('a closed connection is forgotten (a logout later does not reach it)', async () => {
    const { cookies, gate } = setup();
    const first = await connect(cookies, undefined);
    await first.hello(gate, { authmethods: ['wampcra'], authid: 'joe' });
    const second = await connect(cookies, first.newToken);
    cookies.closed(second.visit);
    gate.left!(first.transport, 'wamp.close.logout');
    assert.deepEqual(second.closed, []);
  });

  it('the visit on TransportInfo.extra is invisible to JSON, spreading and key listing (views, logs, codecs)', async () => {
    const { cookies } = setup();
    const { transport, visit } = await connect(cookies, undefined);
    assert.equal(visitOf(transport), visit satisfies CookieVisit);
    assert.equal(JSON.stringify(transport.extra), '{"path":"/ws"}');
    assert.deepEqual(Reflect.ownKeys({ ...transport.extra }), ['path']);
    assert.equal(visitOf({ ...transport, extra: { ...transport.extra } }), undefined);
  });
});
