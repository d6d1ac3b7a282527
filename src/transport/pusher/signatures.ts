import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Pusher's HMAC-SHA256 signatures: what an app's auth endpoint signs for a private or presence
 * subscription and for a user sign-in, what its server SDK signs for an HTTP API request, and
 * what we sign on a webhook. All as lower-case hex.
 */

export function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

export function md5Hex(body: Buffer | string): string {
  return createHash('md5').update(body).digest('hex');
}

/** Compares in constant time; different lengths are simply unequal. */
export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** What an auth endpoint signs for a subscription: "socket_id:channel", then ":channel_data" for presence. */
export function channelAuthText(socketId: string, channel: string, channelData?: string): string {
  return channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
}

/** What an auth endpoint signs for pusher:signin. */
export function signinText(socketId: string, userData: string): string {
  return `${socketId}::user::${userData}`;
}

/**
 * Checks an `auth` value "key:signature" against the app's key and secret. Returns why it fails,
 * or undefined when it verifies.
 */
export function authProblem(auth: unknown, key: string, secret: string, signed: string): string | undefined {
  if (typeof auth !== 'string' || auth === '') return 'no "auth" value: the app\'s auth endpoint must sign this request';
  const colon = auth.indexOf(':');
  if (colon < 0) return '"auth" must be "key:signature"';
  if (auth.slice(0, colon) !== key) return `"auth" names the key "${auth.slice(0, colon).slice(0, 40)}", not this app's`;
  if (!sameText(auth.slice(colon + 1), hmacHex(secret, signed))) {
    return `the signature does not match "${signed.slice(0, 200)}" signed with this app's secret`;
  }
  return undefined;
}

/**
 * The text an HTTP API request's auth_signature covers: "METHOD\npath\nquery", the query being
 * every parameter but auth_signature, keys lower-cased and sorted, as "key=value" joined by "&".
 */
export function apiSigningText(method: string, path: string, params: URLSearchParams): string {
  const pairs: [string, string][] = [];
  for (const [name, value] of params) if (name !== 'auth_signature') pairs.push([name.toLowerCase(), value]);
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${method.toUpperCase()}\n${path}\n${pairs.map(([name, value]) => `${name}=${value}`).join('&')}`;
}
