import { createHmac } from 'node:crypto';

/**
 * What a WAMP load generator signs in with (WampSession.join's `auth`), from a target's plain
 * `auth` = { method: 'ticket' | 'wampcra', authid, secret } (it crosses process boundaries as
 * JSON, so it holds no functions). WAMP-CRA signs the challenge text with an unsalted secret:
 * base64 of HMAC-SHA256, as the WAMP spec and docs/authentication.md describe.
 */
export function signInWith(auth) {
  if (!auth) return undefined;
  switch (auth.method) {
    case 'ticket':
      return { authid: auth.authid, authmethod: 'ticket', sign: () => auth.secret };
    case 'wampcra':
      return { authid: auth.authid, authmethod: 'wampcra', sign: (extra) => createHmac('sha256', auth.secret).update(String(extra.challenge)).digest('base64') };
    default:
      throw new Error(`unknown auth method "${auth.method}" (expected ticket or wampcra)`);
  }
}
