import type { Kwargs } from '../types.js';

/** How the client authenticates; the method decides what goes in HELLO and how CHALLENGE is answered. */
export type AuthOptions = AnonymousAuth | TicketAuth | WampCraAuth | CryptosignAuth | CustomAuth;

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

/** Any method: the app answers the router's challenge itself. */
export interface CustomAuth {
  method: 'custom';
  authmethods: string[];
  authid?: string;
  authextra?: Kwargs;
  onChallenge(method: string, extra: Kwargs): string | Promise<string>;
}

/** What the handshake needs from an auth method: HELLO details, and answers to challenges. */
export interface Authenticator {
  authmethods: string[];
  authid?: string | undefined;
  authextra?: Kwargs | undefined;
  respond(method: string, extra: Kwargs): Promise<string>;
}
