import type { Kwargs } from '../types.js';
import { subtle, toBase64, utf8 } from './bytes.js';

/**
 * The salted WAMP-CRA key: base64(PBKDF2-HMAC-SHA256(secret, salt, iterations, keylen)), with
 * AutobahnJS's defaults of 1000 iterations and 32 bytes.
 */
export async function deriveKey(secret: string, salt: string, iterations = 1000, keylen = 32): Promise<string> {
  const material = await subtle().importKey('raw', utf8(secret), 'PBKDF2', false, ['deriveBits']);
  const bits = await subtle().deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: utf8(salt), iterations },
    material,
    keylen * 8,
  );
  return toBase64(new Uint8Array(bits));
}

/** base64(HMAC-SHA256(key, challenge)): the WAMP-CRA signature. */
export async function signChallenge(key: string, challenge: string): Promise<string> {
  const hmacKey = await subtle().importKey('raw', utf8(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return toBase64(new Uint8Array(await subtle().sign('HMAC', hmacKey, utf8(challenge))));
}

/**
 * The most PBKDF2 work a salted challenge may ask for: a thousand times AutobahnJS's default
 * iterations, and a key of at most 512 bytes. Past them a hostile router could make the client
 * compute for hours or allocate without bound; the handshake is refused instead.
 */
export const wampcraLimits = { iterations: 1_000_000, keylen: 512 } as const;

function checkedCost(value: unknown, name: keyof typeof wampcraLimits): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < 1) throw new RangeError(`the wampcra challenge's ${name} is not a positive integer: ${JSON.stringify(value)}`);
  if ((value as number) > wampcraLimits[name]) throw new RangeError(`the wampcra challenge asks for ${name} ${value as number}, more than the client allows (${wampcraLimits[name]})`);
  return value as number;
}

export async function respondWampCra(secret: string, extra: Kwargs): Promise<string> {
  if (typeof extra.challenge !== 'string') throw new TypeError('the wampcra challenge has no "challenge" string');
  const salted = typeof extra.salt === 'string';
  const key = salted
    ? await deriveKey(secret, extra.salt as string, checkedCost(extra.iterations, 'iterations'), checkedCost(extra.keylen, 'keylen'))
    : secret;
  return signChallenge(key, extra.challenge);
}
