import type { Kwargs } from '../types.js';

/** How the client authenticates; the method decides what goes in HELLO and how CHALLENGE is answered. */
export type AuthOptions = AnonymousAuth | TicketAuth | WampCraAuth | CryptosignAuth | ScramAuth | CustomAuth;

export interface AnonymousAuth {
  method: 'anonymous';
  authid?: string;
}

export interface TicketAuth {
  method: 'ticket';
  authid: string;
  /** The ticket, or a function that fetches a fresh one on each (re)connect. */
  ticket: string | (() => string | Promise<string>);
}

/** WAMP-CRA; a salted challenge (salt, iterations, keylen) derives the key with PBKDF2 as AutobahnJS does. */
export interface WampCraAuth {
  method: 'wampcra';
  authid: string;
  secret: string;
}

export interface CryptosignAuth {
  method: 'cryptosign';
  authid?: string;
  /** The Ed25519 private key: its 32-byte seed, as bytes or 64 hex digits. */
  privateKey: string | Uint8Array;
}

/**
 * WAMP-SCRAM: the client proves it knows the password without sending it, and the router proves
 * it holds the principal's keys (WELCOME's server signature, checked before the session opens).
 */
export interface ScramAuth {
  method: 'scram';
  authid: string;
  /** The password; its key derivation (Argon2id or PBKDF2, as the router's CHALLENGE says) runs on the client. */
  password?: string;
  /**
   * The key derivation's output for this principal, 32 bytes (or 64 hex digits), from
   * `onSaltedPassword` at an earlier sign-in: used instead of `password`, so no Argon2 runs.
   */
  saltedPassword?: string | Uint8Array;
  /** Called with the salted password (hex) after a sign-in that derived it from `password` and verified the router. */
  onSaltedPassword?(saltedPassword: string): void;
  /**
   * The most work a router's CHALLENGE may ask the password's key derivation to do (a hostile
   * router could ask for any): past one of these the client aborts the sign-in. Each one not
   * given keeps its default (`scramKdfLimitDefaults`).
   */
  kdfLimits?: Partial<ScramKdfLimits>;
}

export interface ScramKdfLimits {
  /** Argon2id's memory cost, KiB. */
  argon2MemoryKiB: number;
  /** Argon2id's time cost (passes over that memory). */
  argon2Iterations: number;
  /** PBKDF2-HMAC-SHA256's iteration count. */
  pbkdf2Iterations: number;
}

/** Any method: the app answers the router's challenge itself. */
export interface CustomAuth {
  method: 'custom';
  authmethods: string[];
  authid?: string;
  authextra?: Kwargs;
  onChallenge(method: string, extra: Kwargs): string | Promise<string>;
}

/** What one handshake needs from an auth method: HELLO details, answers to challenges, a check of WELCOME. */
export interface Authenticator {
  authmethods: string[];
  authid?: string | undefined;
  authextra?: Kwargs | undefined;
  /** Answers a CHALLENGE for one of `authmethods` (the handshake refuses others). */
  respond(method: string, extra: Kwargs): Promise<string>;
  /** Checks WELCOME.Details before the session is handed over (SCRAM's server signature); throws to refuse it. */
  welcomed?(details: Kwargs): Promise<void>;
}
