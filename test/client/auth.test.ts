/**
 * The client's sign-in methods against a real router with auth configured: ticket, WAMP-CRA
 * (plain and salted), cryptosign, and a dynamic authenticator registered by another client
 * session. Each method signs in (WELCOME's authid and authrole on the session) and a wrong
 * secret makes `connect` reject with WampError wamp.error.authentication_failed.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connect, WampError, type AuthOptions, type Session } from '../../src/client/index.js';
import type { AuthConfig, JunctionConfig, RoleConfig } from '../../src/config/model.js';
import { startTestNode, testConfig, webSocketPath } from '../support/node.js';

const everything = { call: true, register: true, publish: true, subscribe: true };

function allowAll(name: string): RoleConfig {
  return { name, permissions: [{ uri: '', match: 'prefix', allow: everything, disclose: { caller: false, publisher: false }, cache: true }] };
}

/** realm1 with the given roles and the given auth on /ws. */
function authConfig(auth: AuthConfig, roles: RoleConfig[]): JunctionConfig {
  const config = testConfig({ openHandshakeTimeout: 2_000 });
  config.realms[0]!.roles = roles;
  webSocketPath(config).auth = auth;
  return config;
}

/** An Ed25519 key pair: the 32-byte seed the client takes, and the public key in hex the router's config takes. */
function ed25519Seed(): { seed: Uint8Array; publicHex: string } {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  return { seed: new Uint8Array(Buffer.from(jwk.d!, 'base64url')), publicHex: Buffer.from(jwk.x!, 'base64url').toString('hex') };
}

const isAuthenticationFailed = (error: unknown) => error instanceof WampError && error.uri === 'wamp.error.authentication_failed';

/** Connects without retries; the test leaves every session it opened. */
function signIn(url: string, auth: AuthOptions, opened: Session[]): Promise<Session> {
  return connect({ url, realm: 'realm1', auth, reconnect: false }).then((session) => {
    opened.push(session);
    return session;
  });
}

const alice = ed25519Seed();
const stranger = ed25519Seed();

describe('client sign-in against static auth', { timeout: 20_000 }, () => {
  const opened: Session[] = [];
  // Every failure below counts against this address's budget (5 per node before slowing down):
  // four wrong answers on this node stay inside it.
  const node = startTestNode(authConfig({
    ticket: { type: 'static', principals: { joe: { ticket: 'ticket-of-joe', role: 'frontend' } } },
    wampcra: {
      type: 'static',
      users: {
        ann: { secret: 'ann-secret', role: 'frontend' },
        peter: { secret: 'peter-secret', role: 'backend', salt: 'salt123', iterations: 100, keylen: 16 },
      },
    },
    cryptosign: { type: 'static', principals: { alice: { authorizedKeys: [alice.publicHex], role: 'device' } } },
  }, [allowAll('frontend'), allowAll('backend'), allowAll('device')]));

  after(async () => {
    for (const session of opened) await session.leave();
    await (await node).stop();
  });

  const cases: { name: string; good: AuthOptions; wrong: AuthOptions; authid: string; authrole: string }[] = [
    {
      name: 'ticket',
      good: { method: 'ticket', authid: 'joe', ticket: 'ticket-of-joe' },
      wrong: { method: 'ticket', authid: 'joe', ticket: 'ticket-of-jo' },
      authid: 'joe', authrole: 'frontend',
    },
    {
      name: 'wampcra with a plain secret',
      good: { method: 'wampcra', authid: 'ann', secret: 'ann-secret' },
      wrong: { method: 'wampcra', authid: 'ann', secret: 'ann-secre' },
      authid: 'ann', authrole: 'frontend',
    },
    {
      name: 'wampcra with a salted secret (the client derives the key)',
      good: { method: 'wampcra', authid: 'peter', secret: 'peter-secret' },
      wrong: { method: 'wampcra', authid: 'peter', secret: 'ann-secret' },
      authid: 'peter', authrole: 'backend',
    },
    {
      name: 'cryptosign (authid found from the public key)',
      good: { method: 'cryptosign', privateKey: alice.seed },
      wrong: { method: 'cryptosign', authid: 'alice', privateKey: stranger.seed },
      authid: 'alice', authrole: 'device',
    },
  ];

  for (const { name, good, wrong, authid, authrole } of cases) {
    it(`${name}: signs in, and WELCOME's authid and authrole are on the session`, async () => {
      const session = await signIn((await node).url, good, opened);
      assert.deepEqual(
        [session.details.authid, session.details.authrole, session.details.authmethod, session.details.authprovider],
        [authid, authrole, good.method, 'static'],
      );
      // The session is usable, not only welcomed.
      await session.register(`auth.${good.method}.${authid}.echo`, ([value]: [unknown]) => value);
      assert.deepEqual((await session.call(`auth.${good.method}.${authid}.echo`, ['ok'])).args, ['ok']);
    });

    it(`${name}: a wrong secret makes connect reject with wamp.error.authentication_failed`, async () => {
      await assert.rejects(signIn((await node).url, wrong, opened), isAuthenticationFailed);
    });
  }
});

describe('client sign-in against a dynamic authenticator registered by a client session', { timeout: 20_000 }, () => {
  const opened: Session[] = [];
  const node = startTestNode(authConfig({
    anonymous: { type: 'static', role: 'backend' },
    ticket: { type: 'dynamic', authenticator: 'com.example.authenticate' },
  }, [allowAll('backend'), allowAll('user')]));
  const asked: unknown[] = [];

  before(async () => {
    const backend = await signIn((await node).url, { method: 'anonymous' }, opened);
    await backend.register('com.example.authenticate', ([realm, authid, details]: [string, string, { authmethod: string; ticket: string }]) => {
      asked.push([realm, authid, details.authmethod]);
      if (details.ticket !== `${authid}-pass`) throw new WampError('com.example.invalid_ticket', [`bad ticket for ${authid}`]);
      return { role: 'user', extra: { greeting: `hello ${authid}` } };
    });
  });

  after(async () => {
    for (const session of opened) await session.leave();
    await (await node).stop();
  });

  it('signs in with the role and authextra the procedure answers', async () => {
    const session = await signIn((await node).url, { method: 'ticket', authid: 'kim', ticket: 'kim-pass' }, opened);
    assert.deepEqual(
      [session.details.authid, session.details.authrole, session.details.authprovider, session.details.authextra],
      ['kim', 'user', 'dynamic', { greeting: 'hello kim' }],
    );
    assert.deepEqual(asked, [['realm1', 'kim', 'ticket']]);
  });

  it('rejects with wamp.error.authentication_failed when the procedure throws', async () => {
    await assert.rejects(signIn((await node).url, { method: 'ticket', authid: 'kim', ticket: 'guess' }, opened), isAuthenticationFailed);
    assert.deepEqual(asked.at(-1), ['realm1', 'kim', 'ticket']);
  });
});
