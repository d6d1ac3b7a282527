/**
 * The client's WAMP-SCRAM against Junction's router: Argon2id and PBKDF2 principals sign in (the
 * client checks the router's server signature before `connect` resolves), an authid beyond ASCII
 * goes through SASLprep on both ends, the salted password the client reports signs in again
 * without the password, and a wrong password makes `connect` reject with authentication_failed.
 * A router that answers with a wrong server signature is faked in src/client/auth/auth.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { scramPrincipal } from '../../src/auth/scram-password.js';
import { connect, WampError, type AuthOptions, type Session } from '../../src/client/index.js';
import type { ScramParameters } from '../../src/protocol/scram-kdf.js';
import { allowAll, authConfig, startAuthNode } from '../auth/support/node.js';

/** A principal as the config takes it (the schema's names), made from a password. */
async function principal(password: string, parameters: Partial<ScramParameters>, role: string) {
  const { 'stored-key': storedKey, 'server-key': serverKey, ...rest } = await scramPrincipal(password, parameters);
  return { ...rest, storedKey, serverKey, role };
}

describe('client WAMP-SCRAM against the router', { timeout: 30_000 }, () => {
  const opened: Session[] = [];
  let node: Awaited<ReturnType<typeof startAuthNode>>;

  before(async () => {
    node = await startAuthNode(authConfig({
      scram: {
        type: 'static',
        principals: {
          ann: await principal('ann-pw', { kdf: 'argon2id-13', iterations: 2, memory: 64 }, 'frontend'),
          bob: await principal('bob-pw', { kdf: 'pbkdf2', iterations: 1000 }, 'backend'),
          'I\u00ADX': await principal('ix-pw', { kdf: 'argon2id13', iterations: 2, memory: 64 }, 'frontend'),
        },
      },
    }, [allowAll('frontend'), allowAll('backend')]));
  });

  after(async () => {
    for (const session of opened) await session.leave();
    await node?.stop();
  });

  const signIn = async (auth: AuthOptions) => {
    const session = await connect({ url: node.url, realm: 'realm1', auth, reconnect: false });
    opened.push(session);
    return session;
  };

  for (const [authid, password, authrole] of [['ann', 'ann-pw', 'frontend'], ['bob', 'bob-pw', 'backend'], ['I\u00ADX', 'ix-pw', 'frontend']] as const) {
    it(`signs in as ${JSON.stringify(authid)} and reports the salted password, with which it signs in again`, async () => {
      const reported: string[] = [];
      const session = await signIn({ method: 'scram', authid, password, onSaltedPassword: (hex) => reported.push(hex) });
      assert.deepEqual([session.details.authid, session.details.authrole, session.details.authmethod], [authid, authrole, 'scram']);
      await session.register(`scram.${opened.length}.echo`, ([value]: [unknown]) => value);
      assert.deepEqual((await session.call(`scram.${opened.length}.echo`, ['ok'])).args, ['ok']);
      assert.equal(reported.length, 1);
      assert.match(reported[0]!, /^[0-9a-f]{64}$/);
      const again = await signIn({ method: 'scram', authid, saltedPassword: reported[0]! });
      assert.equal(again.details.authid, authid);
    });
  }

  it('a wrong password makes connect reject with wamp.error.authentication_failed', async () => {
    await assert.rejects(signIn({ method: 'scram', authid: 'bob', password: 'bob-pv' }),
      (error: unknown) => error instanceof WampError && error.uri === 'wamp.error.authentication_failed');
  });
});
