import type { Redis } from 'ioredis';
import type { RedisServerConfig } from '../../config/model.js';
import type { Logger } from '../../router/log.js';
import { closeRedis, connectRedis, lastWords } from './redis-connection.js';
import { entryBytes, FEED_BATCH, RETRY_MS, type ClusterFeeds, type FeedEntry, type FeedHolder, type FeedLimits, type LeasedFeed } from './leased-feed.js';
import { plural } from '../../protocol/plural.js';
import { isCommandTimeout, type RedisTimeouts } from './redis-timeouts.js';

export interface RedisFeedsOptions {
  redis: RedisServerConfig;
  prefix: string;
  nodeId: string;
  /** A holder that cannot renew its lease for this long has lost it; another node takes over once it runs out. */
  leaseMs: number;
  log: Logger;
  /** How often the holder looks for new entries when the feed was empty. Default 50 ms. */
  pollMs?: number;
  /** Bounds every command's wait for Redis (its limit), and counts those unanswered; default: commands wait for ever. */
  timeouts?: RedisTimeouts;
}

/** KEYS: stream, its byte count. ARGV: message limit, byte limit, entry bytes, entry. Returns 'ok' or why it is full. */
const appendScript = `
local held = redis.call('XLEN', KEYS[1])
if held >= tonumber(ARGV[1]) then return 'messages:' .. held end
local bytes = tonumber(redis.call('GET', KEYS[2]) or '0')
if bytes + tonumber(ARGV[3]) > tonumber(ARGV[2]) then return 'bytes:' .. bytes end
redis.call('XADD', KEYS[1], '*', 'e', ARGV[4])
redis.call('INCRBY', KEYS[2], ARGV[3])
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
 * KEYS: lease, stream, its byte count. ARGV: holder value, bytes, ids... Removes entries the holder
 * stored, only while the lease is still its own (the fencing check): a holder that lost its
 * lease removes nothing, and the next holder reads those entries again.
 */
const ackScript = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('XDEL', KEYS[2], unpack(ARGV, 3))
redis.call('DECRBY', KEYS[3], ARGV[2])
return 1`;

/** KEYS: lease. ARGV: holder value. */
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

/**
 * Leased feeds in Redis: the feed is a stream (`PREFIX:feed:NAME`, with its byte count in
 * `PREFIX:feed-bytes:NAME`), the lease a key (`PREFIX:lease:NAME` = "node#token", SET NX PX)
 * renewed every third of the lease, with a fencing token from `PREFIX:fence:NAME`. Nodes that do
 * not hold it try to take it as often; the holder reads the stream and removes what it stored.
 */
export class RedisFeeds implements ClusterFeeds {
  private readonly redis: Redis;
  private readonly feeds = new Set<RedisFeed>();

  constructor(private readonly options: RedisFeedsOptions) {
    this.redis = connectRedis(options.redis, {
      enableOfflineQueue: false, maxRetriesPerRequest: 1,
      ...(options.timeouts === undefined ? {} : { commandTimeout: options.timeouts.limitMs }),
    });
    // The cluster link reports Redis being away, and a feed what it could not do; a refused SELECT is only an 'error'.
    this.redis.on('error', (error: unknown) => void options.timeouts?.refused('feeds', 'connect', error));
  }

  /** Resolves once its connection is up (bounded by `timeoutMs`): appends made before would be refused. */
  async ready(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.redis.status !== 'ready') {
      if (Date.now() > deadline) throw new Error(`Redis did not answer the forwarders' connection within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  feed(name: string, limits: FeedLimits): LeasedFeed {
    const feed = new RedisFeed(this.redis, name, limits, this.options, () => this.feeds.delete(feed));
    this.feeds.add(feed);
    return feed;
  }

  async close(): Promise<void> {
    await lastWords(Promise.all([...this.feeds].map((feed) => feed.close())));
    closeRedis(this.redis);
  }

  /** Stops as a process that dies would: the lease is left to run out (tests). */
  vanish(): void {
    for (const feed of this.feeds) feed.vanish();
    closeRedis(this.redis);
  }
}

class RedisFeed implements LeasedFeed {
  private readonly keys: { stream: string; bytes: string; lease: string; fence: string };
  private holder: FeedHolder | undefined;
  /** "node#token" while this node holds the lease. */
  private held: string | undefined;
  private renewedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The holder's steps (granted, take, lost) run one at a time. */
  private work: Promise<void> = Promise.resolve();
  private pulling = false;
  private metOtherHolder = false;
  private tending = false;
  private closed = false;

  constructor(private readonly redis: Redis, private readonly name: string, private readonly limits: FeedLimits,
    private readonly options: RedisFeedsOptions, private readonly onClosed: () => void) {
    const key = (kind: string): string => `${options.prefix}:${kind}:${name}`;
    this.keys = { stream: key('feed'), bytes: key('feed-bytes'), lease: key('lease'), fence: key('fence') };
  }

  async append(entry: FeedEntry): Promise<string | undefined> {
    if (this.closed) return `"${this.name}" is stopping`;
    try {
      const answer = String(await this.redis.eval(appendScript, 2, this.keys.stream, this.keys.bytes,
        this.limits.messages, this.limits.bytes, entryBytes(entry), JSON.stringify(entry)));
      if (answer === 'ok') return undefined;
      const [kind, held] = answer.split(':');
      return kind === 'messages'
        ? `the cluster's feed of "${this.name}" holds ${plural(Number(held), 'event')} no node has taken yet (outbox_limit)`
        : `the cluster's feed of "${this.name}" holds ${held} bytes no node has taken yet (outbox_limit_bytes)`;
    } catch (error) {
      this.noteFailure(error, 'append');
      return `Redis did not take it into the cluster's feed: ${(error as Error).message}`;
    }
  }

  async holderNode(): Promise<string | undefined> {
    const held = await this.redis.get(this.keys.lease);
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
      await this.redis.eval(releaseScript, 1, this.keys.lease, held).catch(() => {});
    }
    await this.work;
  }

  vanish(): void {
    this.closed = true;
    clearInterval(this.timer);
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
    try {
      if (this.held !== undefined) {
        const renewed = await this.redis.eval(renewScript, 1, this.keys.lease, this.held, leaseMs);
        if (renewed === 1) this.renewedAt = Date.now();
        else this.lose('another node holds the lease now');
        return;
      }
      const token = Number(await this.redis.eval(acquireScript, 2, this.keys.lease, this.keys.fence, nodeId, leaseMs));
      if (token === 0 && !this.metOtherHolder && !this.closed) {
        this.metOtherHolder = true;
        const holder = this.holder!;
        if (holder.heldElsewhere) this.step(() => holder.heldElsewhere!());
      }
      if (token === 0 || this.closed) return;
      this.held = `${nodeId}#${token}`;
      this.renewedAt = Date.now();
      log.info({ feed: this.name, token }, 'took the lease: this node runs it now');
      const holder = this.holder!;
      this.step(() => holder.granted());
      void this.pull();
    } catch (error) {
      this.noteFailure(error, 'lease');
      if (this.held !== undefined && Date.now() - this.renewedAt > leaseMs) this.lose(`the lease could not be renewed: ${(error as Error).message}`);
    }
  }

  private noteFailure(error: unknown, command: string): void {
    if (isCommandTimeout(error)) this.options.timeouts?.unanswered('feeds', command);
    else this.options.timeouts?.refused('feeds', command, error);
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

  /** While this node holds the lease: reads the stream in order, hands each batch to the holder, removes it once stored. */
  private async pull(): Promise<void> {
    if (this.pulling) return;
    this.pulling = true;
    const pollMs = this.options.pollMs ?? 50;
    try {
      while (this.held !== undefined && !this.closed) {
        const held = this.held;
        let rows: [string, string[]][];
        try {
          rows = await this.redis.xrange(this.keys.stream, '-', '+', 'COUNT', FEED_BATCH);
        } catch (error) {
          this.noteFailure(error, 'read');
          await sleep(pollMs * 4);
          continue;
        }
        if (rows.length === 0) {
          await sleep(pollMs);
          continue;
        }
        const entries = rows.map(([, fields]) => JSON.parse(fields[1]!) as FeedEntry);
        const holder = this.holder!;
        let stored = false;
        await this.step(async () => {
          if (this.held !== held) return; // lost meanwhile: the next holder reads them
          await holder.take(entries);
          stored = true;
        });
        if (!stored) {
          await sleep(RETRY_MS); // the holder could not store them (logged): they stay in the feed
          continue;
        }
        const bytes = entries.reduce((sum, entry) => sum + entryBytes(entry), 0);
        const removed = await this.redis.eval(ackScript, 3, this.keys.lease, this.keys.stream, this.keys.bytes, held, bytes, ...rows.map(([id]) => id))
          .catch((error: unknown) => {
            this.noteFailure(error, 'remove');
            return 0;
          });
        // Not removed (the lease moved, or Redis is away): they may be read again, by this node or the next holder.
        if (removed !== 1) await sleep(pollMs);
      }
    } finally {
      this.pulling = false;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
