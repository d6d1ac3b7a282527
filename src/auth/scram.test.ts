import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Dict } from '../protocol/messages.js';
import type { AuthRequest } from '../router/hooks.js';
import { FakeCaller } from '../../test/auth/support/fake-caller.js';
import { authRequest, challenged } from '../../test/auth/support/method-test.js';
import { clientNonce, scramAnswer } from '../../test/auth/support/scram-client.js';
import { MessageType } from '../protocol/codes.js';
import { DynamicAuthenticator } from './dynamic.js';
import type { AuthMethod, Challenge } from './method.js';
import { authMessage } from '../protocol/scram.js';
import { keysOf, proves, readScramCredential, serverSignature } from './scram-keys.js';
import { scramHmacKey, scramPrincipal, type ScramPrincipalFields } from './scram-password.js';
import { dynamicScram, staticScram } from './scram.js';
import { authGate } from './gate.js';

const request = (details: Dict): AuthRequest => authRequest('scram', 4242, details);
const answer = (signature: string, extra: Dict = {}) => ({ type: MessageType.AUTHENTICATE, signature, extra });

/** Config fields (stored-key...) as the method's principal type (storedKey...). */
function principalOf(fields: ScramPrincipalFields, role: string) {
  const { 'stored-key': storedKey, 'server-key': serverKey, ...rest } = fields;
  return { ...rest, storedKey, serverKey, role };
}

describe('WAMP-SCRAM key derivation and proofs against published vectors', () => {
  it('verifies the RFC 7677 SCRAM-SHA-256 exchange (the WAMP spec\'s example) and signs as it does', async () => {
    // RFC 7677 section 3: user "user", password "pencil"; the spec's AuthMessage form.
    const salt = 'W22ZaJ0SNY7soEsUEjb6gQ==';
    const keys = keysOf(await scramHmacKey('pencil', { kdf: 'pbkdf2', iterations: 4096, salt: Buffer.from(salt, 'base64') }));
    const exchange = {
      authid: 'user', clientNonce: 'rOprNGfwEbeRWgbNEkqO', serverNonce: 'rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0', salt, iterations: 4096,
    };
    const message = authMessage('spec', exchange);
    assert.equal(message, 'n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
    assert.equal(proves(keys.storedKey, message, 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='), true);
    assert.equal(serverSignature(keys.serverKey, message), '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    assert.equal(proves(keys.storedKey, authMessage('crossbar', exchange), 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='), false);
  });

  it('derives Autobahn|Python\'s Argon2id hash (its test_argon2id_static, made with the argon2 reference tool)', async () => {
    const salted = await scramHmacKey('p4ssw0rd', { kdf: 'argon2id-13', iterations: 32, memory: 512, salt: Buffer.from('1234567890abcdef') });
    // Autobahn keys its HMACs with the hash as unpadded base64 text.
    assert.equal(Buffer.from(Buffer.from(salted).toString('ascii'), 'base64').toString('hex'), 'ee4a8acf9d5958354fb79a95ae20692d05e42591ba49fae85eb6700e8b0ed293');
    assert.doesNotMatch(Buffer.from(salted).toString('ascii'), /=/);
  });

  it('derives Autobahn|Python\'s PBKDF2 hash (its test_pbkdf2_static)', async () => {
    const salted = await scramHmacKey('p4ssw0rd', { kdf: 'pbkdf2', iterations: 8, salt: Buffer.from('1234567890abcdef') });
    assert.equal(Buffer.from(salted).toString('hex'), 'f6991a28c75f43751e0d75499fd7b8649f659118ddc1d61cee5883af547d15f5');
  });

  it('verifies the ClientProof of Autobahn|Python\'s test_basic (argon2id-13, its AuthMessage form)', async () => {
    const salt = '31323334353637383930616263646566';
    const keys = keysOf(await scramHmacKey('p4ssw0rd', { kdf: 'argon2id-13', iterations: 32, memory: 512, salt: Buffer.from(salt, 'base64') }));
    const exchange = { authid: 'username', clientNonce: salt, serverNonce: '1234567890abcdeffedcba0987654321', salt, iterations: 32 };
    assert.equal(proves(keys.storedKey, authMessage('crossbar', exchange), 'f5r3loERzGVSuimE+lvO0bWna2zyswBo0HrZkaaEy38='), true);
    assert.equal(proves(keys.storedKey, authMessage('spec', exchange), 'f5r3loERzGVSuimE+lvO0bWna2zyswBo0HrZkaaEy38='), false);
  });

  it('reads a principal and says what is wrong with a bad one', () => {
    const good = { kdf: 'pbkdf2', iterations: 10, salt: 'ab', storedKey: '00'.repeat(32), serverKey: '11'.repeat(32) };
    assert.equal(typeof readScramCredential(good), 'object');
    assert.equal(readScramCredential({ ...good, kdf: 'scrypt' }), '"kdf" must be one of argon2id-13, argon2id13, pbkdf2');
    assert.equal(readScramCredential({ ...good, kdf: 'argon2id-13' }), '"memory" is needed with kdf "argon2id-13"');
    assert.equal(readScramCredential({ ...good, salt: 'xyz' }), '"salt" must be hex');
    assert.equal(readScramCredential({ ...good, storedKey: 'abcd' }), '"stored-key" must be 32 bytes in hex');
    assert.equal(readScramCredential({ ...good, iterations: 0 }), '"iterations" must be a positive integer');
  });
});

describe('scram (static)', () => {
  let method: AuthMethod;
  before(async () => {
    method = staticScram({
      alice: principalOf(await scramPrincipal('alice-pw', { kdf: 'argon2id-13', iterations: 2, memory: 64 }), 'user'),
      bob: principalOf(await scramPrincipal('bob-pw', { kdf: 'pbkdf2', iterations: 100 }), 'admin'),
    });
  });

  async function signIn(authid: string, password: string, form: 'crossbar' | 'spec' = 'crossbar') {
    const hello = { authid, clientNonce: clientNonce() };
    const challenge = await challenged(method.begin(request({ authid, authextra: { nonce: hello.clientNonce } })));
    const expected = await scramAnswer(password, hello, challenge.extra, form);
    return { hello, challenge, expected, outcome: await challenge.verify(answer(expected.proof)) };
  }

  it('challenges with nonce, salt, kdf, iterations and memory only, the nonce after the client\'s, and welcomes a good proof with the server signature', async () => {
    const { hello, challenge, expected, outcome } = await signIn('alice', 'alice-pw');
    assert.deepEqual(Object.keys(challenge.extra), ['nonce', 'salt', 'kdf', 'iterations', 'memory']);
    assert.deepEqual([challenge.extra.kdf, challenge.extra.iterations, challenge.extra.memory], ['argon2id-13', 2, 64]);
    assert.ok((challenge.extra.nonce as string).startsWith(hello.clientNonce));
    assert.ok((challenge.extra.nonce as string).length > hello.clientNonce.length + 20);
    assert.deepEqual(outcome, {
      kind: 'welcome',
      identity: {
        authid: 'alice', authrole: 'user', authmethod: 'scram', authprovider: 'static',
        authextra: { scram_server_signature: expected.serverSignature, verifier: `v=${expected.serverSignature}` },
      },
    });
  });

  it('welcomes a PBKDF2 principal, whose CHALLENGE has no memory', async () => {
    const { challenge, outcome } = await signIn('bob', 'bob-pw');
    assert.deepEqual(Object.keys(challenge.extra), ['nonce', 'salt', 'kdf', 'iterations']);
    assert.equal(outcome.kind, 'welcome');
  });

  it('welcomes a proof made with the spec\'s AuthMessage, and signs that one', async () => {
    const { expected, outcome } = await signIn('bob', 'bob-pw', 'spec');
    assert.equal(outcome.kind, 'welcome');
    assert.equal(outcome.kind === 'welcome' && outcome.identity.authextra?.scram_server_signature, expected.serverSignature);
  });

  it('refuses a wrong password', async () => {
    const { outcome } = await signIn('alice', 'guess');
    assert.deepEqual(outcome, { kind: 'fail', why: 'the client proof does not verify (wrong password)', authid: 'alice' });
  });

  it('refuses a proof replayed into another exchange with the same client nonce', async () => {
    const first = await signIn('bob', 'bob-pw');
    assert.equal(first.outcome.kind, 'welcome');
    const again = await challenged(method.begin(request({ authid: 'bob', authextra: { nonce: first.hello.clientNonce } })));
    assert.notEqual(again.extra.nonce, first.challenge.extra.nonce);
    assert.equal((await again.verify(answer(first.expected.proof))).kind, 'fail');
  });

  it('takes the spec\'s name "wamp-scram" (connectanum-dart, aiowamp): the CHALLENGE says it back, the session\'s authmethod is "scram"', async () => {
    const gate = authGate({ methods: [method] });
    for (const name of ['wamp-scram', 'scram']) {
      const hello = { authid: 'bob', clientNonce: clientNonce() };
      // connectanum-dart's HELLO and AUTHENTICATE: null channel binding, the spec's AuthMessage.
      const outcome = await gate.hello(request({ authmethods: [name], authid: 'bob', authextra: { nonce: hello.clientNonce, channel_binding: null } }));
      assert.ok(outcome.kind === 'challenge', JSON.stringify(outcome));
      assert.equal(outcome.authMethod, name);
      const { proof } = await scramAnswer('bob-pw', hello, outcome.extra, 'spec');
      const welcome = await outcome.verify(answer(proof, { nonce: outcome.extra.nonce, channel_binding: null, cbind_data: null }));
      assert.ok(welcome.kind === 'welcome' && welcome.identity.authmethod === 'scram', JSON.stringify(welcome));
    }
  });

  it('refuses an AUTHENTICATE naming another nonce or channel binding data', async () => {
    for (const extra of [{ nonce: 'AAAAAAAAAAAA' }, { cbind_data: 'AAAA' }]) {
      const hello = { authid: 'bob', clientNonce: clientNonce() };
      const challenge = await challenged(method.begin(request({ authid: 'bob', authextra: { nonce: hello.clientNonce } })));
      const { proof } = await scramAnswer('bob-pw', hello, challenge.extra);
      assert.equal((await challenge.verify(answer(proof, extra))).kind, 'fail', JSON.stringify(extra));
    }
  });

  it('gives an unknown authid a challenge shaped like a real one, with a salt stable per authid, and fails it at AUTHENTICATE', async () => {
    const real = await challenged(method.begin(request({ authid: 'alice', authextra: { nonce: clientNonce() } })));
    const decoy = (authid: string) => challenged(method.begin(request({ authid, authextra: { nonce: clientNonce() } })));
    const [a, b, c] = [await decoy('mallory'), await decoy('mallory'), await decoy('trudy')];
    assert.deepEqual(Object.keys(a.extra), Object.keys(real.extra));
    assert.deepEqual([a.extra.kdf, a.extra.iterations, a.extra.memory], [real.extra.kdf, real.extra.iterations, real.extra.memory]);
    assert.equal((a.extra.salt as string).length, (real.extra.salt as string).length);
    assert.equal(a.extra.salt, b.extra.salt);
    assert.notEqual(a.extra.salt, c.extra.salt);
    const { proof } = await scramAnswer('anything', { authid: 'mallory', clientNonce: 'x' }, a.extra);
    assert.deepEqual(await a.verify(answer(proof)), { kind: 'fail', why: 'no principal "mallory" is configured', authid: 'mallory' });
  });

  it('gives decoys the settings most principals share, not the first principal\'s, and Autobahn\'s defaults when none is configured', async () => {
    const decoyExtra = async (scram: AuthMethod, authid: string) => (await challenged(scram.begin(request({ authid, authextra: { nonce: clientNonce() } })))).extra;
    const common = { kdf: 'argon2id13', iterations: 3, memory: 32 } as const;
    const mixed = staticScram({
      root: principalOf(await scramPrincipal('root-pw', { kdf: 'pbkdf2', iterations: 5000, salt: Buffer.alloc(24, 1) }), 'admin'),
      u1: principalOf(await scramPrincipal('u1-pw', common), 'user'),
      u2: principalOf(await scramPrincipal('u2-pw', common), 'user'),
    });
    const decoy = await decoyExtra(mixed, 'mallory');
    assert.deepEqual([decoy.kdf, decoy.iterations, decoy.memory], ['argon2id13', 3, 32]);
    assert.equal(Buffer.from(decoy.salt as string, 'base64').length, 16);
    assert.equal((await decoyExtra(mixed, 'mallory')).salt, decoy.salt);
    const none = await decoyExtra(staticScram({}), 'mallory');
    assert.deepEqual([none.kdf, none.iterations, none.memory], ['argon2id-13', 4096, 512]);
    assert.equal(Buffer.from(none.salt as string, 'base64').length, 16);
  });

  it('refuses a HELLO without authid or nonce, or asking for channel binding, saying why', async () => {
    const refusal = async (details: Dict) => {
      const outcome = await method.begin(request(details));
      assert.equal(outcome.kind, 'fail');
      return outcome.kind === 'fail' ? outcome.refusal?.message : undefined;
    };
    assert.equal(await refusal({ authextra: { nonce: clientNonce() } }), 'scram needs an authid in HELLO');
    assert.match(String(await refusal({ authid: 'alice' })), /needs HELLO\.Details\.authextra\.nonce/);
    assert.match(String(await refusal({ authid: 'alice', authextra: { nonce: 'not base64!' } })), /8 to 256 characters of base64/);
    assert.match(String(await refusal({ authid: 'alice', authextra: { nonce: clientNonce(), channel_binding: 'tls-unique' } })),
      /channel binding "tls-unique" is not supported/);
    for (const binding of ['x'.repeat(100_000), { type: 'tls-unique', data: 'y'.repeat(1000) }, 'TLS UNIQUE\n']) {
      const message = String(await refusal({ authid: 'alice', authextra: { nonce: clientNonce(), channel_binding: binding } }));
      assert.match(message, /channel_binding must be null or a channel binding type name \(at most 32/, 'what is wrong, not the value');
      assert.ok(message.length < 300 && !/xxx|yyy|UNIQUE/.test(message), message);
    }
  });
});

describe('scram (dynamic)', () => {
  let fields: ScramPrincipalFields;
  before(async () => {
    fields = await scramPrincipal('carol-pw', { kdf: 'pbkdf2', iterations: 50 });
  });

  const begin = async (method: AuthMethod, authid: string): Promise<{ challenge: Challenge; hello: { authid: string; clientNonce: string } }> => {
    const hello = { authid, clientNonce: clientNonce() };
    return { hello, challenge: await challenged(method.begin(request({ authid, authextra: { nonce: hello.clientNonce } }))) };
  };

  it('asks the authenticator with (realm, authid, details) and checks the proof against the principal it answers', async () => {
    const caller = new FakeCaller(() => ({ ...fields, role: 'user', authid: 'carol@example.com', extra: { tier: 2 } }));
    const method = dynamicScram(new DynamicAuthenticator({ procedure: 'com.example.auth' }, 'scram', caller));
    const { hello, challenge } = await begin(method, 'carol');
    assert.deepEqual(caller.calls[0]!.args.slice(0, 2), ['realm1', 'carol']);
    assert.equal((caller.calls[0]!.args[2] as Dict).authmethod, 'scram');
    const { proof, serverSignature: signature } = await scramAnswer('carol-pw', hello, challenge.extra);
    assert.deepEqual(await challenge.verify(answer(proof)), {
      kind: 'welcome',
      identity: {
        authid: 'carol@example.com', authrole: 'user', authmethod: 'scram', authprovider: 'dynamic',
        authextra: { tier: 2, scram_server_signature: signature, verifier: `v=${signature}` },
      },
    });
  });

  it('signs the AuthMessage with the authid after SASLprep: RFC 4013\'s examples', async () => {
    const method = dynamicScram(new DynamicAuthenticator({ procedure: 'p' }, 'scram', new FakeCaller(() => ({ ...fields, role: 'user' }))));
    const examples = [['I\u00ADX', 'IX'], ['user', 'user'], ['USER', 'USER'], ['\u00AA', 'a'], ['\u2168', 'IX']] as const;
    for (const [authid, prepared] of examples) {
      const { hello, challenge } = await begin(method, authid);
      const { proof } = await scramAnswer('carol-pw', { ...hello, authid: prepared }, challenge.extra);
      const outcome = await challenge.verify(answer(proof));
      assert.equal(outcome.kind === 'welcome' && outcome.identity.authid, authid, JSON.stringify(authid));
    }
    const { hello, challenge } = await begin(method, 'I\u00ADX');
    const { proof } = await scramAnswer('carol-pw', hello, challenge.extra);
    assert.equal((await challenge.verify(answer(proof))).kind, 'fail', 'the authid as sent, not prepared');
  });

  it('refuses at HELLO an authid SASLprep refuses: a control character, mixed bidirectional text, an unassigned code point', async () => {
    const method = dynamicScram(new DynamicAuthenticator({ procedure: 'p' }, 'scram', new FakeCaller(() => ({ ...fields, role: 'user' }))));
    const cases = [['a\u0007', /Prohibited character/], ['\u0627\u0031', /RandALCat character must be the first and the last/], ['d\u0221', /Unassigned code point/]] as const;
    for (const [authid, why] of cases) {
      const outcome = await method.begin(request({ authid, authextra: { nonce: clientNonce() } }));
      assert.equal(outcome.kind, 'fail', JSON.stringify(authid));
      const message = outcome.kind === 'fail' ? String(outcome.refusal?.message) : '';
      assert.match(message, /^the authid is not a valid SASLprep \(RFC 4013\) string: /);
      assert.match(message, why);
    }
  });

  it('fails when the authenticator fails or answers without usable keys', async () => {
    const refusing = dynamicScram(new DynamicAuthenticator({ procedure: 'p' }, 'scram', new FakeCaller(() => { throw new Error('no such user'); })));
    const outcome = await refusing.begin(request({ authid: 'carol', authextra: { nonce: clientNonce() } }));
    assert.equal(outcome.kind, 'fail');
    const keyless = dynamicScram(new DynamicAuthenticator({ procedure: 'p' }, 'scram', new FakeCaller(() => ({ role: 'user', kdf: 'pbkdf2', iterations: 5, salt: 'ab' }))));
    const answered = await keyless.begin(request({ authid: 'carol', authextra: { nonce: clientNonce() } }));
    assert.deepEqual(answered, { kind: 'fail', why: 'the authenticator\'s principal is not usable for scram: "stored-key" must be 32 bytes in hex', authid: 'carol' });
  });
});
