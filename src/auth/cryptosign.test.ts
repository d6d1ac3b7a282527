import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import autobahn from 'autobahn';
import { sign as wampySign } from 'wampy/cryptosign.js';
import type { Dict } from '../protocol/messages.js';
import type { AuthRequest } from '../router/hooks.js';
import { FakeCaller } from '../../test/auth/support/fake-caller.js';
import { ed25519KeyPair, hex, type NaclKeyPair } from '../../test/auth/support/keys.js';
import { authenticate, authRequest, challenged } from '../../test/auth/support/method-test.js';
import { dynamicCryptosign, staticCryptosign, verifyCryptosign } from './cryptosign.js';
import { DynamicAuthenticator } from './dynamic.js';

const request = (details: Dict): AuthRequest => authRequest('cryptosign', 1, details);

const alice = ed25519KeyPair();
const bob = ed25519KeyPair();
const stranger = ed25519KeyPair();
/** What AutobahnJS answers: auth_cryptosign.sign_challenge. */
const autobahnAnswer = (pair: NaclKeyPair, extra: Dict): string => autobahn.auth_cryptosign.sign_challenge(pair, extra);

describe('cryptosign signature check', () => {
  it('accepts signature + challenge as AutobahnJS and Wampy send it, nothing else', async () => {
    const challenge = randomBytes(32);
    const extra = { challenge: challenge.toString('hex') };
    const signature = autobahnAnswer(alice, extra);
    assert.equal(signature.length, 192);
    assert.ok(verifyCryptosign(hex(alice.publicKey), challenge, signature));
    assert.ok(verifyCryptosign(hex(alice.publicKey), challenge, signature.toUpperCase()), 'hex case does not matter');
    const wampy = await wampySign(hex(alice.secretKey))('cryptosign', extra);
    assert.ok(verifyCryptosign(hex(alice.publicKey), challenge, wampy));
    assert.ok(!verifyCryptosign(hex(bob.publicKey), challenge, signature), 'another key');
    assert.ok(!verifyCryptosign(hex(alice.publicKey), challenge, signature.slice(0, 128)), 'signature without the message');
    const otherChallenge = randomBytes(32);
    assert.ok(!verifyCryptosign(hex(alice.publicKey), otherChallenge, signature), 'a signature of another challenge');
    const swapped = signature.slice(0, 128) + otherChallenge.toString('hex');
    assert.ok(!verifyCryptosign(hex(alice.publicKey), otherChallenge, swapped), 'the message part swapped for the new challenge');
    assert.ok(!verifyCryptosign('00'.repeat(32), challenge, signature), 'a key that is not a curve point');
    assert.ok(!verifyCryptosign(hex(alice.publicKey), challenge, 'zz'.repeat(96)));
  });
});

describe('cryptosign (static)', () => {
  const method = staticCryptosign({
    alice: { authorizedKeys: [hex(alice.publicKey).toUpperCase()], role: 'user' },
    bob: { authorizedKeys: [hex(bob.publicKey)], role: 'device', realm: 'devices' },
  });

  it('challenges 32 random bytes in hex and welcomes a valid signature', async () => {
    const challenge = await challenged(method.begin(request({ authid: 'alice', authextra: { pubkey: hex(alice.publicKey) } })));
    assert.match(challenge.extra.challenge as string, /^[0-9a-f]{64}$/);
    assert.equal(challenge.extra.channel_binding, null);
    assert.deepEqual(await challenge.verify(authenticate(autobahnAnswer(alice, challenge.extra))), {
      kind: 'welcome', identity: { authid: 'alice', authrole: 'user', authmethod: 'cryptosign', authprovider: 'static' },
    });
  });

  it('finds the principal by its key when HELLO names no authid, and takes its realm', async () => {
    const challenge = await challenged(method.begin(request({ authextra: { pubkey: hex(bob.publicKey) } })));
    assert.deepEqual(await challenge.verify(authenticate(autobahnAnswer(bob, challenge.extra))), {
      kind: 'welcome', identity: { authid: 'bob', authrole: 'device', authmethod: 'cryptosign', authprovider: 'static', realm: 'devices' },
    });
  });

  it('fails a signature by another key than the one announced', async () => {
    const challenge = await challenged(method.begin(request({ authid: 'alice', authextra: { pubkey: hex(alice.publicKey) } })));
    const outcome = await challenge.verify(authenticate(autobahnAnswer(bob, challenge.extra)));
    assert.ok(outcome.kind === 'fail' && outcome.refusal === undefined);
  });

  it('challenges an unknown key, or a key of another principal, and fails it even with a valid signature', async () => {
    for (const details of [
      { authextra: { pubkey: hex(stranger.publicKey) } },
      { authid: 'alice', authextra: { pubkey: hex(bob.publicKey) } },
      { authid: 'nobody', authextra: { pubkey: hex(stranger.publicKey) } },
    ]) {
      const challenge = await challenged(method.begin(request(details)));
      const pair = details.authextra.pubkey === hex(bob.publicKey) ? bob : stranger;
      const outcome = await challenge.verify(authenticate(autobahnAnswer(pair, challenge.extra)));
      assert.ok(outcome.kind === 'fail' && outcome.refusal === undefined, JSON.stringify(details));
    }
  });

  it('refuses without a public key, or with a channel binding type it does not know, saying so', async () => {
    const noKey = await method.begin(request({ authid: 'alice' }));
    assert.ok(noKey.kind === 'fail' && /authextra\.pubkey/.test(noKey.refusal!.message));
    const binding = await method.begin(request({ authid: 'alice', authextra: { pubkey: hex(alice.publicKey), channel_binding: 'tls-server-end-point' } }));
    assert.ok(binding.kind === 'fail' && /channel binding "tls-server-end-point" is not supported.*"tls-unique"/.test(binding.refusal!.message));
    const long = await method.begin(request({ authid: 'alice', authextra: { pubkey: hex(alice.publicKey), channel_binding: 'x'.repeat(100_000) } }));
    assert.ok(long.kind === 'fail' && long.refusal!.message.length < 300 && /must be null or a channel binding type name/.test(long.refusal!.message), 'the value is not echoed');
  });

  describe('tls-unique channel binding, as Crossbar does it', () => {
    const channelId = randomBytes(32);
    const overTls = (details: Dict): AuthRequest => ({ ...request(details), transport: { type: 'websocket', serializer: 'json', peer: 'tcp4:127.0.0.1:1', extra: { channel_id: { 'tls-unique': channelId.toString('hex') } } } });
    const xored = (challenge: string): string => Buffer.from(Buffer.from(challenge, 'hex').map((byte, i) => byte ^ channelId[i]!)).toString('hex');
    const hello = { authid: 'alice', authextra: { pubkey: hex(alice.publicKey), channel_binding: 'tls-unique' } };

    it('over TLS the client signs the challenge XORed with the channel ID; the plain challenge fails', async () => {
      const challenge = await challenged(method.begin(overTls(hello)));
      assert.equal(challenge.extra.channel_binding, 'tls-unique');
      const bound = autobahnAnswer(alice, { challenge: xored(challenge.extra.challenge as string) });
      assert.equal((await challenge.verify(authenticate(bound))).kind, 'welcome');
      const again = await challenged(method.begin(overTls(hello)));
      assert.equal((await again.verify(authenticate(autobahnAnswer(alice, again.extra)))).kind, 'fail', 'a signature not bound to the channel');
    });

    it('without TLS (no channel ID) the plain challenge is signed, as Crossbar and Autobahn do', async () => {
      const challenge = await challenged(method.begin(request(hello)));
      assert.equal(challenge.extra.channel_binding, 'tls-unique');
      assert.equal((await challenge.verify(authenticate(autobahnAnswer(alice, challenge.extra)))).kind, 'welcome');
    });

    it('a client that asks for no binding signs the plain challenge over TLS too', async () => {
      const challenge = await challenged(method.begin(overTls({ authid: 'alice', authextra: { pubkey: hex(alice.publicKey) } })));
      assert.equal(challenge.extra.channel_binding, null);
      assert.equal((await challenge.verify(authenticate(autobahnAnswer(alice, challenge.extra)))).kind, 'welcome');
    });
  });
});

describe('cryptosign (dynamic)', () => {
  it('asks the authenticator with the client key in authextra and checks the key it answers', async () => {
    const caller = new FakeCaller((_realm, _authid, details) => ({ role: 'user', authid: 'carol', pubkey: ((details as Dict).authextra as Dict).pubkey }));
    const method = dynamicCryptosign(new DynamicAuthenticator({ procedure: 'com.example.auth' }, 'cryptosign', caller));
    const challenge = await challenged(method.begin(request({ authextra: { pubkey: hex(alice.publicKey) } })));
    assert.deepEqual(await challenge.verify(authenticate(autobahnAnswer(alice, challenge.extra))), {
      kind: 'welcome', identity: { authid: 'carol', authrole: 'user', authmethod: 'cryptosign', authprovider: 'dynamic' },
    });
  });

  it('fails when the authenticator answers another key or none', async () => {
    for (const principal of [{ role: 'user', authid: 'c', pubkey: hex(bob.publicKey) }, { role: 'user', authid: 'c' }]) {
      const method = dynamicCryptosign(new DynamicAuthenticator({ procedure: 'p' }, 'cryptosign', new FakeCaller(() => principal)));
      const outcome = await method.begin(request({ authextra: { pubkey: hex(alice.publicKey) } }));
      assert.equal(outcome.kind, 'fail', JSON.stringify(principal));
    }
  });
});
