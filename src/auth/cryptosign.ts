import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { ErrorUri } from '../protocol/errors.js';
import type { Dict } from '../protocol/messages.js';
import type { AuthRequest, Identity } from '../router/hooks.js';
import { unsupportedChannelBinding } from './channel-binding.js';
import { DynamicAuthenticator, identityOf, isFailure } from './dynamic.js';
import { fail, requestedAuthextra, requestedAuthid, type AuthMethod, type Failure, type MethodOutcome } from './method.js';

const method = 'cryptosign';

export interface CryptosignPrincipal {
  /** Ed25519 public keys in hex. */
  authorizedKeys: string[];
  role: string;
  /** The realm this principal joins (as Crossbar, it replaces the realm the client asked for). */
  realm?: string;
}

const hexKey = /^[0-9a-fA-F]{64}$/;

/** An Ed25519 public key object from 32 raw bytes in hex; undefined when they are not a valid key. */
function publicKey(hex: string): KeyObject | undefined {
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(hex, 'hex').toString('base64url') }, format: 'jwk' });
  } catch {
    return undefined;
  }
}

/**
 * Whether `signature` answers `challenge`: as the spec has it, the hex of the 64-byte Ed25519
 * signature followed by the 32 signed bytes (96 bytes, 192 hex characters); the signed bytes must
 * be the challenge itself.
 */
export function verifyCryptosign(pubkeyHex: string, challenge: Buffer, signature: string): boolean {
  if (!/^[0-9a-fA-F]{192}$/.test(signature)) return false;
  const signed = Buffer.from(signature, 'hex');
  if (!signed.subarray(64).equals(challenge)) return false;
  const key = publicKey(pubkeyHex);
  return key !== undefined && verify(null, challenge, key, signed.subarray(0, 64));
}

/** What a cryptosign HELLO brings: the client's key and the channel binding it asked for. */
interface CryptosignHello {
  /** Lower-cased hex. */
  pubkey: string;
  /** `tls-unique`, or null for none. */
  binding: ChannelBinding | null;
  /** The TLS channel's ID the challenge is XORed with (tls-unique over TLS); undefined: the challenge is signed as it is. */
  channelId: Buffer | undefined;
}

/** The one channel binding type Crossbar and Autobahn know. */
type ChannelBinding = 'tls-unique';

/**
 * The client's public key from HELLO.Details.authextra.pubkey and its channel binding, or a
 * refusal that says what is wrong. As in Crossbar, `tls-unique` binds the signature to the TLS
 * connection when there is one (the transport's `channel_id`) and is the plain challenge otherwise.
 */
function cryptosignHello(request: AuthRequest): CryptosignHello | Failure {
  const extra = requestedAuthextra(request) ?? {};
  const binding = extra.channel_binding;
  if (binding !== undefined && binding !== null && binding !== 'tls-unique') {
    return refusal(unsupportedChannelBinding(binding, 'supported: "tls-unique", or none'));
  }
  const pubkey = extra.pubkey;
  if (typeof pubkey !== 'string' || !hexKey.test(pubkey)) {
    return refusal('cryptosign needs HELLO.Details.authextra.pubkey: the Ed25519 public key as 64 hex characters');
  }
  const channelId = binding === 'tls-unique' ? tlsUniqueChannelId(request) : undefined;
  return { pubkey: pubkey.toLowerCase(), binding: binding ?? null, channelId };
}

function tlsUniqueChannelId(request: AuthRequest): Buffer | undefined {
  const ids = request.transport.extra?.channel_id as Record<string, unknown> | undefined;
  const hex = ids?.['tls-unique'];
  return typeof hex === 'string' ? Buffer.from(hex, 'hex') : undefined;
}

function refusal(message: string): Failure {
  return { kind: 'fail', why: message, refusal: { reason: ErrorUri.authenticationFailed, message } };
}

/**
 * A challenge of 32 random bytes that the client must sign with its key (XORed with the TLS
 * channel's ID when it asked for `tls-unique` over TLS). `result` is what a valid signature earns:
 * the identity, or, for a key nobody authorized, the failure it ends in anyway.
 */
function challengeFor(hello: CryptosignHello, result: Identity | Failure): MethodOutcome {
  const challenge = randomBytes(32);
  const signedMessage = hello.channelId === undefined ? challenge : channelBound(challenge, hello.channelId);
  const extra: Dict = { challenge: challenge.toString('hex'), channel_binding: hello.binding };
  return {
    kind: 'challenge',
    extra,
    verify(answer) {
      // Verified even when the outcome is already a failure, so that both take the same time.
      const valid = verifyCryptosign(hello.pubkey, signedMessage, answer.signature);
      if (isFailure(result)) return result;
      return valid ? { kind: 'welcome', identity: result } : fail('the signature does not verify with the public key', result.authid);
    },
  };
}

/** What a client signs under `tls-unique` channel binding: the challenge XORed with the channel ID (as Autobahn). */
export function channelBound(challenge: Buffer, channelId: Buffer): Buffer {
  return Buffer.from(challenge.map((byte, i) => byte ^ (channelId[i] ?? 0)));
}

/**
 * WAMP-Cryptosign against principals from the config. The client sends its public key in
 * HELLO.authextra.pubkey (the authid is optional when the key belongs to one principal only),
 * signs 32 random bytes, and is welcome if the signature verifies. An unknown key or authid
 * gets a challenge all the same and fails at AUTHENTICATE.
 */
export function staticCryptosign(principals: Record<string, CryptosignPrincipal>): AuthMethod {
  const byAuthid = new Map(Object.entries(principals).map(([authid, p]) => [authid, { ...p, keys: new Set(p.authorizedKeys.map((k) => k.toLowerCase())) }]));
  const authidsByKey = new Map<string, string[]>();
  for (const [authid, principal] of byAuthid) {
    for (const key of principal.keys) authidsByKey.set(key, [...(authidsByKey.get(key) ?? []), authid]);
  }
  return {
    name: method,
    begin(request) {
      const hello = cryptosignHello(request);
      if (isFailure(hello)) return hello;
      const { pubkey } = hello;
      const claimed = requestedAuthid(request);
      const owners = authidsByKey.get(pubkey) ?? [];
      const authid = claimed ?? (owners.length === 1 ? owners[0] : undefined);
      const principal = authid === undefined ? undefined : byAuthid.get(authid);
      if (authid === undefined || principal === undefined || !principal.keys.has(pubkey)) {
        const why = claimed === undefined
          ? (owners.length > 1 ? 'HELLO named no authid and several principals have this key' : 'no principal has this public key')
          : `principal "${claimed}" is not configured or does not have this public key`;
        return challengeFor(hello, fail(why, claimed));
      }
      const identity: Identity = { authid, authrole: principal.role, authmethod: method, authprovider: 'static' };
      if (principal.realm) identity.realm = principal.realm;
      return challengeFor(hello, identity);
    },
  };
}

/**
 * WAMP-Cryptosign with keys from an application procedure: at HELLO the authenticator gets
 * (realm, authid, details) with details.authextra.pubkey and answers with {pubkey, role} (and
 * optionally authid, realm, extra); the client must then sign with that key.
 */
export function dynamicCryptosign(authenticator: DynamicAuthenticator): AuthMethod {
  return {
    name: method,
    async begin(request) {
      const hello = cryptosignHello(request);
      if (isFailure(hello)) return hello;
      const claimed = requestedAuthid(request);
      const result = await authenticator.ask(request);
      if (isFailure(result)) return result;
      const expected = result.principal.pubkey?.toLowerCase();
      if (expected === undefined) return fail('the authenticator answered without a "pubkey"', claimed);
      if (expected !== hello.pubkey) return fail('the authenticator answered with another public key than the client sent', claimed);
      const identity = identityOf(result.principal, { method, provider: authenticator.provider, claimedAuthid: claimed });
      if (isFailure(identity)) return identity;
      return challengeFor(hello, identity);
    },
  };
}
