import { createHash, createHmac, randomBytes } from 'node:crypto';
import { saslprep } from '@mongodb-js/saslprep';
import { ErrorUri } from '../protocol/errors.js';
import type { Authenticate, Dict } from '../protocol/messages.js';
import type { AuthRequest, Identity } from '../router/hooks.js';
import { unsupportedChannelBinding } from './channel-binding.js';
import { DynamicAuthenticator, identityOf, isFailure } from './dynamic.js';
import { fail, requestedAuthextra, requestedAuthid, type AuthMethod, type Failure, type MethodOutcome } from './method.js';
import { authMessage, authMessageForms, type ScramExchange } from '../protocol/scram.js';
import { defaultScramParameters, proves, readScramCredential, scramSaltBytes, serverSignature, type ScramCredential, type ScramFields } from './scram-keys.js';

/** The authmethod name, as Crossbar and Autobahn|Python have it (the session's authmethod, whichever name the client used). */
const method = 'scram';
/** The spec's name, which clients written after it send (connectanum-dart, aiowamp) and Bondy takes. */
const aliases = ['wamp-scram'] as const;

export interface ScramPrincipal extends ScramFields {
  role: string;
}

/**
 * A client nonce: base64 (the spec requires it), long enough to matter and short enough to bound
 * what a client makes us hold and hash. Autobahn|Python sends 16 random bytes (24 characters).
 */
const clientNonceForm = /^[A-Za-z0-9+/]{8,256}={0,2}$/;
/** Random bytes the router appends to the client nonce (the spec recommends 16). */
const serverNonceBytes = 16;

function refusal(message: string, authid?: string): Failure {
  return { kind: 'fail', why: message, authid, refusal: { reason: ErrorUri.authenticationFailed, message } };
}

interface ScramHello {
  /** As the client sent it. */
  authid: string;
  /** After SASLprep, for the AuthMessage. */
  prepared: string;
  clientNonce: string;
}

/** What HELLO must carry for SCRAM: an authid and a base64 nonce; no channel binding. */
function readHello(request: AuthRequest): ScramHello | Failure {
  const claimed = requestedAuthid(request);
  if (claimed === undefined) return refusal('scram needs an authid in HELLO');
  const extra = requestedAuthextra(request) ?? {};
  const binding = extra.channel_binding;
  if (binding !== undefined && binding !== null) {
    return refusal(unsupportedChannelBinding(binding, 'none: sign in without channel_binding'), claimed);
  }
  const nonce = extra.nonce;
  if (typeof nonce !== 'string' || !clientNonceForm.test(nonce)) {
    return refusal('scram needs HELLO.Details.authextra.nonce: 8 to 256 characters of base64', claimed);
  }
  let prepared: string;
  try {
    prepared = saslprep(claimed);
  } catch (error) {
    return refusal(`the authid is not a valid SASLprep (RFC 4013) string: ${(error as Error).message}`, claimed);
  }
  return { authid: claimed, prepared, clientNonce: nonce };
}

/**
 * The CHALLENGE and its check. `result` is what a valid proof earns: the identity, or for a decoy
 * the failure it ends in anyway (the proof is checked all the same, so both take the same time).
 */
function challengeFor(hello: ScramHello, credential: ScramCredential, result: Identity | Failure): MethodOutcome {
  const exchange: ScramExchange = {
    authid: hello.prepared,
    clientNonce: hello.clientNonce,
    serverNonce: hello.clientNonce + randomBytes(serverNonceBytes).toString('base64'),
    salt: credential.salt.toString('base64'),
    iterations: credential.iterations,
  };
  // Only the keys Autobahn|Python accepts: it refuses a CHALLENGE with any other.
  const extra: Dict = { nonce: exchange.serverNonce, salt: exchange.salt, kdf: credential.kdf, iterations: credential.iterations };
  if (credential.memory !== undefined) extra.memory = credential.memory;
  return { kind: 'challenge', extra, verify: (answer) => verifyAnswer(answer, exchange, credential, result) };
}

function verifyAnswer(answer: Authenticate, exchange: ScramExchange, credential: ScramCredential, result: Identity | Failure): MethodOutcome {
  const matched = authMessageForms
    .map((form) => authMessage(form, exchange))
    .filter((message) => proves(credential.storedKey, message, answer.signature));
  if (isFailure(result)) return result;
  const problem = answerProblem(answer.extra, exchange.serverNonce);
  if (problem !== undefined) return fail(problem, result.authid);
  const message = matched[0];
  if (message === undefined) return fail('the client proof does not verify (wrong password)', result.authid);
  const signature = serverSignature(credential.serverKey, message);
  // Crossbar's key (which Autobahn|Python checks) and the spec's.
  const authextra: Dict = { ...result.authextra, scram_server_signature: signature, verifier: `v=${signature}` };
  return { kind: 'welcome', identity: { ...result, authextra } };
}

/** AUTHENTICATE.Extra as the spec has it (Autobahn|Python sends none): the challenge's nonce, no channel binding. */
function answerProblem(extra: Dict, serverNonce: string): string | undefined {
  if (extra.nonce !== undefined && extra.nonce !== null && extra.nonce !== serverNonce) return 'AUTHENTICATE carried another nonce than the CHALLENGE';
  for (const key of ['channel_binding', 'cbind_data']) {
    if (extra[key] !== undefined && extra[key] !== null) return `AUTHENTICATE carried ${key}, but no channel binding was agreed`;
  }
  return undefined;
}

/** A credential read from the config, which the schema has checked already. */
function configured(authid: string, principal: ScramPrincipal): ScramCredential {
  const credential = readScramCredential(principal);
  if (typeof credential === 'string') throw new Error(`scram principal "${authid}": ${credential}`);
  return credential;
}

/** What a decoy copies: key derivation settings and the salt's length. */
type DecoySettings = Pick<ScramCredential, 'kdf' | 'iterations' | 'memory'> & { saltBytes: number };

/**
 * The settings most principals share (on a tie, the first such in config order), or Autobahn's
 * defaults when none is configured: what a decoy shows tells nothing about one principal.
 */
function commonSettings(credentials: readonly ScramCredential[]): DecoySettings {
  const tally = new Map<string, { count: number; settings: DecoySettings }>();
  for (const { kdf, iterations, memory, salt } of credentials) {
    const settings: DecoySettings = { kdf, iterations, saltBytes: salt.length, ...(memory === undefined ? {} : { memory }) };
    const key = JSON.stringify([kdf, iterations, memory, salt.length]);
    const entry = tally.get(key) ?? { count: 0, settings };
    entry.count++;
    tally.set(key, entry);
  }
  let common: { count: number; settings: DecoySettings } | undefined;
  for (const entry of tally.values()) if (common === undefined || entry.count > common.count) common = entry;
  return common?.settings ?? { ...defaultScramParameters, saltBytes: scramSaltBytes };
}

/**
 * Stand-ins for authids nobody configured: the principals' common settings, with a salt that
 * stays the same for the same authid and random keys. Its CHALLENGE looks like a real one, as the
 * spec advises (RFC 5802 section 5.1), so it does not tell who exists. The salt is an HMAC of the
 * authid keyed with a secret made from every configured ServerKey: every worker process and every
 * restart computes the same one (a random per-process key would make an unknown authid's salt
 * change between them, unlike a real one), yet nobody without the keys can.
 */
function decoys(credentials: readonly ScramCredential[]): (authid: string) => ScramCredential {
  const { saltBytes, ...settings } = commonSettings(credentials);
  const secret = createHash('sha256').update('junction scram decoy salt');
  for (const credential of credentials) secret.update(credential.serverKey);
  const key = credentials.length > 0 ? secret.digest() : randomBytes(32);
  return (authid) => ({
    ...settings,
    salt: createHmac('sha256', key).update(authid, 'utf8').digest().subarray(0, Math.max(saltBytes, 8)),
    storedKey: randomBytes(32),
    serverKey: randomBytes(32),
  });
}

/**
 * WAMP-SCRAM against principals from the config. An unknown authid gets a decoy CHALLENGE and
 * fails at AUTHENTICATE, so that HELLO does not tell whether a user exists.
 */
export function staticScram(principals: Record<string, ScramPrincipal>): AuthMethod {
  const byAuthid = new Map(Object.entries(principals).map(([authid, p]) => [authid, { role: p.role, credential: configured(authid, p) }]));
  const decoy = decoys([...byAuthid.values()].map((p) => p.credential));
  return {
    name: method,
    aliases,
    begin(request) {
      const hello = readHello(request);
      if (isFailure(hello)) return hello;
      const principal = byAuthid.get(hello.authid);
      if (principal === undefined) return challengeFor(hello, decoy(hello.authid), fail(`no principal "${hello.authid}" is configured`, hello.authid));
      return challengeFor(hello, principal.credential, { authid: hello.authid, authrole: principal.role, authmethod: method, authprovider: 'static' });
    },
  };
}

/**
 * WAMP-SCRAM with the principal from an application procedure: at HELLO the authenticator gets
 * (realm, authid, details) and answers, as for Crossbar, with the role and kdf, iterations, memory,
 * salt, stored-key and server-key (and optionally authid, realm, extra). The proof is checked
 * against the authid the client sent, whatever authid the session then gets.
 */
export function dynamicScram(authenticator: DynamicAuthenticator): AuthMethod {
  return {
    name: method,
    aliases,
    async begin(request) {
      const hello = readHello(request);
      if (isFailure(hello)) return hello;
      const result = await authenticator.ask(request);
      if (isFailure(result)) return result;
      const { principal } = result;
      const credential = readScramCredential(principal);
      if (typeof credential === 'string') return fail(`the authenticator's principal is not usable for scram: ${credential}`, hello.authid);
      const identity = identityOf(principal, { method, provider: authenticator.provider, claimedAuthid: hello.authid });
      if (isFailure(identity)) return identity;
      return challengeFor(hello, credential, identity);
    },
  };
}
