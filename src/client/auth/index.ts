import type { Kwargs } from '../types.js';
import { cryptosignKey } from './cryptosign.js';
import type { AuthOptions, Authenticator } from './types.js';
import { respondWampCra } from './wampcra.js';

export type * from './types.js';

function refuse(expected: string, method: string): never {
  throw new Error(`the router challenged with "${method}" but this client authenticates with "${expected}"`);
}

/** Turns the app's auth option into what the handshake needs; keys are imported once, up front. */
export async function authenticator(auth: AuthOptions | undefined): Promise<Authenticator> {
  if (!auth || auth.method === 'anonymous') {
    return { authmethods: ['anonymous'], authid: auth?.authid, respond: async (method) => refuse('anonymous', method) };
  }
  switch (auth.method) {
    case 'ticket':
      return {
        authmethods: ['ticket'],
        authid: auth.authid,
        async respond(method) {
          if (method !== 'ticket') refuse('ticket', method);
          return typeof auth.ticket === 'function' ? auth.ticket() : auth.ticket;
        },
      };
    case 'wampcra':
      return {
        authmethods: ['wampcra'],
        authid: auth.authid,
        async respond(method, extra: Kwargs) {
          if (method !== 'wampcra') refuse('wampcra', method);
          return respondWampCra(auth.secret, extra);
        },
      };
    case 'cryptosign': {
      const key = await cryptosignKey(auth.privateKey);
      return {
        authmethods: ['cryptosign'],
        authid: auth.authid,
        authextra: { pubkey: key.publicKey },
        async respond(method, extra: Kwargs) {
          if (method !== 'cryptosign') refuse('cryptosign', method);
          if (typeof extra.challenge !== 'string') throw new TypeError('cryptosign challenge without a "challenge" string');
          return key.sign(extra.challenge);
        },
      };
    }
    case 'custom':
      return {
        authmethods: auth.authmethods,
        authid: auth.authid,
        authextra: auth.authextra,
        respond: async (method, extra) => auth.onChallenge(method, extra),
      };
  }
}
