import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { ErrorUri } from '../protocol/errors.js';
import type { Dict } from '../protocol/messages.js';
import type { AuthRequest, Identity } from '../router/hooks.js';
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

/** The client's public key from HELLO.Details.authextra.pubkey, lower-cased, or a refusal that says what is missing. */
function clientKey(request: AuthRequest): string | Failure {
  const extra = requestedAuthextra(request) ?? {};
  const binding = extra.channel_binding;
  if (binding !== undefined && binding !== null) {
    return refusal(`channel binding "${String(binding)}" is not supported by this router`);
  }
  const pubkey = extra.pubkey;
  if (typeof pubkey !== 'string' || !hexKey.test(pubkey)) {
    return refusal('cryptosign needs HELLO.Details.authextra.pubkey: the Ed25519 public key as 64 hex characters');
  }
  return pubkey.toLowerCase();
}

function refusal(message: string): Failure {
  return { kind: 'fail', why: message, refusal: { reason: ErrorUri.authenticationFailed, message } };
}

/**
 * A challenge of 32 random bytes that the client must sign with `pubkey`. `result` is what a valid
 * signature earns: the identity, or, for a key nobody authorized, the failure it ends in anyway.
 */
function challengeFor(pubkey: string, result: Identity | Failure): MethodOutcome {
  const challenge = randomBytes(32);
  const extra: Dict = { challenge: challenge.toString('hex'), channel_binding: null };
  return {
    kind: 'challenge',
    extra,
    verify(answer) {
      // Verified even when the outcome is already a failure, so that both take the same time.
      const valid = verifyCryptosign(pubkey, challenge, answer.signature);
      if (isFailure(result)) return result;
      return valid ? { kind: 'welcome', identity: result } : fail('the signature does not verify with the public key', result.authid);
    },
  };
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
      const pubkey = clientKey(request);
      if (typeof pubkey !== 'string') return pubkey;
      const claimed = requestedAuthid(request);
      const owners = authidsByKey.get(pubkey) ?? [];
      const authid = claimed ?? (owners.length === 1 ? owners[0] : undefined);
      const principal = authid === undefined ? undefined : byAuthid.get(authid);
      if (authid === undefined || principal === undefined || !principal.keys.has(pubkey)) {
        const why = claimed === undefined
          ? (owners.length > 1 ? 'HELLO named no authid and several principals have this key' : 'no principal has this public key')
          : `principal "${claimed}" is not configured or does not have this public key`;
        return challengeFor(pubkey, fail(why, claimed));
      }
      const identity: Identity = { authid, authrole: principal.role, authmethod: method, authprovider: 'static' };
      if (principal.realm) identity.realm = principal.realm;
      return challengeFor(pubkey, identity);
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
      const pubkey = clientKey(request);
      if (typeof pubkey !== 'string') return pubkey;
      const claimed = requestedAuthid(request);
      const result = await authenticator.ask(request);
      if (isFailure(result)) return result;
      const expected = result.principal.pubkey?.toLowerCase();
      if (expected === undefined) return fail('the authenticator answered without a "pubkey"', claimed);
      if (expected !== pubkey) return fail('the authenticator answered with another public key than the client sent', claimed);
      const identity = identityOf(result.principal, { method, provider: authenticator.provider, claimedAuthid: claimed });
      if (isFailure(identity)) return identity;
      return challengeFor(expected, identity);
    },
  };
}
