import type { Kwargs } from '../types.js';
import type { AuthOptions, Authenticator } from './types.js';

export type * from './types.js';

/**
 * Turns the app's auth option into what the handshake needs. WAMP-CRA and cryptosign are
 * imported when first used: pages that authenticate otherwise never load the crypto code
 * (the browser bundles put it in a separate chunk).
 */
export async function authenticator(auth: AuthOptions | undefined): Promise<Authenticator> {
  if (auth?.method === 'custom') {
    return { authmethods: auth.authmethods, authid: auth.authid, authextra: auth.authextra, respond: async (challenged, extra) => auth.onChallenge(challenged, extra) };
  }
  const method = auth?.method ?? 'anonymous';
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
  return {
    authmethods: [method],
    authid: auth?.authid,
    authextra,
    respond: async (challenged, extra) => {
      if (challenged !== method) throw new Error(`challenged with "${challenged}", not "${method}"`);
      return answer(extra);
    },
  };
}
