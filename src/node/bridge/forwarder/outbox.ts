import { createHash } from 'node:crypto';
import { open, type Database, type RootDatabase } from 'lmdb';
import { makeDataDirectory } from '../../data-dir.js';
import type { FeedPlace } from '../../cluster/leased-feed.js';

/**
 * The forwarder's durable outbox, in LMDB: every event is written here before any delivery is
 * tried, and removed only once the app has accepted it (or moved to the dead letters).
 *
 * Layout: database "pending" holds one ordered key space per (url, topic) queue, keyed
 * [queue key, sequence]; the sequence grows monotonically, so a range scan of one queue yields
 * its messages in arrival order. Database "dead" holds the dead letters keyed by a growing id,
 * oldest first, bounded by `deadLetterLimit`.
 *
 * Writes go through lmdb's batched asynchronous commits; a promise of this class resolves only
 * once the change is committed and flushed to disk.
 *
 * It also keeps the count of the bytes its messages take (pending and dead letters alike, see
 * storedBytes), which outbox_limit_bytes bounds.
 */

/** One message waiting in the outbox. */
export interface OutboxMessage {
  url: string;
  /** The event's own topic (for a pattern subscription, the topic it was published to). */
  topic: string;
  publication: number;
  /** The exact request body, as sent (and signed). */
  body: string;
  /** Where it was in the cluster's feed, when it came from one: handed back with it (forwarder.ts handBack). */
  feed?: FeedPlace;
  /** When the event arrived (ms since the epoch). */
  createdAt: number;
  /** Failed attempts so far. */
  attempts: number;
  /** Not tried again before this time (ms since the epoch). */
  nextAttemptAt: number;
  lastError?: string;
}

/** A message that used up its attempts. */
export interface DeadLetter extends OutboxMessage {
  id: number;
  deadAt: number;
  lastError: string;
}

/** Where a pending message sits: its queue and its place in it. */
export interface MessageRef {
  url: string;
  topic: string;
  seq: number;
}

/** A queue found on disk at start, with its messages' sequences in delivery order. */
export interface LoadedQueue {
  url: string;
  topic: string;
  seqs: number[];
}

export interface OutboxOptions {
  /** Dead letters kept; beyond this the oldest are evicted (and handed back to be logged). */
  deadLetterLimit: number;
  /** Told the outbox's bytes after every change (the metric). */
  onBytesChanged?(bytes: number): void;
}

/** Room for a record's keys, numbers and encoding beyond its strings. */
const RECORD_OVERHEAD_BYTES = 100;

/** What one stored message counts against outbox_limit_bytes: its strings plus a fixed allowance. */
export function storedBytes(message: OutboxMessage): number {
  return Buffer.byteLength(message.body) + Buffer.byteLength(message.url) + Buffer.byteLength(message.topic) +
    (message.lastError === undefined ? 0 : Buffer.byteLength(message.lastError)) + RECORD_OVERHEAD_BYTES;
}

type PendingKey = [string, number];

/** The key of a (url, topic) queue: a digest, so long URLs and topics still fit LMDB's key size. */
export function queueKey(url: string, topic: string): string {
  return createHash('sha256').update(url).update('\u0000').update(topic).digest('base64url').slice(0, 24);
}

export class Outbox {
  private readonly env: RootDatabase;
  private readonly pending: Database<OutboxMessage, PendingKey>;
  private readonly dead: Database<DeadLetter, number>;
  private nextSeq = 1;
  private nextDeadId = 1;
  private deadCount: number;
  /** The bytes of each pending message by its sequence, and their sum; the dead letters' sum. */
  private readonly pendingSizes = new Map<number, number>();
  private pendingBytes = 0;
  private deadBytes = 0;
  private readonly departing = new Set<number>();
  private closed = false;

  constructor(path: string, private readonly options: OutboxOptions) {
    makeDataDirectory(path);
    this.env = open({ path });
    this.pending = this.env.openDB<OutboxMessage, PendingKey>({ name: 'pending' });
    this.dead = this.env.openDB<DeadLetter, number>({ name: 'dead' });
    for (const key of this.dead.getKeys({ reverse: true, limit: 1 })) this.nextDeadId = key + 1;
    this.deadCount = this.dead.getKeysCount();
    for (const { value } of this.dead.getRange()) this.deadBytes += storedBytes(value);
  }

  /** Bytes of every message held, pending or dead (storedBytes); pending ones are counted by load(). */
  get bytes(): number {
    return this.pendingBytes + this.deadBytes;
  }

  /**
   * Every pending queue with its sequences, in delivery order (called once, at start). Reads
   * every value: their sizes are the outbox's bytes.
   */
  load(): LoadedQueue[] {
    const queues: LoadedQueue[] = [];
    let current: (LoadedQueue & { key: string }) | undefined;
    for (const { key: [key, seq], value } of this.pending.getRange()) {
      if (current?.key !== key) {
        current = { key, url: value.url, topic: value.topic, seqs: [] };
        queues.push(current);
      }
      current.seqs.push(seq);
      this.setPendingSize(seq, storedBytes(value));
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
    }
    return queues.map(({ url, topic, seqs }) => ({ url, topic, seqs }));
  }

  /** Appends at the end of the message's queue. `stored` resolves once it is on disk. */
  append(message: OutboxMessage): { ref: MessageRef; stored: Promise<void> } {
    this.assertOpen();
    const ref = { url: message.url, topic: message.topic, seq: this.nextSeq++ };
    this.setPendingSize(ref.seq, storedBytes(message));
    return { ref, stored: this.durable(this.pending.put(this.keyOf(ref), message)) };
  }

  get(ref: MessageRef): OutboxMessage | undefined {
    return this.pending.get(this.keyOf(ref));
  }

  /** Records a failed attempt (attempts, next attempt time, last error) in place. */
  update(ref: MessageRef, message: OutboxMessage): Promise<void> {
    this.assertOpen();
    this.setPendingSize(ref.seq, storedBytes(message));
    return this.durable(this.pending.put(this.keyOf(ref), message));
  }

  /** Removes a delivered message. */
  remove(ref: MessageRef): Promise<void> {
    this.assertOpen();
    this.setPendingSize(ref.seq, 0);
    return this.durable(this.pending.remove(this.keyOf(ref)));
  }

  /**
   * Moves a message to the dead letters, in one transaction. Returns the dead letter and any old
   * ones evicted to respect `deadLetterLimit` (the caller logs them: nothing leaves silently).
   */
  deadLetter(ref: MessageRef, message: OutboxMessage, lastError: string, now: number): { letter: DeadLetter; evicted: DeadLetter[]; stored: Promise<void> } {
    this.assertOpen();
    const letter: DeadLetter = { ...message, lastError, id: this.nextDeadId++, deadAt: now };
    this.deadCount += 1;
    const evicted = this.deadLetters(Math.max(0, this.deadCount - this.options.deadLetterLimit));
    this.deadCount -= evicted.length;
    this.setPendingSize(ref.seq, 0);
    this.changeDeadBytes(storedBytes(letter) - sumBytes(evicted));
    const stored = this.leaving(evicted.map((old) => old.id), this.env.batch(() => {
      this.dead.put(letter.id, letter);
      this.pending.remove(this.keyOf(ref));
      for (const old of evicted) this.dead.remove(old.id);
    }));
    return { letter, evicted, stored };
  }

  /** The oldest `limit` dead letters (not counting those already on their way out). */
  deadLetters(limit: number): DeadLetter[] {
    const letters: DeadLetter[] = [];
    if (limit <= 0) return letters;
    for (const { value } of this.dead.getRange()) {
      if (this.departing.has(value.id)) continue;
      letters.push(value);
      if (letters.length >= limit) break;
    }
    return letters;
  }

  get deadLetterCount(): number {
    return this.deadCount;
  }

  /**
   * Removes the oldest dead letters, as many as it takes for `bytes` more to fit under
   * `maxBytes` (dead letters give way to undelivered messages). Returns those removed, for the
   * caller to log; `stored` resolves when the removal is on disk.
   */
  dropDeadLettersFor(bytes: number, maxBytes: number): { evicted: DeadLetter[]; stored: Promise<void> } {
    this.assertOpen();
    const evicted: DeadLetter[] = [];
    let freed = 0;
    for (const { value } of this.dead.getRange()) {
      if (this.bytes - freed + bytes <= maxBytes) break;
      if (this.departing.has(value.id)) continue;
      evicted.push(value);
      freed += storedBytes(value);
    }
    if (evicted.length === 0) return { evicted, stored: Promise.resolve() };
    this.deadCount -= evicted.length;
    this.changeDeadBytes(-freed);
    return { evicted, stored: this.leaving(evicted.map((letter) => letter.id), this.env.batch(() => {
      for (const letter of evicted) this.dead.remove(letter.id);
    })) };
  }

  /**
   * Moves dead letters back to the end of their queues with a fresh attempt count, in one
   * transaction: those with the given ids, or else the oldest; at most `limit` of them. The
   * returned refs (where each now waits, in order) are assigned at once; `stored` resolves when
   * the move is on disk.
   */
  revive(limit: number, ids: readonly number[] | undefined, now: number): { refs: MessageRef[]; stored: Promise<void> } {
    this.assertOpen();
    const letters = ids
      ? [...new Set(ids)].filter((id) => !this.departing.has(id)).slice(0, limit)
        .map((id) => this.dead.get(id)).filter((letter): letter is DeadLetter => letter !== undefined)
      : this.deadLetters(limit);
    const moves = letters.map((letter) => {
      const ref: MessageRef = { url: letter.url, topic: letter.topic, seq: this.nextSeq++ };
      const message: OutboxMessage = {
        url: letter.url, topic: letter.topic, publication: letter.publication, body: letter.body,
        createdAt: letter.createdAt, attempts: 0, nextAttemptAt: now,
      };
      return { id: letter.id, ref, message };
    });
    if (moves.length === 0) return { refs: [], stored: Promise.resolve() };
    this.deadCount -= moves.length;
    for (const move of moves) this.setPendingSize(move.ref.seq, storedBytes(move.message));
    this.changeDeadBytes(-sumBytes(letters));
    const stored = this.leaving(moves.map((move) => move.id), this.env.batch(() => {
      for (const move of moves) {
        this.pending.put(this.keyOf(move.ref), move.message);
        this.dead.remove(move.id);
      }
    }));
    return { refs: moves.map((move) => move.ref), stored };
  }

  /** Waits for every write already made, then closes the environment. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.env.flushed;
    await this.env.close();
  }

  /** Records a pending message's size; 0 when it leaves the pending ones. */
  private setPendingSize(seq: number, bytes: number): void {
    this.pendingBytes += bytes - (this.pendingSizes.get(seq) ?? 0);
    if (bytes === 0) this.pendingSizes.delete(seq);
    else this.pendingSizes.set(seq, bytes);
    this.options.onBytesChanged?.(this.bytes);
  }

  private changeDeadBytes(by: number): void {
    this.deadBytes += by;
    this.options.onBytesChanged?.(this.bytes);
  }

  private keyOf(ref: MessageRef): PendingKey {
    return [queueKey(ref.url, ref.topic), ref.seq];
  }

  /** A write's promise, resolved only once lmdb reports it flushed to disk (not merely committed). */
  private async durable(write: Promise<unknown>): Promise<void> {
    await write;
    await this.env.flushed;
  }

  /**
   * Dead letters removed by a write not yet committed stay readable until it is; they are marked
   * departing meanwhile so that a concurrent eviction or revival does not take them twice.
   */
  private async leaving(ids: number[], write: Promise<unknown>): Promise<void> {
    for (const id of ids) this.departing.add(id);
    try {
      await this.durable(write);
    } finally {
      for (const id of ids) this.departing.delete(id);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the forwarder outbox is closed');
  }
}

function sumBytes(messages: readonly OutboxMessage[]): number {
  let total = 0;
  for (const message of messages) total += storedBytes(message);
  return total;
}
