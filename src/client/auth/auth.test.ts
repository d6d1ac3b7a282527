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
import { scramAnswer } from '../../../test/auth/support/scram-client.js';
import type { ScramKdfLimits } from './types.js';

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

  for (const [extra, message] of [
    [{ iterations: 1_000_001, keylen: 32 }, 'the wampcra challenge asks for iterations 1000001, more than the client allows (1000000)'],
    [{ iterations: 1000, keylen: 513 }, 'the wampcra challenge asks for keylen 513, more than the client allows (512)'],
    [{ iterations: 2.5 }, 'the wampcra challenge\'s iterations is not a positive integer: 2.5'],
    [{ iterations: 1000, keylen: 0 }, 'the wampcra challenge\'s keylen is not a positive integer: 0'],
  ] as const) {
    it(`refuses a salted challenge asking ${JSON.stringify(extra)}: ABORT before any derivation, and connect rejects`, async () => {
      const { router, connecting } = start({ method: 'wampcra', authid: 'joe', secret: 's3cret' });
      const peer = await router.accept();
      await peer.expect(MessageType.HELLO);
      peer.send({ type: MessageType.CHALLENGE, authMethod: 'wampcra', extra: { challenge: 'c', salt: 'NaCl', ...extra } });
      const abort = await peer.expect(MessageType.ABORT);
      assert.deepEqual([abort.reason, abort.details.message], [ErrorUri.authenticationFailed, message]);
      await assert.rejects(connecting, (error: Error) => error.message.includes('more than the client allows') || error.message.includes('not a positive integer'));
    });
  }

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

describe('scram', () => {
  const salt = 'c2FsdHNhbHRzYWx0c2FsdA==';
  const challengeFor = (nonce: string, kdf: Record<string, unknown> = { kdf: 'pbkdf2', iterations: 64 }) => ({ nonce: `${nonce}cm91dGVyLW5vbmNl`, salt, ...kdf });

  /** HELLO -> CHALLENGE -> AUTHENTICATE on a fake router; `welcome` says what WELCOME's authextra carries. */
  async function exchange(auth: ConnectOptions['auth'], password: string, welcome: (signature: string) => Record<string, unknown>, kdf?: Record<string, unknown>) {
    const { router, connecting } = start(auth);
    const peer = await router.accept();
    const hello = await peer.expect(MessageType.HELLO);
    const clientNonce = (hello.details.authextra as { nonce: string }).nonce;
    const extra = challengeFor(clientNonce, kdf);
    peer.send({ type: MessageType.CHALLENGE, authMethod: 'scram', extra });
    const authenticate = await peer.expect(MessageType.AUTHENTICATE);
    const expected = await scramAnswer(password, { authid: hello.details.authid as string, clientNonce }, extra);
    peer.send({ type: MessageType.WELCOME, session: 1, details: { authid: 'ann', authmethod: 'scram', authextra: welcome(expected.serverSignature) } });
    return { hello, clientNonce, authenticate, expected, peer, connecting };
  }

  it('sends a fresh base64 nonce, answers with the ClientProof and opens the session once the server signature checks', async () => {
    const derived: string[] = [];
    const auth = { method: 'scram' as const, authid: 'ann', password: 'pw', onSaltedPassword: (hex: string) => derived.push(hex) };
    const first = await exchange(auth, 'pw', (signature) => ({ scram_server_signature: signature }));
    assert.deepEqual(first.hello.details.authmethods, ['scram']);
    assert.match(first.clientNonce, /^[A-Za-z0-9+/]{22}==$/);
    assert.equal(first.authenticate.signature, first.expected.proof);
    assert.equal((await first.connecting).details.authmethod, 'scram');
    assert.deepEqual(derived, [pbkdf2Sync('pw', Buffer.from(salt, 'base64'), 64, 32, 'sha256').toString('hex')]);
    const second = await exchange(auth, 'pw', (signature) => ({ verifier: `v=${signature}` }));
    assert.notEqual(second.clientNonce, first.clientNonce);
    await second.connecting;
  });

  it('answers an Argon2id challenge (Autobahn|Python\'s test vector parameters) and signs with a given saltedPassword without deriving', async () => {
    const argon2 = { kdf: 'argon2id-13', iterations: 32, memory: 512 };
    const derived = await exchange({ method: 'scram', authid: 'ann', password: 'p4ssw0rd' }, 'p4ssw0rd', (signature) => ({ scram_server_signature: signature }), argon2);
    assert.equal(derived.authenticate.signature, derived.expected.proof);
    await derived.connecting;
    // Autobahn's published hash for p4ssw0rd with these costs, salt "1234567890abcdef".
    const saltedPassword = 'ee4a8acf9d5958354fb79a95ae20692d05e42591ba49fae85eb6700e8b0ed293';
    const { router, connecting } = start({ method: 'scram', authid: 'ann', saltedPassword });
    const peer = await router.accept();
    const hello = await peer.expect(MessageType.HELLO);
    const clientNonce = (hello.details.authextra as { nonce: string }).nonce;
    const extra = { ...challengeFor(clientNonce), ...argon2, salt: Buffer.from('1234567890abcdef').toString('base64') };
    peer.send({ type: MessageType.CHALLENGE, authMethod: 'scram', extra });
    const authenticate = await peer.expect(MessageType.AUTHENTICATE);
    const expected = await scramAnswer('p4ssw0rd', { authid: 'ann', clientNonce }, extra);
    assert.equal(authenticate.signature, expected.proof);
    peer.send({ type: MessageType.WELCOME, session: 1, details: { authextra: { scram_server_signature: expected.serverSignature } } });
    await connecting;
  });

  for (const [what, authextra, message] of [
    ['a wrong', { scram_server_signature: Buffer.alloc(32, 7).toString('base64') }, 'the router\'s SCRAM server signature is wrong: it does not hold this principal\'s keys'],
    ['no', {}, 'the router sent no SCRAM server signature in WELCOME, so it did not prove it knows the principal'],
  ] as const) {
    it(`refuses a WELCOME with ${what} server signature: ABORT, and connect rejects with authentication_failed`, async () => {
      const derived: string[] = [];
      const { peer, connecting } = await exchange({ method: 'scram', authid: 'ann', password: 'pw', onSaltedPassword: (hex) => derived.push(hex) }, 'pw', () => authextra);
      const abort = await peer.expect(MessageType.ABORT);
      assert.deepEqual([abort.reason, abort.details.message], [ErrorUri.authenticationFailed, message]);
      await assert.rejects(connecting, (error: unknown) => error instanceof WampError && error.uri === ErrorUri.authenticationFailed && error.args[0] === message);
      assert.deepEqual(derived, []);
    });
  }

  it('refuses a WELCOME that came without a challenge', async () => {
    const { router, connecting } = start({ method: 'scram', authid: 'ann', password: 'pw' });
    const peer = await router.accept();
    await peer.welcome(1, { authextra: { scram_server_signature: 'AAAA' } });
    assert.equal((await peer.expect(MessageType.ABORT)).details.message, 'the router welcomed the session without a SCRAM challenge, so it did not prove it knows the principal');
    await assert.rejects(connecting, WampError);
  });

  it('refuses a challenge whose nonce does not extend its own, or that lacks the key derivation\'s costs', async () => {
    for (const [extra, message] of [
      [(nonce: string) => ({ ...challengeFor(nonce), nonce: 'QUJDREVGR0g=' }), 'the SCRAM challenge\'s nonce does not extend the client\'s'],
      [(nonce: string) => challengeFor(nonce, { kdf: 'argon2id13', iterations: 2 }), 'the SCRAM challenge\'s memory is not a positive integer (KiB), as kdf "argon2id13" needs'],
      [(nonce: string) => challengeFor(nonce, { kdf: 'scrypt', iterations: 2 }), 'the SCRAM challenge names an unknown kdf "scrypt"'],
    ] as const) {
      const { router, connecting } = start({ method: 'scram', authid: 'ann', password: 'pw' });
      const peer = await router.accept();
      const hello = await peer.expect(MessageType.HELLO);
      peer.send({ type: MessageType.CHALLENGE, authMethod: 'scram', extra: extra((hello.details.authextra as { nonce: string }).nonce) });
      assert.equal((await peer.expect(MessageType.ABORT)).details.message, message);
      await assert.rejects(connecting, WampError);
    }
  });

  it('aborts a challenge that asks for more key derivation work than its limits, before deriving; kdfLimits moves them', async () => {
    const refusal = (what: string, asked: number, limit: number, key: string) =>
      `the SCRAM challenge asks for ${what} ${asked}, above this client's limit of ${limit} (auth.kdfLimits.${key}); refusing to derive the key`;
    const cases: [Record<string, unknown>, string, Partial<ScramKdfLimits>?][] = [
      [{ kdf: 'argon2id-13', iterations: 4, memory: 64 * 1024 + 1 }, refusal('Argon2 memory (KiB)', 65_537, 65_536, 'argon2MemoryKiB')],
      [{ kdf: 'argon2id13', iterations: 16_385, memory: 512 }, refusal('Argon2 iterations', 16_385, 16_384, 'argon2Iterations')],
      [{ kdf: 'pbkdf2', iterations: 2_000_001 }, refusal('PBKDF2 iterations', 2_000_001, 2_000_000, 'pbkdf2Iterations')],
      [{ kdf: 'pbkdf2', iterations: 65 }, refusal('PBKDF2 iterations', 65, 64, 'pbkdf2Iterations'), { pbkdf2Iterations: 64 }],
    ];
    for (const [kdf, message, kdfLimits] of cases) {
      const derived: string[] = [];
      const { router, connecting } = start({ method: 'scram', authid: 'ann', password: 'pw', onSaltedPassword: (hex) => derived.push(hex), ...(kdfLimits && { kdfLimits }) });
      const peer = await router.accept();
      const hello = await peer.expect(MessageType.HELLO);
      peer.send({ type: MessageType.CHALLENGE, authMethod: 'scram', extra: challengeFor((hello.details.authextra as { nonce: string }).nonce, kdf) });
      const abort = await peer.expect(MessageType.ABORT);
      assert.deepEqual([abort.reason, abort.details.message], [ErrorUri.authenticationFailed, message]);
      await assert.rejects(connecting, (error: unknown) => error instanceof WampError && error.args[0] === message);
      assert.deepEqual(derived, []);
    }
  });

  it('a raised limit lets a costlier challenge through; a limit that is not a positive integer is refused at connect', async () => {
    const derived = await exchange({ method: 'scram', authid: 'ann', password: 'pw', kdfLimits: { argon2MemoryKiB: 65_537 } }, 'pw',
      (signature) => ({ scram_server_signature: signature }), { kdf: 'argon2id-13', iterations: 1, memory: 65_537 });
    assert.equal(derived.authenticate.signature, derived.expected.proof);
    await derived.connecting;
    const connecting = connectWith({ transport: new FakeRouter().transport, codecs: [jsonCodec] },
      { url: 'ws://fake/ws', realm: 'realm1', auth: { method: 'scram', authid: 'ann', password: 'pw', kdfLimits: { argon2Iterations: 0 } }, reconnect: false });
    await assert.rejects(connecting, /scram kdfLimits\.argon2Iterations must be a positive integer, got 0/);
  });

  it('rejects options without a password or saltedPassword, or with a saltedPassword that is not 32 bytes', async () => {
    const connecting = (auth: ConnectOptions['auth']) => connectWith({ transport: new FakeRouter().transport, codecs: [jsonCodec] }, { url: 'ws://fake/ws', realm: 'realm1', auth, reconnect: false });
    await assert.rejects(connecting({ method: 'scram', authid: 'ann' }), /scram needs a password or a saltedPassword/);
    await assert.rejects(connecting({ method: 'scram', authid: 'ann', saltedPassword: 'abcd' }), /scram saltedPassword must be 32 bytes, got 2/);
  });
});
