import { open, type Database, type RootDatabase } from 'lmdb';
import type { HistoryFileConfig } from '../../config/model.js';
import type { MatchPolicy } from '../../protocol/uri.js';
import type { RemoteHistory } from '../../router/backplane.js';
import type { CopiedEvent } from '../../router/broker/event-history.js';
import type { HistoryStore } from '../../router/broker/history-store.js';
import { WarningThrottle } from '../../router/limits/warning-throttle.js';
import type { Logger } from '../../router/log.js';
import { decodeEntry, encodeEntry, type HistoryKey } from './history-entry.js';

/** Why an event kept in memory did not reach the file. */
export type NotWrittenReason = 'buffer_full' | 'store_full' | 'write_failed';

/** Where the store reports (the node's metrics, by realm). */
export interface HistoryStoreMeter {
  /** Bytes of the stored events (as encoded), after each write. */
  storedBytes(bytes: number): void;
  notWritten(reason: NotWrittenReason, events: number): void;
  /** Entries of the file that could not be read at start (skipped, and removed unless read-only). */
  unreadable(entries: number): void;
}

/** An event to write (encoded at the write, off the publish call), or (no event) one to remove. */
type Change = { key: HistoryKey; event?: CopiedEvent };

/**
 * The order events were kept in: by time, and within one millisecond by their publisher node's
 * sequence (the keys order by publication ID, which is random).
 */
function keptOrder(a: CopiedEvent, b: CopiedEvent): number {
  if (a.time !== b.time) return a.time - b.time;
  return a.position && b.position && a.position.source === b.position.source ? a.position.seq - b.position.seq : 0;
}

/** The changes as written: each event encoded (one that cannot be is left out, and counted). */
function encodeChanges(changes: readonly Change[]): { writes: { key: HistoryKey; value?: Uint8Array }[]; unencodable: { count: number; first?: string } } {
  const unencodable: { count: number; first?: string } = { count: 0 };
  const writes = changes.flatMap(({ key, event }) => {
    if (event === undefined) return [{ key }];
    try {
      return [{ key, value: encodeEntry(event) }];
    } catch (error) {
      unencodable.count++;
      unencodable.first ??= (error as Error).message;
      return [];
    }
  });
  return { writes, unencodable };
}

const storedBytesKey = 'stored_bytes';

const notWrittenWarnings: Record<NotWrittenReason, string> = {
  buffer_full: 'events not written to the realm store: max-buffer changes were already waiting for the next write (they stay in memory until a restart)',
  store_full: 'events not written to the realm store: it holds maxsize bytes of events (they stay in memory until a restart)',
  write_failed: 'events not written to the realm store: the write failed (they stay in memory until a restart)',
};

/**
 * A realm's event history in an lmdb folder (Crossbar FX's "cfxdb" store): read at start, then
 * every event kept and let go is buffered and written every `bufferFlushMs`, in one transaction,
 * so the publish path never waits for the disk. Entries are keyed by (uri, match, publication):
 * the processes that open one folder (the workers of `--workers`, lmdb locks for them) each write
 * every publication of the realm under the same key, so the file holds it once. The bytes of the
 * stored events are counted in the file itself, in the same transactions, so every process bounds
 * them by `maxBytes` alike; an event past it, or past `maxBuffer` waiting, is not written (it stays
 * in memory), counted and warned.
 */
export class LmdbHistoryStore implements HistoryStore {
  private readonly env: RootDatabase;
  private readonly events: Database<Uint8Array, HistoryKey>;
  private readonly counts: Database<number, string>;
  private buffer: Change[] = [];
  private writing: Promise<void> = Promise.resolve();
  private busy = false;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly throttles = { buffer_full: new WarningThrottle(), store_full: new WarningThrottle(), write_failed: new WarningThrottle() };

  constructor(private readonly config: HistoryFileConfig, private readonly log: Logger, private readonly meter: HistoryStoreMeter) {
    // Always a folder (data.mdb, lock.mdb), as the cookie store's.
    this.env = open({ path: config.path, noSubdir: false, readOnly: config.readonly, noSync: !config.sync });
    this.events = this.env.openDB<Uint8Array, HistoryKey>({ name: 'events', encoding: 'binary' });
    this.counts = this.env.openDB<number, string>({ name: 'counts' });
    if (!config.readonly) this.timer = setInterval(() => void this.flush(), config.bufferFlushMs).unref();
  }

  load(): RemoteHistory[] {
    const histories = new Map<string, RemoteHistory>();
    let unreadable = 0;
    let firstProblem: string | undefined;
    try {
      for (const { key, value } of this.events.getRange()) {
        const entry = decodeEntry(key, value);
        if (typeof entry === 'string') {
          unreadable++;
          firstProblem ??= entry;
          if (!this.config.readonly) this.buffer.push({ key: key as HistoryKey });
          continue;
        }
        const name = `${entry.match} ${entry.uri}`;
        let history = histories.get(name);
        if (!history) histories.set(name, (history = { uri: entry.uri, match: entry.match, events: [] }));
        history.events.push(entry.event);
      }
    } catch (error) {
      // A damaged page: what was read before it is kept; the realm starts with that much history.
      this.log.error({ path: this.config.path, err: (error as Error).message }, 'the realm store could not be read to its end: the realm starts with the history read before the damage');
    }
    if (unreadable > 0) {
      this.meter.unreadable(unreadable);
      this.log.warn({ path: this.config.path, unreadable, first: firstProblem }, 'entries of the realm store skipped: they cannot be read as events (the first reason given)');
    }
    this.meter.storedBytes(this.counts.get(storedBytesKey) ?? 0);
    for (const history of histories.values()) history.events.sort(keptOrder);
    return [...histories.values()];
  }

  kept(uri: string, match: MatchPolicy, event: CopiedEvent): void {
    if (this.config.readonly) return;
    if (this.buffer.length >= this.config.maxBuffer) {
      this.refuse('buffer_full', 1);
      return;
    }
    this.buffer.push({ key: [uri, match, event.event.publication], event });
  }

  dropped(uri: string, match: MatchPolicy, publication: number): void {
    // A removal left out leaves the file one event more than the memory: the next start lets it go (its limits).
    if (this.config.readonly || this.buffer.length >= this.config.maxBuffer) return;
    this.buffer.push({ key: [uri, match, publication] });
  }

  /**
   * Writes what is buffered (in the order kept), unless a write is under way: then the buffer
   * waits for the next interval, so a slow disk holds at most `maxBuffer` changes in memory.
   */
  flush(): Promise<void> {
    if (!this.busy && this.buffer.length > 0) {
      const changes = this.buffer;
      this.buffer = [];
      this.busy = true;
      this.writing = this.write(changes).finally(() => (this.busy = false));
    }
    return this.writing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.writing;
    await this.flush();
    await this.env.close();
  }

  private async write(changes: readonly Change[]): Promise<void> {
    const { writes, unencodable } = encodeChanges(changes);
    if (unencodable.count > 0) this.refuse('write_failed', unencodable.count, `not encodable as MessagePack: ${unencodable.first}`);
    let full = 0;
    let bytes = 0;
    try {
      await this.env.transaction(() => {
        full = 0;
        bytes = this.counts.get(storedBytesKey) ?? 0;
        for (const { key, value } of writes) {
          const before = this.events.getBinary(key)?.length ?? 0;
          if (value === undefined) {
            if (before > 0) this.events.remove(key);
            bytes -= before;
          } else if (bytes - before + value.length > this.config.maxBytes) {
            full++;
          } else {
            this.events.put(key, value);
            bytes += value.length - before;
          }
        }
        this.counts.put(storedBytesKey, bytes);
      });
    } catch (error) {
      const events = writes.filter((write) => write.value !== undefined).length;
      this.refuse('write_failed', events, (error as Error).message);
      return;
    }
    this.meter.storedBytes(bytes);
    if (full > 0) this.refuse('store_full', full);
  }

  /** Counts every event not written; warns at the first batch, then at most once per interval. */
  private refuse(reason: NotWrittenReason, events: number, err?: string): void {
    this.meter.notWritten(reason, events);
    const batches = this.throttles[reason].record(performance.now());
    if (batches === undefined) return;
    this.log.warn({ path: this.config.path, events, batches, maxBytes: this.config.maxBytes, maxBuffer: this.config.maxBuffer, ...(err && { err }) },
      `${notWrittenWarnings[reason]} (events: in this batch; batches: since the last warning; further ones not logged for 10 s)`);
  }
}
