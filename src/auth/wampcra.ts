import { createHmac, randomBytes } from 'node:crypto';
import { ErrorUri } from '../protocol/errors.js';
import type { Dict } from '../protocol/messages.js';
import type { AuthRequest } from '../router/hooks.js';
import { DynamicAuthenticator, identityOf, isFailure } from './dynamic.js';
import { fail, requestedAuthid, type AuthMethod, type Failure, type MethodOutcome } from './method.js';
import type { Principal } from './principal.js';
import { craNonce, deriveCraKey, sameSecret, signCraChallenge } from './secrets.js';

const method = 'wampcra';

export interface CraUser {
  secret: string;
  role: string;
  /** Salted secrets: all three or none. */
  salt?: string;
  iterations?: number;
  keylen?: number;
}

/** PBKDF2 parameters a salted user without iterations/keylen gets (AutobahnJS's and Crossbar's defaults). */
const defaultIterations = 1000;
const defaultKeylen = 32;

interface Salting {
  salt: string;
  iterations: number;
  keylen: number;
}

function saltingOf(user: { salt?: string; iterations?: number; keylen?: number }): Salting | undefined {
  if (user.salt === undefined) return undefined;
  return { salt: user.salt, iterations: user.iterations ?? defaultIterations, keylen: user.keylen ?? defaultKeylen };
}

/** The HMAC key: the secret itself, or for salted users the base64 text of its PBKDF2 derivation. */
function keyOf(secret: string, salting: Salting | undefined): Promise<string> {
  return salting ? deriveCraKey(secret, salting.salt, salting.iterations, salting.keylen) : Promise.resolve(secret);
}

/**
 * CHALLENGE.Extra for WAMP-CRA: `challenge` is a JSON text with the fields the spec lists
 * (authid, authrole, authmethod, authprovider, nonce, timestamp, session) that the client signs
 * as it is; salted users also get salt, iterations and keylen to derive their key.
 */
function challengeExtra(request: AuthRequest, who: { authid: string; authrole: string; authprovider: string }, salting: Salting | undefined): Dict {
  const challenge = JSON.stringify({
    authid: who.authid,
    authrole: who.authrole,
    authmethod: method,
    authprovider: who.authprovider,
    nonce: craNonce(),
    timestamp: new Date().toISOString(),
    session: request.sessionId,
  });
  return salting ? { challenge, ...salting } : { challenge };
}

/** Checks the signature against the expected one; `expected` undefined (a decoy challenge) always fails. */
function checked(signature: string, expected: string | undefined, authid: string, welcome: () => MethodOutcome): MethodOutcome {
  const matches = sameSecret(signature, expected ?? randomBytes(32).toString('base64'));
  if (expected === undefined) return fail(`no user "${authid}" is configured`, authid);
  return matches ? welcome() : fail('wrong signature (wrong secret)', authid);
}

const noAuthid: Failure = {
  kind: 'fail',
  why: 'HELLO carried no authid',
  refusal: { reason: ErrorUri.authenticationFailed, message: 'wampcra needs an authid in HELLO' },
};

/**
 * WAMP-CRA against users from the config. A client naming an unknown user gets a decoy challenge
 * shaped like a real one (role and salting of the first configured user, a salt that stays the
 * same for the same authid), so the CHALLENGE does not tell whether the user exists.
 */
export function staticWampCra(users: Record<string, CraUser>): AuthMethod {
  const byAuthid = new Map(Object.entries(users));
  const keys = new Map<string, Promise<string>>();
  const template = byAuthid.values().next().value as CraUser | undefined;
  const decoySaltKey = randomBytes(32);

  const keyFor = (authid: string, user: CraUser): Promise<string> => {
    let key = keys.get(authid);
    if (!key) {
      key = keyOf(user.secret, saltingOf(user));
      keys.set(authid, key);
    }
    return key;
  };
  const decoySalting = (authid: string): Salting | undefined => {
    const salting = template && saltingOf(template);
    if (!salting) return undefined;
    const salt = createHmac('sha256', decoySaltKey).update(authid).digest('base64').slice(0, Math.max(salting.salt.length, 8));
    return { ...salting, salt };
  };

  return {
    name: method,
    async begin(request) {
      const authid = requestedAuthid(request);
      if (authid === undefined) return noAuthid;
      const user = byAuthid.get(authid);
      const authrole = user?.role ?? template?.role ?? 'anonymous';
      const salting = user ? saltingOf(user) : decoySalting(authid);
      const extra = challengeExtra(request, { authid, authrole, authprovider: 'static' }, salting);
      const expected = user ? signCraChallenge(await keyFor(authid, user), extra.challenge as string) : undefined;
      return {
        kind: 'challenge',
        extra,
        verify: (answer) => checked(answer.signature, expected, authid, () => ({
          kind: 'welcome',
          identity: { authid, authrole, authmethod: method, authprovider: 'static' },
        })),
      };
    },
  };
}

/**
 * WAMP-CRA with the secret from an application procedure: at HELLO the authenticator gets
 * (realm, authid, details) and answers with {secret, role} (plus salt, iterations, keylen when
 * the secret is salted, and optionally authid, realm, extra); the router then challenges.
 */
export function dynamicWampCra(authenticator: DynamicAuthenticator): AuthMethod {
  return {
    name: method,
    async begin(request) {
      const claimed = requestedAuthid(request);
      const result = await authenticator.ask(request);
      if (isFailure(result)) return result;
      const principal: Principal = result.principal;
      if (principal.secret === undefined) return fail('the authenticator answered without a "secret"', claimed);
      const identity = identityOf(principal, { method, provider: authenticator.provider, claimedAuthid: claimed });
      if (isFailure(identity)) return identity;
      const salting = saltingOf(principal);
      const extra = challengeExtra(request, identity, salting);
      const expected = signCraChallenge(await keyOf(principal.secret, salting), extra.challenge as string);
      return {
        kind: 'challenge',
        extra,
        verify: (answer) => checked(answer.signature, expected, identity.authid, () => ({ kind: 'welcome', identity })),
      };
    },
  };
}
