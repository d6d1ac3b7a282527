import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** What stands in for a secret wherever one would show: logs, the console's config view, errors. */
export const maskedMark = '*****';

/** `text` with every occurrence of each of `secrets` (the empty string aside) replaced by the mark. */
export function withoutSecrets(text: string, secrets: readonly string[]): string {
  return secrets.filter((secret) => secret !== '').reduce((masked, secret) => masked.replaceAll(secret, maskedMark), text);
}

/**
 * Compares a secret the client sent with the expected one in constant time. Both are hashed
 * first so that the comparison does not leak the expected length either.
 */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * The WAMP-CRA key for a salted secret: PBKDF2-HMAC-SHA256 over the UTF-8 secret and salt,
 * as base64 text. That text, not the raw bytes, is the HMAC key (AutobahnJS auth_cra.derive_key,
 * Wampy's deriveKey and Autobahn|Python's derive_key all agree).
 */
export async function deriveCraKey(secret: string, salt: string, iterations: number, keylen: number): Promise<string> {
  const key = await pbkdf2Async(Buffer.from(secret, 'utf8'), Buffer.from(salt, 'utf8'), iterations, keylen, 'sha256');
  return key.toString('base64');
}

/** The WAMP-CRA signature of a challenge: base64 of HMAC-SHA256 keyed with the UTF-8 key text. */
export function signCraChallenge(key: string, challenge: string): string {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(challenge, 'utf8').digest('base64');
}

/** A nonce as WAMP-CRA challenges carry it: 48 random bytes in base64 (64 characters). */
export function craNonce(): string {
  return randomBytes(48).toString('base64');
}
