import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import autobahn from 'autobahn';
import { WebSocket } from 'ws';
import { Wampy } from 'wampy';
import { sign as wampyCryptosign } from 'wampy/cryptosign.js';
import { ed25519KeyPair, hex, type NaclKeyPair } from './support/keys.js';
import { allowAll, authConfig, startAuthNode } from './support/node.js';
import { refusal, signIn } from './support/sign-in.js';

type WampyOptions = NonNullable<ConstructorParameters<typeof Wampy>[1]>;
type AuthPlugin = NonNullable<WampyOptions['authPlugins']>[string];

const alice = ed25519KeyPair();
const device = ed25519KeyPair();
const stranger = ed25519KeyPair();

const config = authConfig({
  cryptosign: {
    type: 'static',
    principals: {
      alice: { authorizedKeys: [hex(alice.publicKey)], role: 'user' },
      sensor7: { authorizedKeys: [hex(device.publicKey)], role: 'device', realm: 'devices' },
    },
  },
}, [allowAll('user')]);
config.realms.push({ ...config.realms[0]!, name: 'devices', roles: [allowAll('device')] });
const node = await startAuthNode(config);
after(() => node.stop());

/** AutobahnJS's cryptosign answer: auth_cryptosign.sign_challenge with the key pair. */
const signWith = (pair: NaclKeyPair) => (_session: unknown, method: string, extra: Record<string, unknown>) => {
  assert.equal(method, 'cryptosign');
  return autobahn.auth_cryptosign.sign_challenge(pair, extra);
};

describe('cryptosign with AutobahnJS', () => {
  it('signs in by public key alone (no authid), as auth_cryptosign does', async () => {
    const signedIn = await signIn(node.url, {
      authmethods: ['cryptosign'], authextra: { pubkey: hex(alice.publicKey), channel_binding: null }, onchallenge: signWith(alice),
    });
    assert.deepEqual(
      [signedIn.details.authid, signedIn.details.authrole, signedIn.details.authmethod, signedIn.details.authprovider],
      ['alice', 'user', 'cryptosign', 'static'],
    );
    await signedIn.close();
  });

  it("joins the principal's own realm when it has one", async () => {
    const signedIn = await signIn(node.url, { authmethods: ['cryptosign'], authextra: { pubkey: hex(device.publicKey) }, onchallenge: signWith(device) });
    assert.equal(signedIn.details.realm, 'devices');
    assert.equal(signedIn.details.authrole, 'device');
    await signedIn.close();
  });

  it("joins the principal's realm even when the client asked for a realm the router lacks (Crossbar checks the realm after sign-in)", async () => {
    const signedIn = await signIn(node.url, { realm: 'crossbardemo', authmethods: ['cryptosign'], authextra: { pubkey: hex(device.publicKey) }, onchallenge: signWith(device) });
    assert.equal(signedIn.details.realm, 'devices');
    await signedIn.close();
    // Without a realm of its own, the principal is refused for the realm it asked for, once signed in.
    const refused = await refusal(signIn(node.url, { realm: 'crossbardemo', authmethods: ['cryptosign'], authextra: { pubkey: hex(alice.publicKey) }, onchallenge: signWith(alice) }));
    assert.equal(refused.reason, 'wamp.error.no_such_realm');
  });

  it('refuses a key nobody authorized, and a signature by another key, alike', async () => {
    const unknown = await refusal(signIn(node.url, { authmethods: ['cryptosign'], authextra: { pubkey: hex(stranger.publicKey) }, onchallenge: signWith(stranger) }));
    const forged = await refusal(signIn(node.url, { authmethods: ['cryptosign'], authid: 'alice', authextra: { pubkey: hex(alice.publicKey) }, onchallenge: signWith(stranger) }));
    assert.deepEqual([unknown.reason, unknown.abortMessage], ['wamp.error.authentication_failed', 'authentication failed']);
    assert.deepEqual([forged.reason, forged.abortMessage], [unknown.reason, unknown.abortMessage]);
  });

  it('says what is missing when HELLO carries no public key', async () => {
    const refused = await refusal(signIn(node.url, { authmethods: ['cryptosign'], authid: 'alice', onchallenge: signWith(alice) }));
    assert.equal(refused.reason, 'wamp.error.authentication_failed');
    assert.match(refused.abortMessage ?? '', /authextra\.pubkey/);
  });
});

describe('cryptosign with Wampy and its cryptosign plugin', () => {
  it('signs in with the private key in hex', async () => {
    const client = new Wampy(node.url, {
      realm: 'realm1', ws: WebSocket as unknown as WampyOptions['ws'], autoReconnect: false,
      authid: 'alice', authmethods: ['cryptosign'], authextra: { pubkey: hex(alice.publicKey) }, authMode: 'auto',
      // Wampy's own plugin type names a narrower parameter than its AuthPlugin slot; they agree at run time.
      authPlugins: { cryptosign: wampyCryptosign(hex(alice.secretKey)) as unknown as AuthPlugin },
    });
    await client.connect();
    assert.ok(Number(client.getSessionId()) > 0);
    await client.disconnect();
  });
});
