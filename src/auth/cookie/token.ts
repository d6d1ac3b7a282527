import { createHash, randomBytes } from 'node:crypto';

/**
 * The tracking cookie's value: random base64url characters (6 bits each) from node:crypto. The
 * store keys entries by a hash of it, so a leaked store (a file, a heap dump) signs nobody in.
 */

/** Fewest characters a token has: 22 × 6 = 132 bits, however short the config's `length`. */
export const minTokenLength = 22;

/** Ours are base64url; Crossbar's (imported from its cookie file) are standard base64, with + and /. */
const tokenPattern = /^[A-Za-z0-9_+/-]+$/;

export function newToken(length: number): string {
  const chars = Math.max(length, minTokenLength);
  return randomBytes(Math.ceil((chars * 6) / 8)).toString('base64url').slice(0, chars);
}

/** Whether a cookie value could be one of our tokens (anything else is not looked up). */
export function looksLikeToken(value: string): boolean {
  return value.length >= minTokenLength && value.length <= 64 && tokenPattern.test(value);
}

/** The key a token is stored under. */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
