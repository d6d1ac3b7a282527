import type { Kwargs } from '../types.js';
import type { AuthOptions, Authenticator } from './types.js';

export type * from './types.js';

/**
 * Turns the app's auth option into what each handshake needs (a fresh one per connection:
 * SCRAM's nonce must not repeat). WAMP-CRA, cryptosign and SCRAM are imported when first used:
 * pages that authenticate otherwise never load the crypto code (the browser bundles put it in
 * separate chunks).
 */
export async function authenticator(auth: AuthOptions | undefined): Promise<() => Authenticator> {
  if (auth?.method === 'scram') return (await import('./scram.js')).scramAuthenticator(auth);
  if (auth?.method === 'custom') {
    const custom: Authenticator = { authmethods: auth.authmethods, authid: auth.authid, authextra: auth.authextra, respond: async (challenged, extra) => auth.onChallenge(challenged, extra) };
    return () => custom;
  }
  // How the one announced method answers its challenge; anonymous has nothing to say.
  let answer: (extra: Kwargs) => string | Promise<string> = () => '';
  let authextra: Kwargs | undefined;
  if (auth?.method === 'ticket') {
    answer = () => (typeof auth.ticket === 'function' ? auth.ticket() : auth.ticket);
  } else if (auth?.method === 'wampcra') {
    answer = async (extra) => (await import('./wampcra.js')).respondWampCra(auth.secret, extra);
  } else if (auth?.method === 'cryptosign') {
    const key = await (await import('./cryptosign.js')).cryptosignKey(auth.privateKey);
    authextra = { pubkey: key.publicKey };
    answer = (extra) => key.sign(extra.challenge);
  }
  const fixed: Authenticator = { authmethods: [auth?.method ?? 'anonymous'], authid: auth?.authid, authextra, respond: async (_method, extra) => answer(extra) };
  return () => fixed;
}
