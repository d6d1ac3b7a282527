import type { AuthRequest, Identity } from '../../router/hooks.js';
import type { TransportInfo } from '../../router/peer.js';
import type { ConnectionMethod, NotApplicable, SignInObserver, Welcome } from '../method.js';
import type { CookieStore } from './store.js';
import { looksLikeToken, newToken, tokenKey } from './token.js';

/**
 * Cookie authentication (Crossbar's `auth.cookie` with a transport `cookie` block), for one
 * WebSocket path. The upgrade hands out a random token as a cookie unless the browser brought a
 * live one; a later sign-in by another method on that connection binds the cookie to its
 * identity; a connection that brings a bound cookie and lists "cookie" in HELLO.authmethods is
 * signed in with that identity (WELCOME repeats the binding's authmethod, authprovider "cookie");
 * GOODBYE with wamp.close.logout forgets the cookie and closes this path's other connections
 * that carry it. The store never sees a token, only its hash.
 */

/** Why a cookie sign-in did not happen (the client's other methods were tried): the metric's reasons. */
export type CookieSkip = 'no_cookie' | 'unknown' | 'cross_site' | 'other_realm' | 'logged_out';

export interface CookieSettings {
  /** The cookie's lifetime (Max-Age), in ms; the store forgets a cookie when its browser does. */
  maxAgeMs: number;
  /** Characters of a new token (at least minTokenLength). */
  length: number;
}

/** What one connection carries; kept on its TransportInfo.extra under a symbol, never shown. */
export interface CookieVisit {
  /** The store key (hash) of the cookie the connection brought or was given; undefined for a cross-site page. */
  readonly key: string | undefined;
  /** When that cookie expires: a live one's entry, or now + max_age for a new one. */
  readonly expires: number;
  /** The connection brought a cookie we do not know (forged, expired, forgotten, evicted). */
  readonly unknownCookie: boolean;
  /** The connection's Origin is neither its own host nor listed in allowed_origins. */
  readonly crossSite: boolean;
  /** Set by a logout: the cookie binds and signs in nobody any more. */
  loggedOut: boolean;
  /** Closes the connection (a logout on another connection with the same cookie); set once it is open. */
  close?: () => void;
}

const visitKey = Symbol('cookie visit');

/** The connection's visit, if the path tracks cookies. */
export function visitOf(transport: TransportInfo): CookieVisit | undefined {
  return (transport.extra as { [visitKey]?: CookieVisit } | undefined)?.[visitKey];
}

/** Attaches a visit to a connection's own `extra` (not enumerable: no view, log or codec sees it). */
export function withVisit<T extends object>(extra: T, visit: CookieVisit): T {
  return Object.defineProperty(extra, visitKey, { value: visit, enumerable: false });
}

const logoutReason = 'wamp.close.logout';

export class CookieSignIn implements SignInObserver {
  /** Connections by the key of the cookie they carry: a logout closes the others. */
  private readonly visits = new Map<string, Set<CookieVisit>>();
  /** For the metrics (sign-ins by cookie are counted with every method's, in the gate's tally). */
  bindings = 0;
  logouts = 0;
  readonly skipped = new Map<CookieSkip, number>();

  constructor(
    private readonly store: CookieStore,
    private readonly settings: CookieSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * At the upgrade: the visit of a connection that brought `token` (the cookie's value, if any)
   * and, when it needs one, a new token for the Set-Cookie header. A cross-site page gets no
   * cookie and is signed in by none.
   */
  arrive(token: string | undefined, crossSite: boolean): { visit: CookieVisit; newToken?: string } {
    const now = this.now();
    if (crossSite) return { visit: { key: undefined, expires: 0, unknownCookie: false, crossSite, loggedOut: false } };
    if (token !== undefined && looksLikeToken(token)) {
      const key = tokenKey(token);
      const entry = this.store.get(key, now);
      if (entry) return { visit: { key, expires: entry.expires, unknownCookie: false, crossSite, loggedOut: false } };
    }
    const fresh = newToken(this.settings.length);
    return {
      visit: { key: tokenKey(fresh), expires: now + this.settings.maxAgeMs, unknownCookie: token !== undefined, crossSite, loggedOut: false },
      newToken: fresh,
    };
  }

  /** The connection is open; a logout on another one with the same cookie calls `close`. */
  opened(visit: CookieVisit, close: () => void): void {
    if (visit.key === undefined) return;
    visit.close = close;
    let same = this.visits.get(visit.key);
    if (!same) this.visits.set(visit.key, (same = new Set()));
    same.add(visit);
  }

  closed(visit: CookieVisit): void {
    if (visit.key === undefined) return;
    const same = this.visits.get(visit.key);
    if (!same) return;
    same.delete(visit);
    if (same.size === 0) this.visits.delete(visit.key);
  }

  /** Entries of the store (the gauge). */
  get storeSize(): number {
    return this.store.size;
  }

  get evicted(): number {
    return this.store.evicted;
  }

  /** The "cookie" authentication method of this path. */
  method(): ConnectionMethod {
    return { name: 'cookie', byConnection: true, begin: (request) => this.begin(request) };
  }

  signedIn(request: AuthRequest, identity: Identity): void {
    if (identity.authprovider === 'cookie') return;
    // Only a sign-in that proved something binds: an anonymous one would let any page fill the store.
    if (identity.authmethod === 'anonymous') return;
    const visit = visitOf(request.transport);
    if (visit?.key === undefined || visit.loggedOut) return;
    const binding = { authid: identity.authid, authrole: identity.authrole, authmethod: identity.authmethod, realm: identity.realm ?? request.realm };
    this.store.put(visit.key, { expires: visit.expires, binding: identity.authextra ? { ...binding, authextra: identity.authextra } : binding }, this.now());
    this.bindings++;
  }

  left(transport: TransportInfo, reason: string): void {
    if (reason !== logoutReason) return;
    const visit = visitOf(transport);
    if (visit?.key === undefined || visit.loggedOut) return;
    this.logouts++;
    this.store.forget(visit.key);
    for (const other of this.visits.get(visit.key) ?? []) {
      other.loggedOut = true;
      if (other !== visit) other.close?.();
    }
  }

  private begin(request: AuthRequest): Welcome | NotApplicable {
    const visit = visitOf(request.transport);
    const entry = visit?.key === undefined || visit.loggedOut ? undefined : this.store.get(visit.key, this.now());
    if (!visit || !entry) return this.skip(visit === undefined ? 'no_cookie' : visit.crossSite ? 'cross_site' : visit.loggedOut ? 'logged_out' : visit.unknownCookie ? 'unknown' : 'no_cookie');
    const { binding } = entry;
    // Stricter than Crossbar, which moves the session to the bound realm whatever HELLO asked for.
    if (binding.realm !== request.realm) return this.skip('other_realm');
    return {
      kind: 'welcome',
      identity: {
        authid: binding.authid, authrole: binding.authrole, authmethod: binding.authmethod, authprovider: 'cookie',
        realm: binding.realm, ...(binding.authextra ? { authextra: binding.authextra } : {}),
      },
    };
  }

  private skip(reason: CookieSkip): NotApplicable {
    this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + 1);
    return { kind: 'pass' };
  }
}

