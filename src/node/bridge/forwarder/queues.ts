import type { BoundCounter } from '../../../metrics/registry.js';
import type { Logger } from '../../../router/log.js';
import { retryDelayMs } from './backoff.js';
import type { SendOutcome } from './delivery.js';
import { storedBytes, type DeadLetter, type MessageRef, type Outbox, type OutboxMessage } from './outbox.js';
import { forwardHeaders } from './request.js';
import { UrlSlots } from './url-slots.js';
import { urlForLog } from '../../../config/mask-secrets.js';
import { Refusals } from './refusals.js';
import type { ForwardEvent } from './forward-event.js';
import { plural } from '../../../protocol/plural.js';

/**
 * The delivery engine: one strictly head-of-line queue per (url, topic), so a topic's messages
 * reach a URL in the order they were published; queues run in parallel, bounded per URL by
 * UrlSlots. A message is sent only once it is on disk, and leaves the outbox only when the app
 * accepted it or it used up its attempts (then it becomes a dead letter).
 */

export interface QueueSettings {
  headers: Record<string, string>;
  signingSecret?: string;
  /** Headers computed from each body (another protocol's signature: Pusher's webhooks), added last. */
  bodyHeaders?: (body: string) => Record<string, string>;
  retry: { initialDelayMs: number; maxDelayMs: number; maxAttempts: number };
  /** Undelivered messages held before new events are refused. */
  outboxLimit: number;
  /** Bytes the outbox may hold on disk (pending and dead letters, storedBytes): dead letters give way first, then new events are refused. */
  outboxLimitBytes: number;
  concurrencyPerUrl: number;
}

export interface ForwarderMetrics {
  delivered: BoundCounter;
  retried: BoundCounter;
  deadLettered: BoundCounter;
  refused: BoundCounter;
  pending: { set(value: number): void };
}

/** What sends one request (HttpSender; tests may pass their own). */
export interface Sender {
  send(url: string, headers: Record<string, string>, body: string, stop: AbortSignal): Promise<SendOutcome>;
}

export interface QueueDependencies {
  outbox: Outbox;
  sender: Sender;
  log: Logger;
  metrics: ForwarderMetrics;
  /** Wall-clock ms (stored next-attempt times survive restarts, so this is Date.now, not a monotonic clock). */
  now?: () => number;
  random?: () => number;
}

/** One queue in the status answer. */
export interface QueueStatus {
  url: string;
  topic: string;
  pending: number;
  oldestAgeMs: number;
  headAttempts: number;
  nextAttemptInMs: number;
  lastError?: string;
}

export interface OutboxStatus {
  pending: number;
  queues: QueueStatus[];
  /** More queues exist than were listed. */
  truncated: boolean;
  deadLetters: number;
}

interface Item {
  seq: number;
  /** Until awaited once: resolves true when the message is on disk, false if it could not be stored. */
  stored?: Promise<boolean>;
}

interface Queue {
  url: string;
  topic: string;
  items: Item[];
  running: boolean;
}

/** The longest single timer (setTimeout's limit); a longer wait is taken in several steps. */
const MAX_TIMER_MS = 2_147_483_647;

export class DeliveryQueues {
  private readonly queues = new Map<string, Queue>();
  private readonly slots: UrlSlots;
  private readonly drains = new Set<Promise<void>>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; wake(): void }>();
  /** Aborted when the stop grace period is over: cuts the requests still in flight. */
  private readonly cut = new AbortController();
  private readonly now: () => number;
  private readonly random: () => number;
  private pendingCount = 0;
  private stopping = false;
  private readonly refusals: Refusals;

  constructor(private readonly settings: QueueSettings, private readonly deps: QueueDependencies) {
    this.slots = new UrlSlots(settings.concurrencyPerUrl);
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.refusals = new Refusals(deps.metrics.refused, deps.log, this.now);
  }

  /** Picks up what the outbox held when the node stopped, in order, and starts delivering it. */
  resume(): number {
    for (const loaded of this.deps.outbox.load()) {
      const queue = this.queueFor(loaded.url, loaded.topic);
      for (const seq of loaded.seqs) queue.items.push({ seq });
      this.pendingChanged(loaded.seqs.length);
    }
    for (const queue of this.queues.values()) this.kick(queue);
    return this.pendingCount;
  }

  /**
   * Stores an event in the outbox and queues its delivery. Refuses it (logged and counted) when
   * the outbox is full or closed; returns whether it was taken. Past outbox_limit_bytes the
   * oldest dead letters are dropped (logged) to make room; if undelivered messages alone fill
   * it, the event is refused.
   */
  accept(event: ForwardEvent): boolean {
    return this.take(event) !== false;
  }

  /** As `accept`, for a caller that must know when the event is on disk: resolves true then, or false if it could not be stored. */
  take(event: ForwardEvent): Promise<boolean> | false {
    if (this.pendingCount >= this.settings.outboxLimit) return this.refuse(event, `the outbox holds ${plural(this.pendingCount, 'undelivered message')} (outbox_limit)`);
    const now = this.now();
    const message: OutboxMessage = { ...event, createdAt: now, attempts: 0, nextAttemptAt: now };
    let appended: ReturnType<Outbox['append']>;
    try {
      const full = this.makeRoom(storedBytes(message));
      if (full) return this.refuse(event, full);
      appended = this.deps.outbox.append(message);
    } catch (error) {
      return this.refuse(event, (error as Error).message);
    }
    const stored = appended.stored.then(
      () => true,
      (error: Error) => {
        this.refuse(event, `could not store it: ${error.message}`);
        return false;
      },
    );
    const queue = this.queueFor(event.url, event.topic);
    queue.items.push({ seq: appended.ref.seq, stored });
    this.pendingChanged(1);
    this.kick(queue);
    return stored;
  }

  /** How long the oldest message not yet delivered has waited (ms); 0 with none waiting. */
  oldestAgeMs(): number {
    let oldest = Infinity;
    for (const queue of this.queues.values()) oldest = Math.min(oldest, this.head(queue)?.createdAt ?? Infinity);
    return oldest === Infinity ? 0 : Math.max(0, this.now() - oldest);
  }

  /** The first message of a queue, once it is stored. */
  private head(queue: Queue): OutboxMessage | undefined {
    const head = queue.items[0];
    return head && this.deps.outbox.get({ url: queue.url, topic: queue.topic, seq: head.seq });
  }

  /** Drops dead letters until `bytes` more fit under outbox_limit_bytes; says why not when undelivered messages alone leave no room. */
  private makeRoom(bytes: number): string | undefined {
    const { outbox, log } = this.deps;
    const max = this.settings.outboxLimitBytes;
    if (outbox.bytes + bytes <= max) return undefined;
    const { evicted, stored } = outbox.dropDeadLettersFor(bytes, max);
    stored.catch((error: Error) => log.error({ error: error.message, deadLetters: evicted.length }, 'forwarder could not remove dead letters from the outbox'));
    this.logEvicted(evicted, 'forwarder outbox is full (outbox_limit_bytes): dropped the oldest dead letter to make room for a new event');
    if (outbox.bytes + bytes <= max) return undefined;
    return `the outbox holds ${outbox.bytes} bytes on disk and this event needs ${bytes} more (outbox_limit_bytes ${max})`;
  }

  private logEvicted(evicted: readonly DeadLetter[], why: string): void {
    for (const old of evicted) {
      this.deps.log.error({ url: urlForLog(old.url), topic: old.topic, publication: old.publication, attempts: old.attempts, lastError: old.lastError, deadLetter: old.id }, why);
    }
  }

  status(maxQueues: number): OutboxStatus {
    const now = this.now();
    const queues: QueueStatus[] = [];
    for (const queue of this.queues.values()) {
      const message = this.head(queue);
      if (!message) continue; // its first message is still being written
      queues.push({
        url: queue.url, topic: queue.topic, pending: queue.items.length,
        oldestAgeMs: Math.max(0, now - message.createdAt),
        headAttempts: message.attempts,
        nextAttemptInMs: Math.max(0, message.nextAttemptAt - now),
        ...(message.lastError === undefined ? {} : { lastError: message.lastError }),
      });
    }
    queues.sort((a, b) => b.oldestAgeMs - a.oldestAgeMs);
    return { pending: this.pendingCount, queues: queues.slice(0, maxQueues), truncated: queues.length > maxQueues, deadLetters: this.deps.outbox.deadLetterCount };
  }

  /**
   * Moves dead letters back to the end of their queues (the given ids, or else the oldest), as
   * many as `limit` and the outbox's free room allow. Returns how many were moved.
   */
  retryDeadLetters(limit: number, ids: readonly number[] | undefined): number {
    if (this.stopping) throw new Error('the forwarder is stopping');
    const room = this.settings.outboxLimit - this.pendingCount;
    if (room <= 0) throw new Error(`the outbox is full (${this.pendingCount} undelivered messages)`);
    const { refs, stored } = this.deps.outbox.revive(Math.min(limit, room), ids, this.now());
    const written = stored.then(
      () => true,
      (error: Error) => {
        this.deps.log.error({ error: error.message, messages: refs.length }, 'forwarder could not move dead letters back to the outbox');
        return false;
      },
    );
    for (const ref of refs) {
      const queue = this.queueFor(ref.url, ref.topic);
      queue.items.push({ seq: ref.seq, stored: written });
      this.pendingChanged(1);
      this.kick(queue);
    }
    return refs.length;
  }

  get pending(): number {
    return this.pendingCount;
  }

  /**
   * Starts no further attempt, lets the requests in flight finish for up to `graceMs`, then cuts
   * them (their messages stay in the outbox and are sent again after a restart).
   */
  async stop(graceMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.slots.close();
    for (const pause of [...this.timers]) pause.wake();
    const settled = Promise.allSettled([...this.drains]);
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, graceMs)));
    await Promise.race([settled, grace]);
    clearTimeout(graceTimer);
    this.cut.abort();
    await settled;
    this.refusals.flush();
  }

  private queueFor(url: string, topic: string): Queue {
    const key = `${url}\u0000${topic}`;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { url, topic, items: [], running: false };
      this.queues.set(key, queue);
    }
    return queue;
  }

  private kick(queue: Queue): void {
    if (queue.running || this.stopping || queue.items.length === 0) return;
    queue.running = true;
    const drain: Promise<void> = this.drain(queue).finally(() => this.drains.delete(drain));
    this.drains.add(drain);
  }

  private async drain(queue: Queue): Promise<void> {
    try {
      while (!this.stopping && queue.items.length > 0) {
        try {
          await this.step(queue);
        } catch (error) {
          // The outbox failed under us (disk full...): say so and try again later, in order.
          if (this.stopping) break;
          this.deps.log.error({ url: urlForLog(queue.url), topic: queue.topic, error: (error as Error).message }, 'forwarder outbox failure; retrying shortly');
          await this.pause(this.settings.retry.initialDelayMs);
        }
      }
    } finally {
      queue.running = false;
      if (queue.items.length === 0) this.queues.delete(`${queue.url}\u0000${queue.topic}`);
    }
  }

  /** One attempt at the queue's head message: wait for its turn, send, and settle the outcome. */
  private async step(queue: Queue): Promise<void> {
    const head = queue.items[0]!;
    if (head.stored) {
      const stored = await head.stored;
      head.stored = undefined;
      if (!stored) return this.dropHead(queue); // never stored: refused (and logged) in accept
    }
    const ref: MessageRef = { url: queue.url, topic: queue.topic, seq: head.seq };
    const message = this.deps.outbox.get(ref);
    if (!message) return this.dropHead(queue);
    const wait = message.nextAttemptAt - this.now();
    if (wait > 0) return this.pause(wait); // the loop comes back to the same head

    const release = await this.slots.acquire(queue.url);
    if (!release) return; // stopping
    let outcome: SendOutcome;
    try {
      const headers = {
        ...forwardHeaders(this.settings.headers, { topic: message.topic, publication: message.publication, attempt: message.attempts + 1 }, message.body, this.settings.signingSecret),
        ...this.settings.bodyHeaders?.(message.body),
      };
      outcome = await this.deps.sender.send(queue.url, headers, message.body, this.cut.signal);
    } finally {
      release();
    }

    switch (outcome.kind) {
      case 'interrupted':
        return;
      case 'delivered':
        // Removed before the next one is sent: a restart can repeat this message, never reorder it.
        await this.deps.outbox.remove(ref);
        this.dropHead(queue);
        this.deps.metrics.delivered.inc();
        this.deps.log.debug({ url: urlForLog(queue.url), topic: message.topic, publication: message.publication, status: outcome.status, attempts: message.attempts + 1 }, 'forwarded');
        return;
      case 'failed':
        return this.failed(queue, ref, message, outcome.error);
    }
  }

  private async failed(queue: Queue, ref: MessageRef, message: OutboxMessage, error: string): Promise<void> {
    const attempts = message.attempts + 1;
    const facts = { url: urlForLog(queue.url), topic: message.topic, publication: message.publication, attempts, lastError: error };
    if (attempts >= this.settings.retry.maxAttempts) {
      const { letter, evicted, stored } = this.deps.outbox.deadLetter(ref, { ...message, attempts }, error, this.now());
      await stored;
      this.dropHead(queue);
      this.deps.metrics.deadLettered.inc();
      this.deps.log.error({ ...facts, deadLetter: letter.id }, 'forwarder gave up on a message after its last attempt; it is in the dead letters');
      this.logEvicted(evicted, 'forwarder dead-letter list is full: dropped the oldest dead letter');
      return;
    }
    const delay = retryDelayMs(attempts, this.settings.retry, this.random);
    await this.deps.outbox.update(ref, { ...message, attempts, nextAttemptAt: this.now() + delay, lastError: error });
    this.deps.metrics.retried.inc();
    this.deps.log.warn({ ...facts, retryInMs: delay }, 'forwarder delivery failed; will retry');
  }

  private dropHead(queue: Queue): void {
    queue.items.shift();
    this.pendingChanged(-1);
  }

  private pendingChanged(by: number): void {
    this.pendingCount += by;
    this.deps.metrics.pending.set(this.pendingCount);
  }

  /** Records an event that is not taken (logged, throttled, and counted); also for events that cannot even be encoded. */
  refuse(event: Omit<ForwardEvent, 'body'>, reason: string): false {
    return this.refusals.refuse(event, reason);
  }

  /** Waits `ms` (in steps of at most MAX_TIMER_MS), or less if the forwarder stops meanwhile. */
  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => entry.wake(), Math.min(ms, MAX_TIMER_MS)),
        wake: () => {
          clearTimeout(entry.timer);
          this.timers.delete(entry);
          resolve();
        },
      };
      this.timers.add(entry);
    });
  }
}
