import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { maxAuthidLength } from '../../src/auth/method.js';
import { scramPrincipal } from '../../src/auth/scram-password.js';
import { scramAuthenticator } from '../../src/client/auth/scram.js';
import { allowAll, authConfig } from '../auth/support/node.js';
import { clientNonce, scramAnswer } from '../auth/support/scram-client.js';
import { CaptureLog } from '../auth/support/capture-log.js';
import { checkFuzz, fuzzSeed, fuzzTimeout, gauges, gaugesBackTo, startFuzzedNode, type FuzzedNode } from '../support/fuzz.js';
import { RawClient } from '../support/raw-client.js';

/**
 * Hostile WAMP-SCRAM sign-ins (auth/scram.ts): fuzzed HELLO authids and authextra (nonce, channel
 * binding, other keys), then fuzzed AUTHENTICATE signatures and extras, beside the right proof.
 * Against an oracle of what the spec and the router's rules allow: WELCOME exactly for the right
 * proof with a clean AUTHENTICATE.Extra, a CHALLENGE exactly for a usable HELLO, every other
 * outcome an ABORT wamp.error.authentication_failed (never another error, never silence); the node
 * logs no error and never the password; a WAMP client keeps working; sessions come back. And the
 * client's side against a hostile router's CHALLENGE: a key derivation past its kdfLimits never runs.
 */

const password = 's3cret';
const known = 'user,1';

/** A value of any JSON type a codec could carry in authextra (finite numbers: JSON writes NaN and Infinity as null, which the oracle would then misjudge). */
const anyValue = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 20 }), fc.array(fc.integer(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }));

const validNonce = fc.constant('{nonce}');
const fuzzedHello = fc.record({
  authid: fc.option(fc.oneof(fc.constantFrom(known, known, known, 'nobody', '', 'user=1', 'user\u0000x', 'user\u200bx', 'a\u0627\u0031', 'x'.repeat(5_000)), fc.string({ maxLength: 12 })), { nil: undefined }),
  nonce: fc.oneof(validNonce, validNonce, validNonce, fc.constantFrom(undefined, null, '', 'short', 'not base64!!', 'A'.repeat(257), 'A'.repeat(256), 'AAAAAAAA==', 'AAAAAAAA==='), anyValue),
  channelBinding: fc.oneof(fc.constant(undefined), fc.constant(undefined), fc.constant(null), fc.constantFrom('tls-unique', 'tls-exporter', ''), anyValue),
  other: fc.dictionary(fc.constantFrom('cbind_data', 'salt', 'kdf', 'iterations', 'x'), anyValue, { maxKeys: 2 }),
});
const fuzzedAuthenticate = fc.record({
  signature: fc.oneof(fc.constant('{proof}'), fc.constant('{proof}'), fc.constantFrom('', '{proof}x', '{proof}='.slice(0, 43), 'A'.repeat(43) + '=', 'x'.repeat(10_000)), fc.string({ maxLength: 50 })),
  nonce: fc.oneof(fc.constant(undefined), fc.constant(undefined), fc.constant('{server}'), fc.constant(null), fc.constantFrom('{server}x', ''), anyValue),
  channelBinding: fc.oneof(fc.constant(undefined), fc.constant(undefined), fc.constant(null), anyValue),
  cbindData: fc.oneof(fc.constant(undefined), fc.constant(undefined), fc.constant(null), anyValue),
});

/** Half the runs get past each step as a real client would, so that the next step is fuzzed as often. */
const helloArb = fc.oneof(fc.constant({ authid: known, nonce: '{nonce}' as unknown, channelBinding: undefined as unknown, other: {} as Record<string, unknown> }), fuzzedHello);
const authenticateArb = fc.oneof(fc.constant({ signature: '{proof}', nonce: undefined as unknown, channelBinding: undefined as unknown, cbindData: undefined as unknown }), fuzzedAuthenticate);

const usableNonce = (nonce: unknown): boolean => typeof nonce === 'string' && /^[A-Za-z0-9+/]{8,256}={0,2}$/.test(nonce);
const absent = (value: unknown): boolean => value === undefined || value === null;

describe(`WAMP-SCRAM under hostile sign-ins (seed ${fuzzSeed})`, () => {
  const log = new CaptureLog();
  let fuzzed: FuzzedNode;

  before(async () => {
    const { 'stored-key': storedKey, 'server-key': serverKey, ...rest } = await scramPrincipal(password, { kdf: 'argon2id13', iterations: 2, memory: 64 });
    const config = authConfig({
      scram: { type: 'static', principals: { [known]: { ...rest, storedKey, serverKey, role: 'frontend' } } },
      anonymous: { type: 'static', role: 'frontend' },
    }, [allowAll('frontend')]);
    config.signIn.failureBudget = 1_000_000; // the refusals below must not slow the fuzzing down
    fuzzed = await startFuzzedNode(config, log);
  });
  after(() => fuzzed.stop());

  it('every HELLO and AUTHENTICATE ends in WELCOME exactly for the right proof, else in an authentication_failed ABORT', { timeout: fuzzTimeout(120_000) }, async () => {
    const baseline = gauges(fuzzed.node.metrics.exposition(), ['junction_sessions']);
    let runs = 0;
    await checkFuzz('scram sign-ins', fc.asyncProperty(helloArb, authenticateArb, fc.constantFrom('wamp.2.json', 'wamp.2.msgpack', 'wamp.2.cbor'), async (hello, answer, protocol) => {
      const nonce = hello.nonce === '{nonce}' ? clientNonce() : hello.nonce;
      const authextra: Record<string, unknown> = { ...hello.other };
      if (nonce !== undefined) authextra.nonce = nonce;
      if (hello.channelBinding !== undefined) authextra.channel_binding = hello.channelBinding;
      const details: Record<string, unknown> = { roles: { caller: {} }, authmethods: ['scram'], authextra };
      if (hello.authid !== undefined) details.authid = hello.authid;
      const client = await RawClient.open(fuzzed.node.url, [protocol]);
      try {
        client.send([1, 'realm1', details]);
        const first = await client.next();
        const what = `HELLO ${JSON.stringify(details).slice(0, 300)} -> ${JSON.stringify(first).slice(0, 300)}`;
        // An authid over the sign-in gate's bound is refused before SCRAM sees it.
        const overLong = hello.authid !== undefined && hello.authid.length > maxAuthidLength;
        const usable = hello.authid !== undefined && hello.authid !== '' && !overLong && usableNonce(nonce) && absent(hello.channelBinding)
          && !/[\u0000\u200b\u0627]/.test(hello.authid);
        if (first[0] === 3) {
          assert.equal(first[2], overLong ? 'wamp.error.invalid_argument' : 'wamp.error.authentication_failed', what);
          // SASLprep's tables are not ours to repeat: an authid it refuses may end here too.
          assert.ok(!usable || /[^\x20-\x7e]/.test(hello.authid!), `a usable HELLO was refused: ${what}`);
          return;
        }
        assert.equal(first[0], 4, what);
        assert.ok(usable || /[^\x20-\x7e]/.test(hello.authid ?? ''), `an unusable HELLO was challenged: ${what}`);
        const challenge = first[2] as Record<string, unknown>;
        const { proof } = await scramAnswer(password, { authid: hello.authid!, clientNonce: nonce as string }, challenge, 'spec');
        const signature = answer.signature.replace('{proof}', proof);
        const extra: Record<string, unknown> = {};
        if (answer.nonce !== undefined) extra.nonce = answer.nonce === '{server}' ? challenge.nonce : answer.nonce === '{server}x' ? `${String(challenge.nonce)}x` : answer.nonce;
        if (answer.channelBinding !== undefined) extra.channel_binding = answer.channelBinding;
        if (answer.cbindData !== undefined) extra.cbind_data = answer.cbindData;
        client.send([5, signature, extra]);
        const last = await client.next();
        const welcome = hello.authid === known && signature === proof && (absent(extra.nonce) || extra.nonce === challenge.nonce)
          && absent(extra.channel_binding) && absent(extra.cbind_data);
        const ended = `${what}; AUTHENTICATE ${signature.slice(0, 60)} ${JSON.stringify(extra).slice(0, 200)} -> ${JSON.stringify(last).slice(0, 300)}`;
        if (welcome) {
          assert.equal(last[0], 2, ended);
          assert.deepEqual([(last[2] as { authid: string }).authid, (last[2] as { authmethod: string }).authmethod], [known, 'scram'], ended);
        } else {
          assert.deepEqual([last[0], last[2]], [3, 'wamp.error.authentication_failed'], ended);
        }
      } finally {
        client.close();
      }
      fuzzed.watch.assertQuiet('SCRAM sign-ins');
      runs += 1;
      if (runs % 40 === 0) await fuzzed.bystander.works(`after ${runs} SCRAM sign-ins`);
    }), 100);
    await fuzzed.bystander.works('after the SCRAM fuzzing');
    await gaugesBackTo(() => fuzzed.node.metrics.exposition(), baseline, ['junction_sessions']);
    assert.ok(!log.text().includes(password), 'the password reached the log');
    fuzzed.watch.assertQuiet('the SCRAM fuzzing');
  });
});

describe(`the SCRAM client under hostile CHALLENGEs (seed ${fuzzSeed})`, () => {
  // Small limits, so that whatever the client accepts derives in a moment.
  const limits = { argon2MemoryKiB: 64, argon2Iterations: 3, pbkdf2Iterations: 2_000 };
  const cost = fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 64, 65, 2_000, 2_001, -1, 1.5, 2 ** 31, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY), fc.integer(), fc.constant('3'), fc.constant(null));
  const nearLimits = fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 4, max: 70 }), fc.integer({ min: 1_990, max: 2_010 }));
  const challenge = fc.oneof(
    // A well-formed CHALLENGE whose costs are around the limits.
    fc.record({ nonce: fc.constant('{client}AAAA'), salt: fc.constant('c2FsdHNhbHQ='), kdf: fc.constantFrom('argon2id13', 'pbkdf2'), iterations: nearLimits, memory: nearLimits }),
    fc.record({
      nonce: fc.constantFrom('{client}AAAA', '{client}', 'other', '', 42),
      salt: fc.constantFrom('c2FsdHNhbHQ=', 'c2FsdA', '', '!!', 'A'.repeat(4_000), null),
      kdf: fc.constantFrom('argon2id13', 'argon2id-13', 'pbkdf2', 'scrypt', '', null),
      iterations: cost,
      memory: cost,
    }, { requiredKeys: [] }),
  );

  it('answers a CHALLENGE within its limits and refuses every other, saying why, before deriving anything', { timeout: fuzzTimeout(60_000) }, async () => {
    await checkFuzz('scram client challenges', fc.asyncProperty(challenge, async (sent) => {
      const authenticator = scramAuthenticator({ method: 'scram', authid: 'joe', password, kdfLimits: limits })();
      const clientNonce = String(authenticator.authextra!.nonce);
      const extra: Record<string, unknown> = { ...sent };
      if (typeof sent.nonce === 'string') extra.nonce = sent.nonce.replace('{client}', clientNonce);
      const argon2 = sent.kdf === 'argon2id13' || sent.kdf === 'argon2id-13';
      const positive = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value > 0;
      const within = typeof extra.nonce === 'string' && extra.nonce.startsWith(clientNonce) && extra.nonce.length > clientNonce.length
        && typeof sent.salt === 'string' && sent.salt !== '' && /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(sent.salt)
        && (argon2 || sent.kdf === 'pbkdf2') && positive(sent.iterations)
        && (argon2 ? positive(sent.memory) && sent.memory <= limits.argon2MemoryKiB && sent.memory >= 8 && sent.iterations <= limits.argon2Iterations : sent.iterations <= limits.pbkdf2Iterations);
      const outcome = await authenticator.respond('scram', extra).then((proof) => ({ proof }), (error: Error) => ({ error: error.message }));
      const what = `${JSON.stringify(sent).slice(0, 200)} -> ${JSON.stringify(outcome).slice(0, 200)}`;
      if (within) assert.match((outcome as { proof?: string }).proof ?? '', /^[A-Za-z0-9+/]{43}=$/, what);
      else {
        assert.ok('error' in outcome, `a CHALLENGE outside the rules or the limits was answered: ${what}`);
        assert.ok(outcome.error.length > 10, `a refusal without a reason: ${what}`);
      }
    }), 150);
  });
});
