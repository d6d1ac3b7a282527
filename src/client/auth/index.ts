import type { Kwargs } from '../types.js';
import type { AuthOptions, Authenticator } from './types.js';

export type * from './types.js';

/**
 * Turns the app's auth option into what the handshake needs. WAMP-CRA and cryptosign are
 * imported when first used: pages that authenticate otherwise never load the crypto code
 * (the browser bundles put it in a separate chunk).
 */
export async function authenticator(auth: AuthOptions | undefined): Promise<Authenticator> {
  const method = auth?.method ?? 'anonymous';
  const answer = async (respond: (extra: Kwargs) => string | Promise<string>, challenged: string, extra: Kwargs): Promise<string> => {
    if (challenged !== method) throw new Error(`challenged with "${challenged}", not "${method}"`);
    return respond(extra);
  };
  if (!auth || auth.method === 'anonymous') {
    return { authmethods: [method], authid: auth?.authid, respond: (challenged) => answer(() => '', challenged, {}) };
  }
  switch (auth.method) {
    case 'ticket':
      return {
        authmethods: [method],
        authid: auth.authid,
        respond: (challenged, extra) => answer(() => (typeof auth.ticket === 'function' ? auth.ticket() : auth.ticket), challenged, extra),
      };
    case 'wampcra':
      return {
        authmethods: [method],
        authid: auth.authid,
        respond: (challenged, extra) =>
          answer(async () => (await import('./wampcra.js')).respondWampCra(auth.secret, extra), challenged, extra),
      };
    case 'cryptosign': {
      const key = await (await import('./cryptosign.js')).cryptosignKey(auth.privateKey);
      return {
        authmethods: [method],
        authid: auth.authid,
        authextra: { pubkey: key.publicKey },
        respond: (challenged, extra) => answer(() => key.sign(extra.challenge), challenged, extra),
      };
    }
    case 'custom':
      return { authmethods: auth.authmethods, authid: auth.authid, authextra: auth.authextra, respond: async (challenged, extra) => auth.onChallenge(challenged, extra) };
  }
}
