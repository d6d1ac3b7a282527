import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { clusterDefaults } from '../../config/file-schema.js';
import type { RedisServerConfig } from '../../config/model.js';
import type { Logger } from '../../router/log.js';
import { describeRedis, lastWords } from './redis-connection.js';
import { namedConnection } from './redis-fence.js';
import { FencedConnection } from './redis-fenced-connection.js';
import { entryBytes, FEED_BATCH, RETRY_MS, type ClusterFeeds, type FeedEntry, type FeedHolder, type FeedLimits, type LeasedFeed } from './leased-feed.js';
import { plural } from '../../protocol/plural.js';
import { isCommandTimeout, RedisTimeouts } from './redis-timeouts.js';

export interface RedisFeedsOptions {
  redis: RedisServerConfig;
  prefix: string;
  nodeId: string;
  /** A holder that cannot renew its lease for this long has lost it; another node takes over once it runs out. */
  leaseMs: number;
  log: Logger;
  /** How often the holder looks for new entries when the feed was empty. Default 50 ms. */
  pollMs?: number;
  /** Bounds every command's wait for Redis (its limit), and counts those unanswered (default: clusterDefaults.commandTimeoutMs, uncounted). */
  timeouts?: RedisTimeouts;
}

/**
 * How long Redis keeps an entry's record at least (`PREFIX:feed-entry:NAME:ID`: `feed` once
 * appended, and once removed, the lease `node#token` under which its holder took it into its
 * outbox): within it, an append sent again and an entry handed back that the feed or another
 * holder already has are recognized and skipped. An append is sent again within seconds (see
 * recordMs), and a holder cut off hands its outbox back as soon as it reaches Redis again. Each
 * record takes Redis about 230 bytes (bench/feed-appends.mjs).
 */
const ENTRY_RECORD_MS = 120_000;

/**
 * KEYS: stream, its byte count, the entry's record. ARGV: message limit, byte limit, entry bytes,
 * entry, record ms, the record that lets the entry in again (the lease under which the outbox
 * handing it back took it; '' for a new one). Returns 'ok' (also when the feed or another holder
 * has it already) or why it is full.
 */
const appendScript = `
local record = redis.call('GET', KEYS[3])
if record and record ~= ARGV[6] then return 'ok' end
local held = redis.call('XLEN', KEYS[1])
if held >= tonumber(ARGV[1]) then return 'messages:' .. held end
local bytes = tonumber(redis.call('GET', KEYS[2]) or '0')
if bytes + tonumber(ARGV[3]) > tonumber(ARGV[2]) then return 'bytes:' .. bytes end
redis.call('XADD', KEYS[1], '*', 'e', ARGV[4])
redis.call('INCRBY', KEYS[2], ARGV[3])
redis.call('SET', KEYS[3], 'feed', 'PX', ARGV[5])
return 'ok'`;

/** KEYS: lease, fencing counter. ARGV: node, lease ms. Returns the new fencing token, or 0 when another node holds it. */
const acquireScript = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '#' .. token, 'PX', ARGV[2])
return token`;

/** KEYS: lease. ARGV: holder value, lease ms. 1 when renewed, 0 when the lease is no longer this holder's. */
const renewScript = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/**
 * KEYS: lease, stream, its byte count, each entry's record. ARGV: holder value, the lease they were
 * taken under, record ms, then each entry's stream id and bytes. Removes entries the holder
 * stored, only while the lease is still its own (the fencing check): a holder that lost its lease
 * removes nothing, and the next holder reads those entries again. Each entry removed is recorded
 * as taken under that lease; one already removed (this removal sent again) counts no bytes twice.
 */
const ackScript = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local bytes = 0
for i = 4, #KEYS do
  local at = 2 * i - 4
  if redis.call('XDEL', KEYS[2], ARGV[at]) == 1 then
    bytes = bytes + tonumber(ARGV[at + 1])
    redis.call('SET', KEYS[i], ARGV[2], 'PX', ARGV[3])
  end
end
if bytes > 0 then redis.call('DECRBY', KEYS[3], bytes) end
return 1`;

/** KEYS: lease. ARGV: holder value. */
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

/** How many times an append is sent at most when its answer is lost (each time the connection is replaced meanwhile). */
const APPEND_ATTEMPTS = 3;

/** What a feed uses of its node's feeds connection (RedisFeeds). */
interface FeedsConnection {
  readonly redis: Redis;
  readonly connection: FencedConnection;
  /** How long an append waits at most for a stalled connection to answer again or be replaced. */
  readonly appendWaitMs: number;
  /** How long Redis keeps an entry's record: ENTRY_RECORD_MS, or longer while an append may still be sent again. */
  readonly recordMs: number;
  /** Names this process's appends: with their place in its order, each new entry's id in the feed. */
  readonly appender: string;
  /** The next append's place in the order appends are sent (and sent again) in. */
  nextAppend(): number;
  /** Resolves true once the connection is usable (resumed in `order`), false when it is not within appendWaitMs or the feeds close. */
  whenUsable(order: number): Promise<boolean>;
}

/**
 * Leased feeds in Redis: the feed is a stream (`PREFIX:feed:NAME`, with its byte count in
 * `PREFIX:feed-bytes:NAME`), the lease a key (`PREFIX:lease:NAME` = "node#token", SET NX PX)
 * renewed every third of the lease, with a fencing token from `PREFIX:fence:NAME`. Nodes that do
 * not hold it try to take it as often; the holder reads the stream and removes what it stored.
 *
 * Their connection (`junction-feeds:NODE:PROCESS`) is a FencedConnection: a command unanswered
 * for the command timeout marks it stalled, and one still silent twice that long (half-open
 * after a network fault) is replaced, the old one closed on Redis first. While it is stalled the
 * node is degraded (`degraded`), the holder neither reads nor renews (its lease runs out as it
 * would), and appends wait for it (bounded) instead of being refused. An append whose answer was
 * lost ran if the same connection answers again (one connection keeps order); if the connection
 * was replaced instead, it may not have, and it is sent again: its entry's id, recorded by the
 * append in Redis (ENTRY_RECORD_MS), makes Redis skip it if the first one ran.
 */
export class RedisFeeds implements ClusterFeeds, FeedsConnection {
  readonly connection: FencedConnection;
  readonly redis: Redis;
  readonly appendWaitMs: number;
  readonly recordMs: number;
  readonly appender = randomBytes(8).toString('hex');
  private readonly feeds = new Set<RedisFeed>();
  private readonly where: string;
  private readonly timeouts: RedisTimeouts;
  private readonly timer: NodeJS.Timeout;
  /** Appends waiting for the connection, resumed in the order they were made. */
  private waiting: { order: number; resume: (usable: boolean) => void }[] = [];
  private appends = 0;
  private closed = false;

  constructor(private readonly options: RedisFeedsOptions) {
    this.where = describeRedis(options.redis);
    this.timeouts = options.timeouts ?? new RedisTimeouts(options.log, clusterDefaults.commandTimeoutMs);
    // Until the bound of a stall, then a new connection's handshake and fence.
    this.appendWaitMs = this.timeouts.replaceAfterMs + 2 * this.timeouts.limitMs;
    // Each attempt: unanswered for the limit, then a wait for the new connection.
    this.recordMs = Math.max(ENTRY_RECORD_MS, APPEND_ATTEMPTS * (this.timeouts.limitMs + this.appendWaitMs));
    this.connection = new FencedConnection({
      server: options.redis, role: 'feeds', name: namedConnection('feeds', options.nodeId, this.appender),
      timeouts: this.timeouts, log: options.log, changed: () => this.changed(),
    });
    this.redis = this.connection.redis;
    // Often enough that a stall is acted on within a quarter of the command timeout past its bound.
    this.timer = setInterval(() => this.connection.tend(), Math.max(50, Math.floor(this.timeouts.limitMs / 4)));
    this.timer.unref();
  }

  /** Why this node's forwarders cannot use Redis now, or undefined: /health says degraded. */
  get degraded(): string | undefined {
    if (!this.connection.stalled) return undefined;
    return `this node's forwarders' feeds connection to ${this.where} does not answer (cluster.redis.command_timeout ${this.timeouts.limitMs} ms): replacing it; the forwarders' events wait`;
  }

  /** Resolves once its connection is up (bounded by `timeoutMs`): appends made before would be refused. */
  async ready(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.connection.usable) {
      if (Date.now() > deadline) throw new Error(`Redis did not answer the forwarders' connection within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  feed(name: string, limits: FeedLimits): LeasedFeed {
    const feed = new RedisFeed(this, name, limits, this.options, () => this.feeds.delete(feed));
    this.feeds.add(feed);
    return feed;
  }

  nextAppend(): number {
    return this.appends++;
  }

  whenUsable(order: number): Promise<boolean> {
    if (this.connection.usable) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = { order, resume: (usable: boolean) => {
        clearTimeout(timer);
        resolve(usable);
      } };
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((other) => other !== waiter);
        resolve(false);
      }, this.appendWaitMs);
      this.waiting.push(waiter);
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await lastWords(Promise.all([...this.feeds].map((feed) => feed.close())));
    this.stop();
  }

  /** Stops as a process that dies would: the lease is left to run out (tests). */
  vanish(): void {
    clearInterval(this.timer);
    for (const feed of this.feeds) feed.vanish();
    this.stop();
  }

  private stop(): void {
    this.closed = true;
    this.resume(false);
    this.connection.close();
  }

  /** The connection may have become usable: appends waiting for it are sent, in the order they were made. */
  private changed(): void {
    if (this.connection.usable) this.resume(true);
  }

  private resume(usable: boolean): void {
    const waiting = this.waiting.sort((x, y) => x.order - y.order);
    this.waiting = [];
    for (const waiter of waiting) waiter.resume(usable);
  }
}

/** A batch the holder stored whose removal from the stream is not known to have run. */
interface StoredBatch {
  /** Each entry's id in the stream and in the feed (FeedPlace), and its bytes. */
  rows: { id: string; entry: string; bytes: number }[];
  /** The lease it was taken under (FeedPlace). */
  takenUnder: string;
  /** How many times the outbox had been handed back when it was stored. */
  handbacks: number;
}

class RedisFeed implements LeasedFeed {
  private readonly keys: { stream: string; bytes: string; lease: string; fence: string; entries: string };
  private holder: FeedHolder | undefined;
  /** "node#token" while this node holds the lease. */
  private held: string | undefined;
  private renewedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The holder's steps (granted, take, lost) run one at a time. */
  private work: Promise<void> = Promise.resolve();
  private pulling = false;
  private unremoved: StoredBatch | undefined;
  /** Times the holder was asked to hand its outbox back (heldElsewhere). */
  private handbacks = 0;
  /** The holder was told the lease is held elsewhere since this node started or last held it: once each such time. */
  private toldHeldElsewhere = false;
  private tending = false;
  private closed = false;
  /** Appends waiting for the connection, bounded like the feed itself (they could not be taken beyond its limits anyway). */
  private readonly waiting = { messages: 0, bytes: 0 };

  constructor(private readonly line: FeedsConnection, private readonly name: string, private readonly limits: FeedLimits,
    private readonly options: RedisFeedsOptions, private readonly onClosed: () => void) {
    const key = (kind: string): string => `${options.prefix}:${kind}:${name}`;
    this.keys = { stream: key('feed'), bytes: key('feed-bytes'), lease: key('lease'), fence: key('fence'), entries: key('feed-entry') };
  }

  async append(entry: FeedEntry): Promise<string | undefined> {
    if (this.closed) return `"${this.name}" is stopping`;
    const { connection, redis } = this.line;
    const order = this.line.nextAppend();
    // An entry with a place comes back from a holder's outbox: Redis takes it again only if it is recorded as taken by that outbox.
    const id = entry.feed?.id ?? `${this.line.appender}.${order}`;
    const readmitted = entry.feed?.takenUnder ?? '';
    const placed: FeedEntry = { ...entry, feed: { id } };
    const bytes = entryBytes(entry);
    for (let attempt = 1; ; attempt++) {
      const unusable = await this.waitForConnection(order, bytes);
      if (unusable !== undefined) return unusable;
      const generation = connection.generation;
      try {
        const answer = String(await connection.command('append', () => redis.eval(appendScript, 3, this.keys.stream, this.keys.bytes,
          this.record(id), this.limits.messages, this.limits.bytes, bytes, JSON.stringify(placed), this.line.recordMs, readmitted)));
        return this.refusal(answer);
      } catch (error) {
        if (!isCommandTimeout(error) || attempt === APPEND_ATTEMPTS) return `Redis did not take it into the cluster's feed: ${(error as Error).message}`;
      }
      const unanswered = await this.waitForConnection(order, bytes);
      if (unanswered !== undefined) return unanswered;
      // The same connection answers again: what was sent on it before has run. A new one: the old one was closed on Redis first,
      // so it may never have run: sent again, Redis skips it if it had (its record).
      if (connection.generation === generation) return undefined;
    }
  }

  async holderNode(): Promise<string | undefined> {
    const held = await this.line.connection.command('holder', () => this.line.redis.get(this.keys.lease));
    return held === null ? undefined : held.slice(0, held.lastIndexOf('#'));
  }

  run(holder: FeedHolder): void {
    this.holder = holder;
    const every = Math.max(50, Math.floor(this.options.leaseMs / 3));
    this.timer = setInterval(() => void this.tend(), every);
    this.timer.unref();
    void this.tend();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClosed();
    clearInterval(this.timer);
    const held = this.held;
    if (held !== undefined) {
      this.lose('the node is stopping');
      await this.work;
      await this.line.connection.command('release', () => this.line.redis.eval(releaseScript, 1, this.keys.lease, held)).catch(() => {});
    }
    await this.work;
  }

  vanish(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  /** Why Redis refused an append (the feed is full), or undefined for 'ok'. */
  private refusal(answer: string): string | undefined {
    if (answer === 'ok') return undefined;
    const [kind, held] = answer.split(':');
    return kind === 'messages'
      ? `the cluster's feed of "${this.name}" holds ${plural(Number(held), 'event')} no node has taken yet (outbox_limit)`
      : `the cluster's feed of "${this.name}" holds ${held} bytes no node has taken yet (outbox_limit_bytes)`;
  }

  /**
   * Waits while the connection is stalled or a new one is being fenced: undefined once it may be
   * used (or is plainly down: the command then fails at once, as when Redis is away), else why
   * the append is refused.
   */
  private async waitForConnection(order: number, bytes: number): Promise<string | undefined> {
    if (!this.line.connection.recovering) return undefined;
    if (this.waiting.messages >= this.limits.messages || this.waiting.bytes + bytes > this.limits.bytes) {
      return `the cluster's feed of "${this.name}" has ${plural(this.waiting.messages, 'event')} waiting for its stalled connection to Redis (outbox_limit, outbox_limit_bytes)`;
    }
    this.waiting.messages++;
    this.waiting.bytes += bytes;
    const usable = await this.line.whenUsable(order);
    this.waiting.messages--;
    this.waiting.bytes -= bytes;
    return usable ? undefined
      : `Redis did not take it into the cluster's feed: its connection did not answer and was not replaced within ${this.line.appendWaitMs} ms`;
  }

  /** Renews the lease held, or tries to take it; one at a time (a slow Redis must not make this node race itself). */
  private async tend(): Promise<void> {
    if (this.closed || this.tending) return;
    this.tending = true;
    try {
      await this.renewOrTake();
    } finally {
      this.tending = false;
    }
  }

  private async renewOrTake(): Promise<void> {
    const { nodeId, leaseMs, log } = this.options;
    const { connection, redis } = this.line;
    // A stalled connection is being replaced: nothing is sent into it, and a lease not renewed in time is lost as it would be.
    if (connection.recovering) return this.loseIfExpired('its connection to Redis does not answer');
    try {
      if (this.held !== undefined) {
        const renewed = await connection.command('lease', () => redis.eval(renewScript, 1, this.keys.lease, this.held!, leaseMs));
        if (renewed === 1) this.renewedAt = Date.now();
        else this.lose('another node holds the lease now');
        return;
      }
      const token = Number(await connection.command('lease', () => redis.eval(acquireScript, 2, this.keys.lease, this.keys.fence, nodeId, leaseMs)));
      if (token === 0 && !this.toldHeldElsewhere && !this.closed) {
        this.toldHeldElsewhere = true;
        const holder = this.holder!;
        if (holder.heldElsewhere) {
          this.handbacks++;
          this.step(() => holder.heldElsewhere!());
        }
      }
      if (token === 0 || this.closed) return;
      this.held = `${nodeId}#${token}`;
      this.renewedAt = Date.now();
      // Its outbox fills again while it holds the lease: once lost, another holder must get it back.
      this.toldHeldElsewhere = false;
      log.info({ feed: this.name, token }, 'took the lease: this node runs it now');
      const holder = this.holder!;
      this.step(() => holder.granted());
      void this.pull();
    } catch (error) {
      this.loseIfExpired((error as Error).message);
    }
  }

  private loseIfExpired(why: string): void {
    if (this.held !== undefined && Date.now() - this.renewedAt > this.options.leaseMs) this.lose(`the lease could not be renewed: ${why}`);
  }

  private lose(why: string): void {
    if (this.held === undefined) return;
    this.held = undefined;
    this.options.log.warn({ feed: this.name, why }, 'lost the lease: this node stops running it');
    const holder = this.holder!;
    this.step(() => holder.lost());
  }

  private step(run: () => Promise<void>): Promise<void> {
    this.work = this.work.then(run).catch((error: unknown) => this.options.log.error({ feed: this.name, err: error }, 'feed holder failed'));
    return this.work;
  }

  /**
   * While this node holds the lease: reads the stream in order, hands each batch to the holder,
   * removes it once stored. A batch stored and not yet removed (Redis did not answer the removal)
   * is removed before anything is read again, also under a lease lost and taken again meanwhile:
   * read again, it would be stored, and delivered, twice. Only when the outbox was handed back
   * meanwhile is it read again: the outbox gave each entry back or, recognized by Redis as one the
   * feed or another holder has, dropped it.
   */
  private async pull(): Promise<void> {
    if (this.pulling) return;
    this.pulling = true;
    const pollMs = this.options.pollMs ?? 50;
    const { connection, redis } = this.line;
    try {
      while (this.held !== undefined && !this.closed) {
        const held = this.held;
        if (connection.recovering) {
          await sleep(pollMs);
          continue;
        }
        if (this.unremoved !== undefined) {
          if (this.unremoved.handbacks === this.handbacks && !(await this.remove(this.unremoved, held))) {
            await sleep(pollMs);
            continue;
          }
          this.unremoved = undefined;
        }
        let rows: [string, string[]][];
        try {
          rows = await connection.command('read', () => redis.xrange(this.keys.stream, '-', '+', 'COUNT', FEED_BATCH));
        } catch {
          await sleep(pollMs * 4);
          continue;
        }
        if (rows.length === 0) {
          await sleep(pollMs);
          continue;
        }
        const entries = rows.map(([id, fields]) => {
          const entry = JSON.parse(fields[1]!) as FeedEntry;
          // Appended by an older version, without an id: its place in the stream names it.
          entry.feed = { id: entry.feed?.id ?? `stream-${id}`, takenUnder: held };
          return entry;
        });
        const holder = this.holder!;
        // A handback asked for while the holder stores them runs after it and sees them: counted from now.
        const handbacks = this.handbacks;
        let taken = false;
        await this.step(async () => {
          if (this.held !== held) return; // lost meanwhile: the next holder reads them
          await holder.take(entries);
          taken = true;
        });
        if (!taken) {
          await sleep(RETRY_MS); // the holder could not store them (logged): they stay in the feed
          continue;
        }
        const stored = rows.map(([id], index) => ({ id, entry: entries[index]!.feed!.id, bytes: entryBytes(entries[index]!) }));
        this.unremoved = { rows: stored, takenUnder: held, handbacks };
      }
    } finally {
      this.pulling = false;
    }
  }

  /**
   * Removes a stored batch from the stream, only while the lease `held` is still this node's; true
   * once removed. When the lease is no longer `held`, the batch is kept for this node's next lease
   * (removed then, unless the outbox was handed back meanwhile).
   */
  private async remove(batch: StoredBatch, held: string): Promise<boolean> {
    const { connection, redis } = this.line;
    try {
      const removed = await connection.command('remove', () => redis.eval(ackScript, 3 + batch.rows.length,
        this.keys.lease, this.keys.stream, this.keys.bytes, ...batch.rows.map((row) => this.record(row.entry)),
        held, batch.takenUnder, this.line.recordMs, ...batch.rows.flatMap((row) => [row.id, row.bytes])));
      if (removed === 1) return true;
      this.lose('another node holds the lease now');
    } catch {
      // Redis away or silent: tried again before anything is read
    }
    return false;
  }

  /** The key of an entry's record (recordMs). */
  private record(entry: string): string {
    return `${this.keys.entries}:${entry}`;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
