import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import autobahn from 'autobahn';
import type { AuthConfig } from '../../src/config/model.js';
import { ed25519KeyPair, hex } from './support/keys.js';
import { allowAll, authConfig, startAuthNode } from './support/node.js';
import { refusal, signIn, type SignedIn } from './support/sign-in.js';

/**
 * Dynamic authentication and authorization, decided by procedures that an ordinary backend
 * session registers: the way a web app plugs its own user database into the router.
 */

const carol = ed25519KeyPair();

const config = authConfig({ anonymous: { type: 'static', role: 'backend' } }, [
  allowAll('backend'),
  { name: 'user', authorizer: 'com.example.authorize' },
  { name: 'locked', authorizer: 'com.example.nobody_registered_this' },
]);
const paths = config.listeners[0]!.paths;
const withAuth = (auth: AuthConfig) => ({ ...paths['/ws']!, auth });
const dynamic = { type: 'dynamic', authenticator: 'com.example.authenticate' } as const;
paths['/ticket'] = withAuth({ ticket: dynamic });
paths['/cra'] = withAuth({ wampcra: dynamic });
paths['/key'] = withAuth({ cryptosign: dynamic });
paths['/anon'] = withAuth({ anonymous: dynamic });

const node = await startAuthNode(config);
after(() => node.stop());
const url = (path: string) => node.url.replace(/\/ws$/, path);

interface Details { authmethod: string; ticket?: string; authextra?: { pubkey?: string } | null }

/** The application's user database, as a WAMP procedure. */
function authenticate([, authid, details]: [string, string | null, Details]): unknown {
  switch (details.authmethod) {
    case 'ticket':
      // Crossbar's examples quote the ticket in their reason; the router's log must not.
      if (details.ticket !== `${authid}-pass`) throw new autobahn.Error('com.example.invalid_ticket', [`bad ticket '${details.ticket}' for ${authid}`]);
      return { role: authid === 'lockedout' ? 'locked' : 'user', extra: { via: 'ticket' } };
    case 'wampcra':
      if (authid !== 'ann') throw new autobahn.Error('com.example.no_such_user', []);
      return { secret: 'ann-secret', role: 'user', salt: 'pepper', iterations: 50, keylen: 32 };
    case 'cryptosign':
      if (details.authextra?.pubkey !== hex(carol.publicKey)) throw new autobahn.Error('com.example.unknown_key', []);
      return { pubkey: details.authextra.pubkey, role: 'user', authid: 'carol' };
    case 'anonymous':
      return 'user';
    default:
      throw new autobahn.Error('com.example.unsupported', []);
  }
}

const asked: unknown[][] = [];
/** The application's permission check: com.open.* is open to users, the rest is closed. */
function authorize(args: unknown[]): unknown {
  asked.push(args);
  return String(args[1]).startsWith('com.open.') ? { allow: true, cache: true } : false;
}

let backend: SignedIn;
before(async () => {
  backend = await signIn(node.url, { authmethods: ['anonymous'] });
  await backend.session.register('com.example.authenticate', authenticate);
  await backend.session.register('com.example.authorize', authorize);
});
after(() => backend.close());

const ticket = (value: string) => () => value;

describe('dynamic authenticator', () => {
  it('ticket: welcomes the principal the procedure answers', async () => {
    const joe = await signIn(url('/ticket'), { authmethods: ['ticket'], authid: 'joe', onchallenge: ticket('joe-pass') });
    assert.deepEqual(
      [joe.details.authid, joe.details.authrole, joe.details.authmethod, joe.details.authprovider, joe.details.authextra],
      ['joe', 'user', 'ticket', 'dynamic', { via: 'ticket' }],
    );
    await joe.close();
  });

  it("ticket: refuses when the procedure throws, without passing on the application's reason; the log says why", async () => {
    const refused = await refusal(signIn(url('/ticket'), { authmethods: ['ticket'], authid: 'joe', onchallenge: ticket('wrong-pass') }));
    assert.deepEqual([refused.reason, refused.abortMessage], ['wamp.error.authentication_failed', 'authentication failed']);
    const line = node.log.lines.find((l) => l.message === 'authentication failed' && l.fields.authid === 'joe');
    assert.ok(line, 'a log line for the failure');
    assert.match(String(line.fields.why), /com\.example\.invalid_ticket: bad ticket '\*{5}' for joe/);
    assert.match(String(line.fields.peer), /^tcp4:127\.0\.0\.1:\d+$/);
    assert.ok(!node.log.text().includes('wrong-pass') && !node.log.text().includes('joe-pass'), 'tickets are never logged');
  });

  it('wampcra: challenges with the salted secret the procedure answers', async () => {
    const ann = await signIn(url('/cra'), {
      authmethods: ['wampcra'], authid: 'ann',
      onchallenge: (_s: unknown, _m: string, extra: Record<string, unknown>) =>
        autobahn.auth_cra.sign(autobahn.auth_cra.derive_key('ann-secret', extra.salt, extra.iterations, extra.keylen), extra.challenge),
    });
    assert.deepEqual([ann.details.authrole, ann.details.authprovider], ['user', 'dynamic']);
    await ann.close();
    const nobody = await refusal(signIn(url('/cra'), { authmethods: ['wampcra'], authid: 'zed', onchallenge: () => 'x' }));
    assert.equal(nobody.reason, 'wamp.error.authentication_failed');
  });

  it('cryptosign: checks the signature with the key the procedure answers', async () => {
    const signedIn = await signIn(url('/key'), {
      authmethods: ['cryptosign'], authextra: { pubkey: hex(carol.publicKey) },
      onchallenge: (_s: unknown, _m: string, extra: Record<string, unknown>) => autobahn.auth_cryptosign.sign_challenge(carol, extra),
    });
    assert.deepEqual([signedIn.details.authid, signedIn.details.authrole], ['carol', 'user']);
    await signedIn.close();
  });

  it('anonymous: takes the role name the procedure answers and makes up an authid', async () => {
    const guest = await signIn(url('/anon'), { authmethods: ['anonymous'] });
    assert.equal(guest.details.authrole, 'user');
    assert.equal(guest.details.authprovider, 'dynamic');
    assert.match(guest.details.authid, /^anonymous-/);
    await guest.close();
  });
});

describe('dynamic authorizer', () => {
  let joe: SignedIn;
  before(async () => {
    joe = await signIn(url('/ticket'), { authmethods: ['ticket'], authid: 'joe', onchallenge: ticket('joe-pass') });
  });
  after(() => joe.close());

  it('is called as (session, uri, action, options) and its answer is followed', async () => {
    asked.length = 0;
    await joe.session.subscribe('com.open.news', () => {}, { match: 'prefix' });
    const [session, uri, action, options] = asked[0]!;
    assert.deepEqual({ ...(session as object), session: 0 }, {
      session: 0, realm: 'realm1', authid: 'joe', authrole: 'user', authmethod: 'ticket', authprovider: 'dynamic', authextra: { via: 'ticket' },
    });
    assert.equal((session as { session: number }).session, joe.session.id);
    assert.deepEqual([uri, action, options], ['com.open.news', 'subscribe', { match: 'prefix' }]);
    await assert.rejects(joe.session.call('com.closed.thing'), (error: { error: string; args: unknown[] }) =>
      error.error === 'wamp.error.not_authorized' && /not authorized to call "com\.closed\.thing"/.test(String(error.args[0])));
  });

  it('answers a decision marked cache from the cache for the same role, action and URI', async () => {
    await joe.session.publish('com.open.chat', [], {}, { acknowledge: true });
    const before = asked.length;
    await joe.session.publish('com.open.chat', [], {}, { acknowledge: true });
    const ann = await signIn(url('/ticket'), { authmethods: ['ticket'], authid: 'ann', onchallenge: ticket('ann-pass') });
    await ann.session.publish('com.open.chat', [], {}, { acknowledge: true });
    await ann.close();
    assert.equal(asked.length, before, 'not asked again');
  });

  it('denies every action (fails closed) when the authorizer is not registered, and logs why', async () => {
    const locked = await signIn(url('/ticket'), { authmethods: ['ticket'], authid: 'lockedout', onchallenge: ticket('lockedout-pass') });
    assert.equal(locked.details.authrole, 'locked');
    await assert.rejects(locked.session.subscribe('com.open.news', () => {}), (error: { error: string }) => error.error === 'wamp.error.not_authorized');
    await locked.close();
    const line = node.log.lines.find((l) => l.message === 'dynamic authorizer gave no usable answer; denying');
    assert.ok(line);
    assert.match(String(line.fields.why), /no_such_procedure/);
  });
});
