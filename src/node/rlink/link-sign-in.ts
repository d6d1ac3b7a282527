/**
 * What a router link answers the other router's CHALLENGE with. With the node key it is
 * cryptosign as Crossbar's link does it: HELLO asks for `tls-unique` channel binding, and over TLS
 * the signed challenge is XORed with the connection's channel ID, so a signature made for one TLS
 * connection is worthless on another (a server in between cannot pass it on). Other methods are
 * the client library's.
 */

import { channelBound } from '../../auth/cryptosign.js';
import { authenticator } from '../../client/auth/index.js';
import { cryptosignKey } from '../../client/auth/cryptosign.js';
import type { AuthOptions, Authenticator } from '../../client/auth/types.js';
import type { Kwargs } from '../../client/types.js';

/** `channelId` gives the tls-unique ID (hex) of the connection being signed in on; undefined without TLS. */
export async function linkAuthenticator(auth: AuthOptions, channelId: () => string | undefined): Promise<() => Authenticator> {
  if (auth.method !== 'cryptosign') return authenticator(auth);
  const key = await cryptosignKey(auth.privateKey);
  const bound: Authenticator = {
    authmethods: ['cryptosign'],
    authid: auth.authid,
    authextra: { pubkey: key.publicKey, channel_binding: 'tls-unique' },
    respond: async (_method, extra) => key.sign(challengeToSign(extra, channelId())),
  };
  return () => bound;
}

/**
 * The challenge (hex) as it is signed: bound to the channel when the router binds it
 * (`channel_binding: "tls-unique"`, as Crossbar's and Junction's routers do over TLS) and the
 * connection has one; else as sent. What is not 32 bytes in hex is left for the signer to refuse.
 */
export function challengeToSign(extra: Kwargs, channelId: string | undefined): unknown {
  const { challenge } = extra;
  if (extra.channel_binding !== 'tls-unique' || channelId === undefined || typeof challenge !== 'string' || !/^[0-9a-f]{64}$/i.test(challenge)) return challenge;
  return channelBound(Buffer.from(challenge, 'hex'), Buffer.from(channelId, 'hex')).toString('hex');
}
