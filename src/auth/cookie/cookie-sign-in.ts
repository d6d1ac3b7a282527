import type { AuthRequest, Identity } from '../../router/hooks.js';
import type { TransportInfo } from '../../router/peer.js';
import type { ConnectionMethod, NotApplicable, SignInObserver, Welcome } from '../method.js';
import { CookiesPerIdentity, identityOf } from './per-identity.js';
import type { CookieEntry, CookieStore } from './store.js';
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
export type CookieSkip = 'no_cookie' | 'unknown' | 'cross_site' | 'other_realm' | 'logged_out' | 'store_unavailable';

export interface CookieSettings {
  /** The cookie's lifetime (Max-Age), in ms; the store forgets a cookie when its browser does. */
  maxAgeMs: number;
  /** Characters of a new token (at least minTokenLength). */
  length: number;
  /** Cookies one identity (realm, authid) keeps bound by this process; a further binding drops its oldest. */
  maxPerAuthid: number;
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
  /** The store could not say whether the cookie brought is bound (Redis away): it is kept, and neither signs in nor binds. */
  readonly storeAway: boolean;
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

/** A visit that carries no cookie of ours (a cross-site page, or a cookie the store could not look up). */
function cookieless(why: 'crossSite' | 'storeAway'): CookieVisit {
  return { key: undefined, expires: 0, unknownCookie: false, crossSite: why === 'crossSite', storeAway: why === 'storeAway', loggedOut: false };
}

/**
 * The cookie sign-in of one WebSocket path, kept across config reloads that leave its store as
 * it was (node/web/cookie-jars.ts): its store, the connections by cookie, and the counts.
 */
export class CookieSignIn implements SignInObserver {
  /** Connections by the key of the cookie they carry: a logout closes the others. */
  private readonly visits = new Map<string, Set<CookieVisit>>();
  /** For the metrics (sign-ins by cookie are counted with every method's, in the gate's tally). */
  bindings = 0;
  logouts = 0;
  /** Live cookies dropped because their identity had bound settings.maxPerAuthid newer ones. */
  replaced = 0;
  readonly skipped = new Map<CookieSkip, number>();
  private readonly perIdentity = new CookiesPerIdentity();
  /** Told of each logout here, to end the cookie's connections on the other processes and nodes (loggedOutElsewhere). */
  onLogout: (key: string) => void = () => {};

  constructor(
    private readonly store: CookieStore,
    /** A config reload may change them (new cookies follow them; given ones keep theirs). */
    public settings: CookieSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * At the upgrade: the visit of a connection that brought `token` (the cookie's value, if any)
   * and, when it needs one, a new token for the Set-Cookie header. A cross-site page gets no
   * cookie and is signed in by none; nor is a connection whose cookie the store cannot look up
   * now, which keeps its cookie (it may be bound: the browser must not lose it).
   */
  async arrive(token: string | undefined, crossSite: boolean): Promise<{ visit: CookieVisit; newToken?: string }> {
    const now = this.now();
    if (crossSite) return { visit: cookieless('crossSite') };
    if (token !== undefined && looksLikeToken(token)) {
      const key = tokenKey(token);
      const entry = await this.lookUp(key, now);
      if (entry === 'away') return { visit: cookieless('storeAway') };
      if (entry) return { visit: { key, expires: entry.expires, unknownCookie: false, crossSite, storeAway: false, loggedOut: false } };
    }
    const fresh = newToken(this.settings.length);
    return {
      visit: { key: tokenKey(fresh), expires: now + this.settings.maxAgeMs, unknownCookie: token !== undefined, crossSite, storeAway: false, loggedOut: false },
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
    const realm = identity.realm ?? request.realm;
    if (realm === null) return; // the gate refuses such a sign-in
    const binding = { authid: identity.authid, authrole: identity.authrole, authmethod: identity.authmethod, realm };
    const now = this.now();
    // Its own oldest go first, before the put: a full store then need not drop somebody else's.
    for (const key of this.perIdentity.bind(identityOf(binding.realm, binding.authid), visit.key, visit.expires, now, this.settings.maxPerAuthid, this.store.maxEntries)) {
      this.store.forget(key);
      this.replaced++;
    }
    this.store.put(visit.key, { expires: visit.expires, binding: identity.authextra ? { ...binding, authextra: identity.authextra } : binding }, now);
    this.bindings++;
  }

  left(transport: TransportInfo, reason: string): void {
    if (reason !== logoutReason) return;
    const visit = visitOf(transport);
    if (visit?.key === undefined || visit.loggedOut) return;
    this.logouts++;
    this.store.forget(visit.key);
    this.perIdentity.remove(visit.key);
    this.endVisits(visit.key, visit);
    this.onLogout(visit.key);
  }

  /** A logout on another process or node: this one's connections with the cookie end too. */
  loggedOutElsewhere(key: string): void {
    this.store.forgottenElsewhere?.(key);
    this.perIdentity.remove(key);
    this.endVisits(key, undefined);
  }

  private endVisits(key: string, except: CookieVisit | undefined): void {
    for (const other of this.visits.get(key) ?? []) {
      other.loggedOut = true;
      if (other !== except) other.close?.();
    }
  }

  private async begin(request: AuthRequest): Promise<Welcome | NotApplicable> {
    const visit = visitOf(request.transport);
    const entry = visit?.key === undefined || visit.loggedOut ? undefined : await this.lookUp(visit.key, this.now());
    if (entry === 'away') return this.skip('store_unavailable');
    if (!visit || !entry) return this.skip(skipReason(visit));
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

  /** The store's entry, or 'away' when it cannot answer now (it logs and counts that itself). */
  private async lookUp(key: string, now: number): Promise<CookieEntry | undefined | 'away'> {
    try {
      return await this.store.get(key, now);
    } catch {
      return 'away';
    }
  }

  private skip(reason: CookieSkip): NotApplicable {
    this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + 1);
    return { kind: 'pass' };
  }
}

/** Why a connection without a usable binding was not signed in by its cookie. */
function skipReason(visit: CookieVisit | undefined): CookieSkip {
  if (visit === undefined) return 'no_cookie';
  if (visit.crossSite) return 'cross_site';
  if (visit.storeAway) return 'store_unavailable';
  if (visit.loggedOut) return 'logged_out';
  return visit.unknownCookie ? 'unknown' : 'no_cookie';
}

