import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import autobahn from 'autobahn';
import { deriveKey as wampyDeriveKey, signManual as wampySign } from 'wampy/wampcra.js';
import type { Dict } from '../protocol/messages.js';
import type { AuthRequest } from '../router/hooks.js';
import { FakeCaller } from '../../test/auth/support/fake-caller.js';
import { authenticate, authRequest, challenged } from '../../test/auth/support/method-test.js';
import { DynamicAuthenticator } from './dynamic.js';
import { deriveCraKey, signCraChallenge } from './secrets.js';
import { dynamicWampCra, staticWampCra } from './wampcra.js';

const request = (details: Dict): AuthRequest => authRequest('wampcra', 4242, details);

/** What AutobahnJS computes from CHALLENGE.Extra (auth_cra.derive_key + auth_cra.sign). */
function autobahnSignature(secret: string, extra: Dict): string {
  const key = extra.salt === undefined ? secret : autobahn.auth_cra.derive_key(secret, extra.salt, extra.iterations, extra.keylen);
  return autobahn.auth_cra.sign(key, extra.challenge);
}

const users = {
  joe: { secret: 'secret2', role: 'frontend' },
  peter: { secret: 'prq7+YkJ1/KlW1X0YczMHw==', role: 'backend', salt: 'salt123', iterations: 100, keylen: 16 },
};

describe('wampcra key derivation and signature', () => {
  it('derive the same key and signature as AutobahnJS and Wampy', async () => {
    const key = await deriveCraKey('secret', 'salt123', 100, 16);
    assert.equal(key, autobahn.auth_cra.derive_key('secret', 'salt123', 100, 16));
    assert.equal(key, await wampyDeriveKey('secret', 'salt123', 100, 16));
    const challenge = '{"nonce":"ü-∑"}';
    assert.equal(signCraChallenge(key, challenge), autobahn.auth_cra.sign(key, challenge));
    assert.equal(signCraChallenge(key, challenge), await wampySign(key, challenge));
  });
});

describe('wampcra (static)', () => {
  const method = staticWampCra(users);

  it('challenges with the fields the spec lists and welcomes an AutobahnJS signature', async () => {
    const challenge = await challenged(method.begin(request({ authid: 'joe' })));
    assert.deepEqual(Object.keys(challenge.extra), ['challenge']);
    const fields = JSON.parse(challenge.extra.challenge as string);
    assert.deepEqual(Object.keys(fields).sort(), ['authid', 'authmethod', 'authprovider', 'authrole', 'nonce', 'session', 'timestamp']);
    assert.equal(fields.authid, 'joe');
    assert.equal(fields.authrole, 'frontend');
    assert.equal(fields.authmethod, 'wampcra');
    assert.equal(fields.authprovider, 'static');
    assert.equal(fields.session, 4242);
    assert.match(fields.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(fields.nonce.length >= 32);
    assert.deepEqual(await challenge.verify(authenticate(autobahnSignature('secret2', challenge.extra))), {
      kind: 'welcome', identity: { authid: 'joe', authrole: 'frontend', authmethod: 'wampcra', authprovider: 'static' },
    });
  });

  it('gives every challenge a fresh nonce', async () => {
    const a = JSON.parse((await challenged(method.begin(request({ authid: 'joe' })))).extra.challenge as string);
    const b = JSON.parse((await challenged(method.begin(request({ authid: 'joe' })))).extra.challenge as string);
    assert.notEqual(a.nonce, b.nonce);
  });

  it('sends salt, iterations and keylen for a salted user and checks the derived-key signature', async () => {
    const challenge = await challenged(method.begin(request({ authid: 'peter' })));
    assert.equal(challenge.extra.salt, 'salt123');
    assert.equal(challenge.extra.iterations, 100);
    assert.equal(challenge.extra.keylen, 16);
    const outcome = await challenge.verify(authenticate(autobahnSignature('prq7+YkJ1/KlW1X0YczMHw==', challenge.extra)));
    assert.equal(outcome.kind, 'welcome');
  });

  it('fails a signature made with the wrong secret, or with the unsalted secret of a salted user', async () => {
    const joe = await challenged(method.begin(request({ authid: 'joe' })));
    const wrong = await joe.verify(authenticate(autobahnSignature('secret3', joe.extra)));
    assert.ok(wrong.kind === 'fail' && /wrong signature/.test(wrong.why) && wrong.refusal === undefined);
    const peter = await challenged(method.begin(request({ authid: 'peter' })));
    const unsalted = await peter.verify(authenticate(autobahn.auth_cra.sign('prq7+YkJ1/KlW1X0YczMHw==', peter.extra.challenge)));
    assert.equal(unsalted.kind, 'fail');
  });

  it('gives an unknown user a decoy challenge shaped like a real one, stable per authid, that always fails', async () => {
    const salted = staticWampCra({ peter: users.peter });
    const first = await challenged(salted.begin(request({ authid: 'mallory' })));
    const again = await challenged(salted.begin(request({ authid: 'mallory' })));
    const real = await challenged(salted.begin(request({ authid: 'peter' })));
    assert.deepEqual(Object.keys(first.extra).sort(), Object.keys(real.extra).sort());
    assert.equal(first.extra.salt, again.extra.salt, 'a retry does not reveal a made-up salt');
    assert.notEqual(first.extra.salt, real.extra.salt);
    assert.equal(first.extra.iterations, 100);
    const fields = JSON.parse(first.extra.challenge as string);
    assert.equal(fields.authid, 'mallory');
    assert.equal(fields.authrole, 'backend');
    const outcome = await first.verify(authenticate(autobahnSignature('prq7+YkJ1/KlW1X0YczMHw==', first.extra)));
    assert.ok(outcome.kind === 'fail' && /no user "mallory"/.test(outcome.why) && outcome.refusal === undefined);
  });

  it('refuses a HELLO without authid, saying so', async () => {
    const outcome = await method.begin(request({}));
    assert.ok(outcome.kind === 'fail' && outcome.refusal?.message === 'wampcra needs an authid in HELLO');
  });
});

describe('wampcra (dynamic)', () => {
  it('asks the authenticator at HELLO for the secret and challenges with its salting', async () => {
    const caller = new FakeCaller(() => ({ secret: 'pw', role: 'user', salt: 'NaCl', iterations: 10, keylen: 32, extra: { tier: 1 } }));
    const method = dynamicWampCra(new DynamicAuthenticator({ procedure: 'com.example.auth' }, 'wampcra', caller));
    const challenge = await challenged(method.begin(request({ authid: 'ann' })));
    assert.deepEqual(caller.calls[0]!.args.slice(0, 2), ['realm1', 'ann']);
    assert.equal((caller.calls[0]!.args[2] as Dict).authmethod, 'wampcra');
    assert.equal(challenge.extra.salt, 'NaCl');
    const fields = JSON.parse(challenge.extra.challenge as string);
    assert.equal(fields.authprovider, 'dynamic');
    assert.equal(fields.authrole, 'user');
    assert.deepEqual(await challenge.verify(authenticate(autobahnSignature('pw', challenge.extra))), {
      kind: 'welcome', identity: { authid: 'ann', authrole: 'user', authmethod: 'wampcra', authprovider: 'dynamic', authextra: { tier: 1 } },
    });
  });

  it('uses the default PBKDF2 parameters when the authenticator gives only a salt', async () => {
    const caller = new FakeCaller(() => ({ secret: 'pw', role: 'user', salt: 'NaCl' }));
    const method = dynamicWampCra(new DynamicAuthenticator({ procedure: 'p' }, 'wampcra', caller));
    const challenge = await challenged(method.begin(request({ authid: 'ann' })));
    assert.equal(challenge.extra.iterations, 1000);
    assert.equal(challenge.extra.keylen, 32);
    assert.equal((await challenge.verify(authenticate(autobahnSignature('pw', challenge.extra)))).kind, 'welcome');
  });

  it('fails at HELLO when the authenticator refuses or gives no secret', async () => {
    const refusing = dynamicWampCra(new DynamicAuthenticator({ procedure: 'p' }, 'wampcra', new FakeCaller(() => { throw new Error('no such user'); })));
    const refused = await refusing.begin(request({ authid: 'ann' }));
    assert.ok(refused.kind === 'fail' && /no such user/.test(refused.why));
    const secretless = dynamicWampCra(new DynamicAuthenticator({ procedure: 'p' }, 'wampcra', new FakeCaller(() => 'user')));
    const outcome = await secretless.begin(request({ authid: 'ann' }));
    assert.ok(outcome.kind === 'fail' && /without a "secret"/.test(outcome.why));
  });
});
