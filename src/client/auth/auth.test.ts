import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, pbkdf2Sync, randomBytes, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import autobahn from 'autobahn';
import { jsonCodec } from '../../codec/json.js';
import { MessageType } from '../../protocol/codes.js';
import { ErrorUri } from '../../protocol/errors.js';
import { connectWith, type ConnectOptions } from '../connect.js';
import { WampError } from '../errors.js';
import { FakeRouter } from '../testing/fake-router.js';
import { cryptosignKey } from './cryptosign.js';
import { deriveKey, signChallenge } from './wampcra.js';

const autobahnCra = (autobahn as unknown as { auth_cra: { derive_key(s: string, salt: string, i: number, k: number): string; sign(k: string, c: string): string } }).auth_cra;

function start(auth: ConnectOptions['auth']) {
  const router = new FakeRouter();
  const connecting = connectWith({ transport: router.transport, codecs: [jsonCodec] }, { url: 'ws://fake/ws', realm: 'realm1', auth, reconnect: false });
  return { router, connecting };
}

describe('wampcra', () => {
  it('derives salted keys and signs challenges exactly as AutobahnJS does', async () => {
    assert.equal(await deriveKey('secret', 'salt', 100, 16), autobahnCra.derive_key('secret', 'salt', 100, 16));
    assert.equal(await deriveKey('pässwörd', 'salt123'), autobahnCra.derive_key('pässwörd', 'salt123', 1000, 32));
    assert.equal(await signChallenge('key', '{"nonce": "x"}'), autobahnCra.sign('key', '{"nonce": "x"}'));
  });

  it('answers a salted challenge with HMAC-SHA256 under the PBKDF2-derived key', async () => {
    const { router, connecting } = start({ method: 'wampcra', authid: 'joe', secret: 's3cret' });
    const peer = await router.accept();
    const hello = await peer.expect(MessageType.HELLO);
    assert.deepEqual([hello.details.authmethods, hello.details.authid], [['wampcra'], 'joe']);
    const challenge = JSON.stringify({ authid: 'joe', nonce: randomBytes(8).toString('hex') });
    peer.send({ type: MessageType.CHALLENGE, authMethod: 'wampcra', extra: { challenge, salt: 'NaCl', iterations: 50, keylen: 32 } });
    const authenticate = await peer.expect(MessageType.AUTHENTICATE);
    const key = pbkdf2Sync('s3cret', 'NaCl', 50, 32, 'sha256').toString('base64');
    assert.equal(authenticate.signature, createHmac('sha256', key).update(challenge).digest('base64'));
    peer.send({ type: MessageType.WELCOME, session: 1, details: { authid: 'joe', authmethod: 'wampcra' } });
    assert.equal((await connecting).details.authmethod, 'wampcra');
  });

  it('answers an unsalted challenge with the secret itself as key', async () => {
    const { router } = start({ method: 'wampcra', authid: 'joe', secret: 'plain' });
    const peer = await router.accept();
    await peer.expect(MessageType.HELLO);
    peer.send({ type: MessageType.CHALLENGE, authMethod: 'wampcra', extra: { challenge: 'abc' } });
    assert.equal((await peer.expect(MessageType.AUTHENTICATE)).signature, createHmac('sha256', 'plain').update('abc').digest('base64'));
  });
});

describe('ticket and custom auth', () => {
  it('sends the ticket, fetched again on every connection when it is a function', async () => {
    let fetched = 0;
    const { router, connecting } = start({ method: 'ticket', authid: 'ann', ticket: async () => `t-${++fetched}` });
    const peer = await router.accept();
    const hello = await peer.expect(MessageType.HELLO);
    assert.deepEqual([hello.details.authmethods, hello.details.authid], [['ticket'], 'ann']);
    peer.send({ type: MessageType.CHALLENGE, authMethod: 'ticket', extra: {} });
    assert.equal((await peer.expect(MessageType.AUTHENTICATE)).signature, 't-1');
    peer.send({ type: MessageType.WELCOME, session: 1, details: {} });
    await connecting;
  });

  it('lets onChallenge answer any method, with the app-chosen HELLO details', async () => {
    const seen: unknown[] = [];
    const { router, connecting } = start({
      method: 'custom',
      authmethods: ['x-token', 'ticket'],
      authid: 'svc',
      authextra: { device: 7 },
      onChallenge: (method, extra) => {
        seen.push([method, extra]);
        return 'signed';
      },
    });
    const peer = await router.accept();
    const hello = await peer.expect(MessageType.HELLO);
    assert.deepEqual([hello.details.authmethods, hello.details.authextra], [['x-token', 'ticket'], { device: 7 }]);
    peer.send({ type: MessageType.CHALLENGE, authMethod: 'x-token', extra: { nonce: 1 } });
    assert.equal((await peer.expect(MessageType.AUTHENTICATE)).signature, 'signed');
    peer.send({ type: MessageType.WELCOME, session: 1, details: {} });
    await connecting;
    assert.deepEqual(seen, [['x-token', { nonce: 1 }]]);
  });

  it('aborts with authentication_failed when it cannot answer, and connect rejects', async () => {
    const { router, connecting } = start({ method: 'ticket', authid: 'ann', ticket: 't' });
    const peer = await router.accept();
    await peer.expect(MessageType.HELLO);
    peer.send({ type: MessageType.CHALLENGE, authMethod: 'wampcra', extra: { challenge: 'c' } });
    const abort = await peer.expect(MessageType.ABORT);
    assert.equal(abort.reason, ErrorUri.authenticationFailed);
    assert.equal(abort.details.message, 'challenged with "wampcra", not "ticket"');
    await assert.rejects(connecting, (error: unknown) => error instanceof WampError && error.uri === ErrorUri.authenticationFailed);
  });
});

describe('cryptosign', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const publicHex = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');

  it('derives the public key from the seed and signs as hex(signature || challenge)', async () => {
    const key = await cryptosignKey(seed.toString('hex'));
    assert.equal(key.publicKey, publicHex);
    const challenge = randomBytes(32);
    const signed = await key.sign(challenge.toString('hex'));
    assert.equal(signed.length, 192);
    assert.equal(signed.slice(128), challenge.toString('hex'));
    assert.ok(verify(null, challenge, publicKey, Buffer.from(signed.slice(0, 128), 'hex')));
  });

  it('announces the public key in HELLO and answers the challenge', async () => {
    const { router, connecting } = start({ method: 'cryptosign', authid: 'dev-1', privateKey: new Uint8Array(seed) });
    const peer = await router.accept();
    const hello = await peer.expect(MessageType.HELLO);
    assert.deepEqual([hello.details.authmethods, hello.details.authextra], [['cryptosign'], { pubkey: publicHex }]);
    const challenge = randomBytes(32);
    peer.send({ type: MessageType.CHALLENGE, authMethod: 'cryptosign', extra: { challenge: challenge.toString('hex'), channel_binding: null } });
    const signature = (await peer.expect(MessageType.AUTHENTICATE)).signature;
    assert.ok(verify(null, challenge, publicKey, Buffer.from(signature.slice(0, 128), 'hex')));
    peer.send({ type: MessageType.WELCOME, session: 1, details: {} });
    await connecting;
  });

  it('rejects a key that is not a 32-byte seed', async () => {
    await assert.rejects(cryptosignKey('abcd'), /must be a 32-byte Ed25519 seed, got 2 bytes/);
    await assert.rejects(cryptosignKey('zz'), /cryptosign privateKey must be hex digits/);
  });
});
