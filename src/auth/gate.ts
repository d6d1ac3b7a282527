import { ErrorUri } from '../protocol/errors.js';
import type { Authenticate } from '../protocol/messages.js';
import type { AuthGate, AuthOutcome, AuthRequest } from '../router/hooks.js';
import { clipped, silentLogger, type Logger } from '../router/log.js';
import { defaultChallengeTimeoutMs } from './sign-in-defaults.js';
import { authidProblem, requestedAuthid, type AuthMethod, type ConnectionMethod, type Failure, type MethodOutcome, type NotApplicable, type SignInObserver } from './method.js';
import { refusedRouteMessage, type ProxyBackend } from './proxy-backend.js';
import { routeRefusal, type SignInRoutes } from './routes.js';
import type { SignInTally } from './sign-in-tally.js';
import { addressOf, SignInThrottle } from './throttle.js';

export interface GateOptions {
  /** The methods configured on this transport. */
  methods: (AuthMethod | ConnectionMethod)[];
  /** Shared by every transport of a node, so that an address cannot switch transports to retry. */
  throttle?: SignInThrottle;
  /** Where sign-ins are counted by method and outcome (the node's metrics read it). */
  tally?: SignInTally;
  log?: Logger;
  /** A CHALLENGE answered later than this (ms) fails. Default 60 s. */
  challengeTimeoutMs?: number;
  /**
   * Whether `role` exists in `realm`. A client signed in to a role its realm does not define is
   * refused with wamp.error.no_such_role (the role "anonymous" is always accepted, as Crossbar does).
   */
  roleExists?: (realm: string, role: string) => boolean;
  /** A proxy worker's routes: a sign-in must end in one of them (absent: any realm and role). */
  routes?: SignInRoutes;
  /** The backend authenticators of those routes, which may still refuse a routed sign-in. */
  proxyBackend?: ProxyBackend;
  /** Told about every successful sign-in and every client GOODBYE (the cookie binding). */
  observer?: SignInObserver;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** What every authentication failure tells the client: nothing about which part was wrong. */
export const genericRefusal = { reason: ErrorUri.authenticationFailed, message: 'authentication failed' } as const;

const throttledRefusal = {
  reason: ErrorUri.authenticationFailed,
  message: 'too many failed sign-in attempts from this address; try again later',
} as const;

/** The HELLO's requested auth methods; an absent list means the client accepts anonymous. */
export function requestedAuthMethods(request: AuthRequest): string[] {
  const methods = request.details.authmethods;
  return Array.isArray(methods) ? methods.filter((m): m is string => typeof m === 'string') : ['anonymous'];
}

/**
 * The sign-in gate of one transport: takes the first method in the client's HELLO.authmethods
 * order that the transport offers, runs it, and turns its failures into refusals that give
 * nothing away, while the log gets the reason and the peer address. Repeat offenders are
 * throttled per IP address; a challenge can be answered once, and only in time.
 */
export function authGate(options: GateOptions): AuthGate {
  const offered = options.methods.map((method) => method.name).join(', ') || 'none';
  // By every name a client may list: a method's own and its aliases.
  const methods = new Map(options.methods.flatMap((method) => [method.name, ...('aliases' in method ? method.aliases ?? [] : [])].map((name) => [name, method] as const)));
  const log = options.log ?? silentLogger;
  const throttle = options.throttle ?? new SignInThrottle();
  const challengeTimeoutMs = options.challengeTimeoutMs ?? defaultChallengeTimeoutMs;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const roleExists = options.roleExists ?? (() => true);

  return {
    async hello(request: AuthRequest): Promise<AuthOutcome> {
      const peer = request.transport.peer;
      const address = addressOf(peer);
      const requested = requestedAuthMethods(request);
      // Each method once, under the first name the client listed it by (its CHALLENGE says that name).
      const asked = new Map<AuthMethod | ConnectionMethod, string>();
      for (const name of requested) {
        const found = methods.get(name);
        if (found !== undefined && !asked.has(found)) asked.set(found, name);
      }
      const candidates = [...asked.keys()];
      // A method decided by the connection (cookie) goes first; the client's order decides the rest.
      candidates.sort((a, b) => Number('byConnection' in b) - Number('byConnection' in a));
      if (candidates.length === 0) {
        return {
          kind: 'deny',
          reason: ErrorUri.noAuthMethod,
          message: `none of the requested authentication methods (${requested.join(', ') || 'none'}) is offered here (offered: ${offered})`,
        };
      }

      const tooLong = authidProblem(request);
      if (tooLong !== undefined) {
        // Counted under the first method it asked for: no method ever sees it.
        options.tally?.count(candidates[0]!.name, 'refused');
        log.warn({ peer, realm: clipped(request.realm), authid: clipped(requestedAuthid(request)) }, 'sign-in refused: its authid is too long');
        return { kind: 'deny', reason: ErrorUri.invalidArgument, message: tooLong };
      }

      const admission = throttle.admit(address);
      if ('refused' in admission) {
        log.warn({ peer, realm: clipped(request.realm), authmethod: candidates[0]!.name }, 'sign-in refused: too many recent failures from this address');
        return { kind: 'deny', ...throttledRefusal };
      }
      if (admission.wait > 0) {
        log.warn({ peer, realm: clipped(request.realm), waitMs: admission.wait }, 'slowing down sign-in from an address with repeated failures');
        await sleep(admission.wait);
      }

      let method!: AuthMethod | ConnectionMethod;
      let first: MethodOutcome | undefined;
      for (const candidate of candidates) {
        const outcome = await attempt(() => candidate.begin(request));
        if (outcome.kind === 'pass') continue;
        method = candidate;
        first = outcome;
        break;
      }
      if (first === undefined) {
        return {
          kind: 'deny',
          reason: ErrorUri.noAuthMethod,
          message: `none of the requested authentication methods (${requested.join(', ')}) could sign in this connection (offered: ${offered})`,
        };
      }

      const failed = (failure: Failure): AuthOutcome => {
        throttle.failed(address);
        options.tally?.count(method.name, 'refused');
        log.warn({ peer, realm: clipped(request.realm), authmethod: method.name, authid: clipped(failure.authid ?? requestedAuthid(request)), why: clipped(failure.why) }, 'authentication failed');
        return { kind: 'deny', ...(failure.refusal ?? genericRefusal) };
      };

      const settle = async (outcome: MethodOutcome): Promise<AuthOutcome> => {
        switch (outcome.kind) {
          case 'fail':
            return failed(outcome);
          case 'welcome': {
            const { identity } = outcome;
            const realm = identity.realm ?? request.realm;
            if (realm === null) {
              options.tally?.count(method.name, 'refused');
              return { kind: 'deny', reason: ErrorUri.noSuchRealm, message: 'no realm requested, and the sign-in assigned none' };
            }
            const unrouted = options.routes && routeRefusal(options.routes, realm, identity.authrole);
            if (unrouted) {
              log.warn({ peer, realm: clipped(realm), authid: clipped(identity.authid), authrole: clipped(identity.authrole) }, 'signed in outside the proxy routes; refusing');
              options.tally?.count(method.name, 'refused');
              return { kind: 'deny', ...unrouted };
            }
            if (identity.authrole !== 'anonymous' && !roleExists(realm, identity.authrole)) {
              log.warn({ peer, realm: clipped(realm), authid: clipped(identity.authid), authrole: clipped(identity.authrole) }, 'signed in to a role the realm does not define; refusing');
              options.tally?.count(method.name, 'refused');
              return { kind: 'deny', reason: ErrorUri.noSuchRole, message: `realm "${realm}" has no role "${clipped(identity.authrole)}"` };
            }
            const backend = await options.proxyBackend?.check(request, identity, realm);
            if (backend?.kind === 'refused') {
              // The route's fault, not the client's: no throttling.
              log.warn({ peer, realm: clipped(realm), authid: clipped(identity.authid), authrole: clipped(identity.authrole), why: backend.why }, 'the proxy route leads to a router transport that refuses its sessions; refusing');
              options.tally?.count(method.name, 'refused');
              return { kind: 'deny', reason: ErrorUri.authenticationFailed, message: refusedRouteMessage(realm, identity.authrole) };
            }
            if (backend) return failed({ ...backend, why: `the proxy backend refused: ${backend.why}` });
            options.tally?.count(method.name, 'welcome');
            options.observer?.signedIn(request, identity);
            return outcome;
          }
          case 'challenge': {
            const issuedAt = now();
            let answered = false;
            return {
              kind: 'challenge',
              authMethod: asked.get(method)!,
              extra: outcome.extra,
              verify: async (answer: Authenticate): Promise<AuthOutcome> => {
                if (answered) return failed({ kind: 'fail', why: 'the challenge was already answered (replay)' });
                answered = true;
                if (now() - issuedAt > challengeTimeoutMs) {
                  return failed({ kind: 'fail', why: `the challenge was answered after ${now() - issuedAt} ms (limit ${challengeTimeoutMs} ms)` });
                }
                return settle(await attempt(() => outcome.verify(answer)));
              },
            };
          }
        }
      };

      return settle(first);
    },
    ...(options.observer === undefined ? {} : { left: options.observer.left.bind(options.observer) }),
  };
}

/** Runs a method step; a method that throws fails closed. */
async function attempt<T extends MethodOutcome | NotApplicable>(step: () => T | Promise<T>): Promise<T | Failure> {
  try {
    return await step();
  } catch (error) {
    return { kind: 'fail', why: `internal error: ${(error as Error).message}` };
  }
}
