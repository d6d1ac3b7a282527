import type { Authenticate, Dict } from '../protocol/messages.js';
import type { AuthRequest, Identity } from '../router/hooks.js';
import type { TransportInfo } from '../router/peer.js';

/**
 * One authentication method as configured on one transport (anonymous, ticket, wampcra,
 * cryptosign; static or dynamic). Methods only decide; the gate (gate.ts) picks the method,
 * logs failures, throttles repeat offenders and turns every failure into a refusal that gives
 * nothing away.
 */
export interface AuthMethod {
  /** The WAMP authmethod name the client lists in HELLO.Details.authmethods. */
  readonly name: string;
  /** Other names real clients list it under: its CHALLENGE then names it as the client did (the session's authmethod stays `name`). */
  readonly aliases?: readonly string[];
  begin(request: AuthRequest): MethodOutcome | Promise<MethodOutcome>;
}

/**
 * A method decided by the connection itself, without asking the client (cookie): tried before
 * the client's other methods whenever the client lists it, wherever in its list (as Crossbar);
 * when it cannot decide, the gate goes on with the client's other methods.
 */
export interface ConnectionMethod {
  readonly name: string;
  readonly byConnection: true;
  /** May wait on a shared store (Redis). */
  begin(request: AuthRequest): Welcome | NotApplicable | Promise<Welcome | NotApplicable>;
}

/** The method cannot decide this client (no cookie came): the gate tries the client's next method. */
export interface NotApplicable {
  kind: 'pass';
}

/** Told about sign-ins and departures on a gate's transport (cookie binding: auth/cookie). */
export interface SignInObserver {
  /** A sign-in succeeded; WELCOME follows. */
  signedIn(request: AuthRequest, identity: Identity): void;
  /** An established session's client said GOODBYE with `reason`. */
  left(transport: TransportInfo, reason: string): void;
}

export type MethodOutcome = Welcome | Challenge | Failure;

export interface Welcome {
  kind: 'welcome';
  identity: Identity;
}

export interface Challenge {
  kind: 'challenge';
  /** CHALLENGE.Extra. */
  extra: Dict;
  /** Checks the AUTHENTICATE answer. The gate calls it at most once per challenge. */
  verify(answer: Authenticate): MethodOutcome | Promise<MethodOutcome>;
}

/**
 * Authentication did not succeed. `why` goes to the log only (it may say that a user does not
 * exist); the client gets `refusal` when there is one, else the generic authentication_failed.
 */
export interface Failure {
  kind: 'fail';
  why: string;
  /** The authid the client claimed, for the log line. */
  authid?: string;
  /** A refusal that reveals nothing about credentials (a client mistake, a missing role...). */
  refusal?: { reason: string; message: string };
}

export function fail(why: string, authid?: string): Failure {
  return { kind: 'fail', why, authid };
}

/**
 * The longest HELLO authid the router takes (characters), as for URIs (protocol/uri.ts): the spec,
 * Crossbar and autobahn set none, but an authid is held by the session, handed to authenticators
 * (dynamic ones get it in a call) and named in log lines. Far beyond any name, key or certificate
 * subject in use.
 */
export const maxAuthidLength = 4_096;

/** Why a HELLO's authid is refused before any method sees it, or undefined when it is fine. */
export function authidProblem(request: AuthRequest): string | undefined {
  const authid = request.details.authid;
  if (typeof authid !== 'string' || authid.length <= maxAuthidLength) return undefined;
  return `HELLO authid is ${authid.length} characters long; the limit is ${maxAuthidLength}`;
}

/** HELLO.Details.authid when it is a non-empty string. */
export function requestedAuthid(request: AuthRequest): string | undefined {
  const authid = request.details.authid;
  return typeof authid === 'string' && authid !== '' ? authid : undefined;
}

/** HELLO.Details.authextra when it is a dict. */
export function requestedAuthextra(request: AuthRequest): Dict | undefined {
  const extra = request.details.authextra;
  return typeof extra === 'object' && extra !== null && !Array.isArray(extra) ? (extra as Dict) : undefined;
}
