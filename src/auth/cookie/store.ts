import type { Dict } from '../../protocol/messages.js';
import { isDict } from '../../protocol/parse.js';

/**
 * Who a cookie signs in: the identity of the sign-in that bound it (Crossbar's authid, authrole,
 * authmethod, realm and authextra), given again to every later connection that sends the cookie.
 */
export interface CookieBinding {
  authid: string;
  authrole: string;
  /** The method of the sign-in that bound it (WELCOME of a cookie sign-in repeats it, as Crossbar). */
  authmethod: string;
  realm: string;
  authextra?: Dict;
}

/**
 * A cookie that signed somebody in, under the hash of its value (token.ts). Only bound cookies
 * are stored: a connection that never signs in leaves nothing behind, so only successful
 * sign-ins can fill the store.
 */
export interface CookieEntry {
  /** Milliseconds since the epoch: when the browser drops the cookie (issued + max_age); the store forgets it then too. */
  expires: number;
  binding: CookieBinding;
}

/**
 * Where a transport's cookies live: memory (lost on restart, one process), a file (lmdb, kept
 * across restarts and shared by the processes of `--workers`) or Redis (shared by the nodes of a
 * cluster). Local stores read at once (lmdb reads from its memory map); Redis answers later.
 * Writes may finish later, and their failures are logged by the store.
 */
export interface CookieStore {
  /**
   * The live entry under `key`; an expired one is forgotten and reads as absent. A store that
   * cannot answer now (Redis away) rejects: the cookie is then neither known nor unknown.
   */
  get(key: string, now: number): CookieEntry | undefined | Promise<CookieEntry | undefined>;
  /** Adds or replaces an entry; a full store first drops expired entries, then its oldest. */
  put(key: string, entry: CookieEntry, now: number): void;
  /** Forgets an entry (logout). */
  forget(key: string): void;
  /** A logout on another process or node: a copy of the entry kept in this process (Redis's recent reads) is dropped. */
  forgottenElsewhere?(key: string): void;
  readonly size: number;
  /** Entries dropped to make room, for the metric (expired ones are not counted). */
  readonly evicted: number;
  /** The bound on entries; a config reload may change it (a smaller one takes effect at the next put). */
  maxEntries: number;
  close(): Promise<void>;
}

/**
 * An entry from its JSON text (a shared store's copy, which another process or a person may have
 * written), or undefined when it is not one: unparseable, or not of an entry's shape (cookieEntryOf).
 */
export function parseCookieEntry(json: string): CookieEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  return cookieEntryOf(value);
}

/** `value` as an entry read back from a shared store, or undefined when it is not one: no numeric expiry, or a binding without its strings. */
export function cookieEntryOf(value: unknown): CookieEntry | undefined {
  if (!isDict(value) || typeof value.expires !== 'number' || !isDict(value.binding)) return undefined;
  const { authid, authrole, authmethod, realm, authextra } = value.binding;
  const strings = [authid, authrole, authmethod, realm].every((field) => typeof field === 'string');
  return strings && (authextra === undefined || isDict(authextra)) ? (value as unknown as CookieEntry) : undefined;
}

/** A store in this process or on this machine, which answers reads at once. */
export interface LocalCookieStore extends CookieStore {
  get(key: string, now: number): CookieEntry | undefined;
}

export function isLive(entry: CookieEntry | undefined, now: number): entry is CookieEntry {
  return entry !== undefined && entry.expires > now;
}

/**
 * Cookies in a Map, in the order they were handed out; as every cookie lives `max_age`, that is
 * also (nearly: a rebinding keeps its cookie's expiry) the order they expire in. At `maxEntries` the oldest goes first: expired ones are simply
 * dropped, a live one is counted as evicted (its browser signs in with its other methods again).
 */
export class MemoryCookieStore implements LocalCookieStore {
  private readonly entries = new Map<string, CookieEntry>();
  private evictions = 0;

  /** `onEvicted` is told each time a live entry is dropped for room (the node warns, throttled). */
  constructor(public maxEntries: number, private readonly onEvicted: () => void = () => {}) {}

  get(key: string, now: number): CookieEntry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || isLive(entry, now)) return entry;
    this.entries.delete(key);
    return undefined;
  }

  put(key: string, entry: CookieEntry, now: number): void {
    this.entries.delete(key);
    this.dropExpired(now);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value!;
      this.entries.delete(oldest);
      this.evictions++;
      this.onEvicted();
    }
    this.entries.set(key, entry);
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  get evicted(): number {
    return this.evictions;
  }

  close(): Promise<void> {
    this.entries.clear();
    return Promise.resolve();
  }

  /** From the oldest: stops at the first live entry, as all later ones expire later. */
  private dropExpired(now: number): void {
    for (const [key, entry] of this.entries) {
      if (isLive(entry, now)) return;
      this.entries.delete(key);
    }
  }
}
