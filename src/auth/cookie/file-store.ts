import { open, type Database, type RootDatabase } from 'lmdb';
import type { Logger } from '../../router/log.js';
import { cookieEntryOf, isLive, type CookieEntry, type LocalCookieStore } from './store.js';

/** An entry with the key it is stored under (an import's unit). */
export interface KeyedCookieEntry {
  key: string;
  entry: CookieEntry;
}

/** What `importOnce` did: entries put, and those left out for want of room or as already present. */
export interface ImportResult {
  imported: number;
  noRoom: number;
  present: number;
}

/** The record that an import from a source is done. */
interface ImportRecord {
  at: number;
  imported: number;
}

/**
 * Cookies in an lmdb file: kept across restarts, and shared by every process that opens the same
 * file (the workers of `--workers`; lmdb locks for them). An expiry index (expires, key) finds
 * the expired and the oldest entries without a scan. Reads and writes are synchronous, each
 * entry and its index row in one transaction; a failed write is logged (the browser then signs
 * in with its other methods next time).
 */
export class FileCookieStore implements LocalCookieStore {
  private readonly env: RootDatabase;
  private readonly cookies: Database<CookieEntry, string>;
  private readonly byExpiry: Database<true, [number, string]>;
  private readonly imports: Database<ImportRecord, string>;
  private evictions = 0;

  /**
   * `onEvicted` is told each time a live entry is dropped for room (the node warns, throttled);
   * `onCorrupt`, with the key, each time an entry read is not one (another program, or a person, wrote the file).
   */
  constructor(
    path: string,
    public maxEntries: number,
    private readonly log: Logger,
    private readonly onEvicted: () => void = () => {},
    private readonly onCorrupt: (key: string) => void = () => {},
  ) {
    // Always a folder (data.mdb, lock.mdb): lmdb would take a path with an extension for a file.
    this.env = open({ path, noSubdir: false });
    this.cookies = this.env.openDB<CookieEntry, string>({ name: 'cookies' });
    this.byExpiry = this.env.openDB<true, [number, string]>({ name: 'expiry' });
    this.imports = this.env.openDB<ImportRecord, string>({ name: 'imports' });
  }

  /** Whether an import from `source` is recorded (it is then never repeated). */
  imported(source: string): boolean {
    this.env.resetReadTxn();
    return this.imports.get(source) !== undefined;
  }

  /**
   * Puts `entries` once per `source`: the import is recorded in the same transaction, so neither
   * a restart nor another worker repeats it. It fills only the room left under max_entries (the
   * latest-expiring first, evicting nothing) and keeps an entry already present (a newer binding).
   * Undefined when the import was already done, or could not be written (logged).
   */
  importOnce(source: string, entries: readonly KeyedCookieEntry[], now: number): ImportResult | undefined {
    let result: ImportResult | undefined;
    const written = this.write(() => {
      if (this.imports.get(source) !== undefined) return;
      const counts = { imported: 0, noRoom: 0, present: 0 };
      let room = this.maxEntries - this.count();
      for (const { key, entry } of [...entries].sort((a, b) => b.entry.expires - a.entry.expires)) {
        if (!isLive(entry, now)) continue;
        if (this.cookies.get(key) !== undefined) counts.present++;
        else if (room <= 0) counts.noRoom++;
        else {
          this.cookies.put(key, entry);
          this.byExpiry.put([entry.expires, key], true);
          counts.imported++;
          room--;
        }
      }
      this.imports.put(source, { at: now, imported: counts.imported });
      result = counts;
    });
    return written ? result : undefined;
  }

  get(key: string, now: number): CookieEntry | undefined {
    // Another process may have written since this one last read: read the latest commit.
    this.env.resetReadTxn();
    const stored: unknown = this.cookies.get(key);
    if (stored === undefined) return undefined;
    // A corrupt entry reads as absent, so the client signs in with its other methods (a new binding replaces it).
    const entry = cookieEntryOf(stored);
    if (entry === undefined) this.onCorrupt(key);
    if (entry === undefined || isLive(entry, now)) return entry;
    this.write(() => this.removeIfExpired(key, now));
    return undefined;
  }

  put(key: string, entry: CookieEntry, now: number): void {
    this.write(() => {
      this.remove(key);
      let count = this.count();
      for (const { key: [expires, oldest] } of this.byExpiry.getRange({ snapshot: false })) {
        if (expires > now && count < this.maxEntries) break;
        this.remove(oldest);
        if (expires > now) {
          this.evictions++;
          this.onEvicted();
        }
        count--;
      }
      this.cookies.put(key, entry);
      this.byExpiry.put([entry.expires, key], true);
    });
  }

  forget(key: string): void {
    this.write(() => this.remove(key));
  }

  get size(): number {
    return this.count();
  }

  get evicted(): number {
    return this.evictions;
  }

  close(): Promise<void> {
    return this.env.close();
  }

  /** From lmdb's page statistics: no walk over the entries. */
  private count(): number {
    return (this.cookies.getStats() as { entryCount: number }).entryCount;
  }

  private remove(key: string): void {
    const entry = this.cookies.get(key);
    if (entry === undefined) return;
    this.cookies.remove(key);
    this.byExpiry.remove([entry.expires, key]);
  }

  /** Another process may have bound the cookie again since it was read. */
  private removeIfExpired(key: string, now: number): void {
    if (!isLive(this.cookies.get(key), now)) this.remove(key);
  }

  /**
   * Synchronous, so that the next connection (here or in another worker) finds what a sign-in
   * bound: writes come with sign-ins by another method and logouts, not with every connection.
   */
  private write(change: () => void): boolean {
    try {
      this.env.transactionSync(change);
      return true;
    } catch (error) {
      this.log.error({ err: (error as Error).message }, 'the cookie store could not write its file; affected browsers sign in with their other methods');
      return false;
    }
  }
}
