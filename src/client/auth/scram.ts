import { hmacKeyOf, saltedPassword, type ScramParameters } from '../../protocol/scram-kdf.js';
import { authMessage, isArgon2, isScramKdf } from '../../protocol/scram.js';
import type { Kwargs } from '../types.js';
import { fromHex, subtle, toBase64, toHex, utf8 } from './bytes.js';
import type { Authenticator, ScramAuth, ScramKdfLimits } from './types.js';

/**
 * The client's side of WAMP-SCRAM, as Autobahn|Python's AuthScram and Crossbar compute it (the
 * AuthMessage's "crossbar" form, which Junction's router accepts too): HELLO carries a fresh
 * nonce, the CHALLENGE's key derivation gives the ClientProof, and WELCOME must carry the
 * ServerSignature only a router holding the principal's ServerKey can make.
 */

interface Challenge extends ScramParameters {
  nonce: string;
  /** Base64, as sent: the AuthMessage carries it so. */
  saltText: string;
}

/** Random bytes in each client nonce (Autobahn|Python sends 16). */
const nonceBytes = 16;
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** SASLprep leaves printable ASCII as it is, so only other authids load its Unicode tables. */
const printableAscii = /^[\x20-\x7E]*$/;

/**
 * The most key derivation work a CHALLENGE may ask for unless `kdfLimits` says otherwise: well
 * above the costs principals are made with (Autobahn's and `junction scram-principal`'s defaults:
 * Argon2id 512 KiB and 4096 iterations; OWASP advises 600,000 PBKDF2 iterations), low enough that a
 * hostile router cannot make the client hold more than 64 MiB or compute for hours.
 */
export const scramKdfLimitDefaults: ScramKdfLimits = { argon2MemoryKiB: 64 * 1024, argon2Iterations: 16_384, pbkdf2Iterations: 2_000_000 };

/** Checks the options once, at connect; each call then makes one handshake's exchange. */
export function scramAuthenticator(auth: ScramAuth): () => Authenticator {
  if (typeof auth.authid !== 'string' || auth.authid === '') throw new TypeError('scram needs an authid');
  const given = auth.saltedPassword === undefined ? undefined : givenSaltedPassword(auth.saltedPassword);
  if (given === undefined && typeof auth.password !== 'string') throw new TypeError('scram needs a password or a saltedPassword');
  const limits = kdfLimits(auth.kdfLimits);
  subtle(); // every step needs WebCrypto: a page without it (plain http://) fails at connect, saying so
  const authid = preparedAuthid(auth.authid);
  authid.catch(() => {}); // reported by the first answer that needs it
  // The last derivation, kept so that reconnecting with the same principal does not run Argon2 again.
  let derived: { parameters: string; salted: Promise<Uint8Array> } | undefined;
  const derive = (challenge: Challenge): Promise<Uint8Array> => {
    const parameters = JSON.stringify([challenge.kdf, challenge.iterations, challenge.memory, challenge.saltText]);
    if (derived?.parameters !== parameters) {
      refuseCostsPast(limits, challenge);
      derived = { parameters, salted: saltedPassword(auth.password!, challenge) };
    }
    return derived.salted;
  };

  return () => {
    const clientNonce = toBase64(globalThis.crypto.getRandomValues(new Uint8Array(nonceBytes)));
    let expected: { signature: string; derived?: Uint8Array } | undefined;
    return {
      authmethods: ['scram'],
      authid: auth.authid,
      authextra: { nonce: clientNonce },
      async respond(_method, extra) {
        const challenge = readChallenge(extra, clientNonce);
        const salted = given ?? (await derive(challenge));
        const key = hmacKeyOf(challenge.kdf, salted);
        const message = utf8(authMessage('crossbar', {
          authid: await authid,
          clientNonce,
          serverNonce: challenge.nonce,
          salt: challenge.saltText,
          iterations: challenge.iterations,
        }));
        const clientKey = await hmac(key, utf8('Client Key'));
        const clientSignature = await hmac(new Uint8Array(await subtle().digest('SHA-256', new Uint8Array(clientKey))), message);
        const serverSignature = await hmac(await hmac(key, utf8('Server Key')), message);
        expected = { signature: toBase64(serverSignature), ...(given ? {} : { derived: salted }) };
        return toBase64(clientKey.map((byte, i) => byte ^ clientSignature[i]!));
      },
      async welcomed(details) {
        if (expected === undefined) throw new Error('the router welcomed the session without a SCRAM challenge, so it did not prove it knows the principal');
        const sent = serverSignatureIn(details.authextra);
        if (sent === undefined) throw new Error('the router sent no SCRAM server signature in WELCOME, so it did not prove it knows the principal');
        if (sent !== expected.signature) throw new Error('the router\'s SCRAM server signature is wrong: it does not hold this principal\'s keys');
        if (expected.derived) auth.onSaltedPassword?.(toHex(expected.derived));
      },
    };
  };
}

/** Crossbar's key, or the spec's "v=" verifier. */
function serverSignatureIn(authextra: unknown): string | undefined {
  if (typeof authextra !== 'object' || authextra === null) return undefined;
  const { scram_server_signature: signature, verifier } = authextra as Kwargs;
  if (typeof signature === 'string') return signature;
  return typeof verifier === 'string' && verifier.startsWith('v=') ? verifier.slice(2) : undefined;
}

function givenSaltedPassword(value: string | Uint8Array): Uint8Array {
  const bytes = typeof value === 'string' ? fromHex(value, 'scram saltedPassword') : value;
  if (bytes.length !== 32) throw new TypeError(`scram saltedPassword must be 32 bytes, got ${bytes.length}`);
  return bytes;
}

function readChallenge(extra: Kwargs, clientNonce: string): Challenge {
  const { nonce, salt, kdf, iterations, memory } = extra;
  if (typeof nonce !== 'string' || !nonce.startsWith(clientNonce) || nonce.length <= clientNonce.length) {
    throw new Error('the SCRAM challenge\'s nonce does not extend the client\'s');
  }
  if (typeof salt !== 'string' || salt === '' || !base64.test(salt)) throw new Error('the SCRAM challenge has no base64 salt');
  if (!isScramKdf(kdf)) throw new Error(`the SCRAM challenge names an unknown kdf ${JSON.stringify(kdf)}`);
  if (!positiveInteger(iterations)) throw new Error('the SCRAM challenge\'s iterations is not a positive integer');
  const challenge: Challenge = { nonce, kdf, iterations, salt: Uint8Array.from(atob(salt), (char) => char.charCodeAt(0)), saltText: salt };
  if (isArgon2(kdf)) {
    if (!positiveInteger(memory)) throw new Error(`the SCRAM challenge's memory is not a positive integer (KiB), as kdf "${kdf}" needs`);
    challenge.memory = memory;
  }
  return challenge;
}

function kdfLimits(given: Partial<ScramKdfLimits> | undefined): ScramKdfLimits {
  const limits = { ...scramKdfLimitDefaults, ...given };
  for (const [name, value] of Object.entries(limits)) {
    if (!positiveInteger(value)) throw new TypeError(`scram kdfLimits.${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return limits;
}

/** A challenge that asks for more work than the limits: the sign-in is aborted before any derivation runs. */
function refuseCostsPast(limits: ScramKdfLimits, challenge: Challenge): void {
  const past = (what: string, asked: number, limit: keyof ScramKdfLimits) => {
    if (asked > limits[limit]) {
      throw new Error(`the SCRAM challenge asks for ${what} ${asked}, above this client's limit of ${limits[limit]} (auth.kdfLimits.${limit}); refusing to derive the key`);
    }
  };
  if (isArgon2(challenge.kdf)) {
    past('Argon2 memory (KiB)', challenge.memory!, 'argon2MemoryKiB');
    past('Argon2 iterations', challenge.iterations, 'argon2Iterations');
  } else {
    past('PBKDF2 iterations', challenge.iterations, 'pbkdf2Iterations');
  }
}

function positiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

async function hmac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const imported = await subtle().importKey('raw', new Uint8Array(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', imported, new Uint8Array(data)));
}

/** The authid as the AuthMessage carries it: after SASLprep (RFC 4013), as the router applies it. */
async function preparedAuthid(authid: string): Promise<string> {
  if (printableAscii.test(authid)) return authid;
  const { saslprep } = await import('@mongodb-js/saslprep');
  try {
    return saslprep(authid);
  } catch (error) {
    throw new Error(`the scram authid cannot go through SASLprep (RFC 4013): ${(error as Error).message}`);
  }
}
