import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import autobahn from 'autobahn';
import { WebSocket } from 'ws';
import { Wampy } from 'wampy';
import { sign as wampyCra } from 'wampy/wampcra.js';
import { RawClient } from '../support/raw-client.js';
import { allowAll, authConfig, startAuthNode } from './support/node.js';
import { refusal, signIn } from './support/sign-in.js';

type WampyOptions = NonNullable<ConstructorParameters<typeof Wampy>[1]>;
type WebSocketConstructor = WampyOptions['ws'];
type AuthPlugin = NonNullable<WampyOptions['authPlugins']>[string];

const node = await startAuthNode(authConfig({
  wampcra: {
    type: 'static',
    users: {
      joe: { secret: 'joe-secret', role: 'frontend' },
      peter: { secret: 'peter-secret', role: 'backend', salt: 'salt123', iterations: 100, keylen: 16 },
    },
  },
}, [allowAll('frontend'), allowAll('backend')]));
after(() => node.stop());

/** AutobahnJS's onchallenge for WAMP-CRA: derive_key when salted, then sign. */
const craAnswer = (secret: string) => (_session: unknown, method: string, extra: Record<string, unknown>) => {
  assert.equal(method, 'wampcra');
  const key = extra.salt === undefined ? secret : autobahn.auth_cra.derive_key(secret, extra.salt, extra.iterations, extra.keylen);
  return autobahn.auth_cra.sign(key, extra.challenge);
};

describe('wampcra with AutobahnJS', () => {
  for (const serializer of ['json', 'msgpack', 'cbor'] as const) {
    it(`signs in with a plain secret over ${serializer}; WELCOME carries authid, authrole, authmethod, authprovider`, async () => {
      const signedIn = await signIn(node.url, { serializer, authmethods: ['wampcra'], authid: 'joe', onchallenge: craAnswer('joe-secret') });
      assert.equal(signedIn.details.authid, 'joe');
      assert.equal(signedIn.details.authrole, 'frontend');
      assert.equal(signedIn.details.authmethod, 'wampcra');
      assert.equal(signedIn.details.authprovider, 'static');
      await signedIn.close();
    });
  }

  it('signs in with a salted secret (auth_cra.derive_key)', async () => {
    const signedIn = await signIn(node.url, { authmethods: ['wampcra'], authid: 'peter', onchallenge: craAnswer('peter-secret') });
    assert.equal(signedIn.details.authrole, 'backend');
    await signedIn.close();
  });

  it('refuses a wrong secret and an unknown user alike, and logs each with the peer address', async () => {
    const logged = node.log.lines.length;
    const wrong = await refusal(signIn(node.url, { authmethods: ['wampcra'], authid: 'joe', onchallenge: craAnswer('guess-1') }));
    const unknown = await refusal(signIn(node.url, { authmethods: ['wampcra'], authid: 'nobody', onchallenge: craAnswer('guess-2') }));
    assert.equal(wrong.reason, 'wamp.error.authentication_failed');
    assert.deepEqual([unknown.reason, unknown.abortMessage], [wrong.reason, wrong.abortMessage]);
    const refusals = node.log.lines.slice(logged).filter((line) => line.message === 'authentication refused');
    assert.equal(refusals.length, 2);
    for (const line of refusals) {
      assert.equal(line.level, 'warn');
      assert.match(String(line.fields.peer), /^tcp4:127\.0\.0\.1:\d+$/);
    }
    const failures = node.log.lines.slice(logged).filter((line) => line.message === 'authentication failed');
    assert.deepEqual(failures.map((line) => [line.fields.authid, line.fields.why]),
      [['joe', 'wrong signature (wrong secret)'], ['nobody', 'no user "nobody" is configured']]);
    for (const line of failures) assert.match(String(line.fields.peer), /^tcp4:127\.0\.0\.1:\d+$/);
    for (const secret of ['joe-secret', 'peter-secret', 'guess-1', 'guess-2']) {
      assert.ok(!node.log.text().includes(secret), `"${secret}" must never be logged`);
    }
  });

  it('refuses a signature replayed from another session\'s challenge', async () => {
    const first = await RawClient.open(node.url);
    first.send([1, 'realm1', { roles: { caller: {} }, authmethods: ['wampcra'], authid: 'joe' }]);
    const challenge = await first.next();
    assert.equal(challenge[0], 4);
    const signature = craAnswer('joe-secret')(null, 'wampcra', challenge[2] as Record<string, unknown>);
    first.send([5, signature, {}]);
    assert.equal((await first.next())[0], 2, 'the first session is welcome');
    first.close();

    const second = await RawClient.open(node.url);
    second.send([1, 'realm1', { roles: { caller: {} }, authmethods: ['wampcra'], authid: 'joe' }]);
    assert.equal((await second.next())[0], 4);
    second.send([5, signature, {}]);
    const abort = await second.next();
    assert.deepEqual([abort[0], abort[2]], [3, 'wamp.error.authentication_failed']);
    second.close();
  });
});

describe('wampcra with Wampy and its CRA plugin', () => {
  const connect = (authid: string, secret: string) => {
    const client = new Wampy(node.url, {
      realm: 'realm1', ws: WebSocket as unknown as WebSocketConstructor, autoReconnect: false,
      authid, authmethods: ['wampcra'], authMode: 'auto', // Wampy's own plugin type names a narrower parameter than its AuthPlugin slot; they agree at run time.
      authPlugins: { wampcra: wampyCra(secret) as unknown as AuthPlugin },
    });
    return { client, connected: client.connect() };
  };

  it('signs in with a plain and with a salted secret', async () => {
    for (const [authid, secret] of [['joe', 'joe-secret'], ['peter', 'peter-secret']] as const) {
      const { client, connected } = connect(authid, secret);
      await connected;
      assert.ok(Number(client.getSessionId()) > 0, authid);
      await client.disconnect();
    }
  });

  it('is refused with authentication_failed for a wrong secret', async () => {
    const { connected } = connect('peter', 'not-it');
    await assert.rejects(connected, (error: { errorUri?: string }) => error.errorUri === 'wamp.error.authentication_failed');
  });
});
