import type { Authenticate, Dict } from '../protocol/messages.js';
import type { TransportInfo } from './peer.js';

/** Who a session is, once authenticated. Appears in WELCOME and in the meta API. */
export interface Identity {
  authid: string;
  authrole: string;
  authmethod: string;
  authprovider: string;
  authextra?: Dict;
  /** A dynamic authenticator may place the session in another realm than it asked for. */
  realm?: string;
}

/** A HELLO as the authentication step sees it. */
export interface AuthRequest {
  /** null: HELLO named no realm; the sign-in must place the session in one (Identity.realm). */
  realm: string | null;
  /** HELLO.Details: authmethods, authid, authextra... */
  details: Dict;
  transport: TransportInfo;
  /** The session ID that WELCOME will carry (challenges such as wampcra include it). */
  sessionId: number;
}

export type AuthOutcome =
  | { kind: 'welcome'; identity: Identity }
  | {
      kind: 'challenge';
      authMethod: string;
      extra: Dict;
      /** Checks the client's AUTHENTICATE; may challenge again or deny. */
      verify(answer: Authenticate): AuthOutcome | Promise<AuthOutcome>;
    }
  | { kind: 'deny'; reason: string; message: string };

/**
 * Decides how sessions on one transport sign in (anonymous, ticket, wampcra, cryptosign, dynamic).
 * One gate per transport, as the config gives each transport its own `auth`.
 */
export interface AuthGate {
  hello(request: AuthRequest): AuthOutcome | Promise<AuthOutcome>;
  /**
   * An established session's client said GOODBYE with `reason` (wamp.close.logout ends a cookie
   * sign-in: auth/cookie). Called before the GOODBYE is answered.
   */
  left?(transport: TransportInfo, reason: string): void;
}

export type Action = 'publish' | 'subscribe' | 'register' | 'call';

/** An authorization decision. `disclose` forces (true) or forbids (false) caller/publisher disclosure. */
export interface Decision {
  allow: boolean;
  disclose?: boolean;
}

/** The facts about a session an authorizer may use. */
export interface SessionFacts {
  session: number;
  realm: string;
  authid: string;
  authrole: string;
  authmethod: string;
  authprovider: string;
  authextra?: Dict;
}

/**
 * Authorizes every action of a realm's sessions. A synchronous answer keeps the hot path
 * synchronous; a Promise (a dynamic authorizer) makes the session wait, in order.
 */
export interface Authorizer {
  authorize(session: SessionFacts, action: Action, uri: string, options: Dict): Decision | Promise<Decision>;
}

/** Every session may do everything: the embedded development default. */
export const allowEverything: Authorizer = {
  authorize: () => ({ allow: true }),
};
