import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { isLive, parseCookieEntry, type CookieEntry, type CookieStore } from '../../auth/cookie/store.js';
import type { ClusterConfig } from '../../config/model.js';
import type { BoundGauge, Counter, Gauge, MetricsRegistry } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import type { CookieJarsOptions } from '../web/cookie-jars.js';
import { corruptEntryReport, type CorruptEntryReport } from '../web/cookie-store-open.js';
import { namedConnection } from './redis-fence.js';
import { FencedConnection } from './redis-fenced-connection.js';
import { RedisTimeouts } from './redis-timeouts.js';
import { PerKeyLogThrottle } from '../../router/limits/warning-throttle.js';

/**
 * Binds a cookie in one atomic step: drops the store's expired entries, makes room under
 * max_entries by dropping the oldest (their entries too), then adds this one, which Redis forgets
 * when the cookie expires. KEYS: the store's order (sorted set: hash -> expiry), the entry.
 * ARGV: now, expires, entry JSON, max_entries, the entries' key prefix, the hash, ms to live.
 * Returns { evicted, entries }.
 */
const bindScript = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[6])
local evicted = 0
while redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) do
  local oldest = redis.call('ZPOPMIN', KEYS[1])
  redis.call('DEL', ARGV[5] .. oldest[1])
  evicted = evicted + 1
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[6])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[7])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(last[2]) - tonumber(ARGV[1])))
return {evicted, redis.call('ZCARD', KEYS[1])}`;

/** KEYS: the store's order, the entry. ARGV: the hash. Returns the entries left. */
const forgetScript = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return redis.call('ZCARD', KEYS[1])`;

/**
 * How long a node serves a cookie it read from Redis from its own memory: a browser's upgrade and
 * HELLO, and its quick reconnects, cost one read. A logout anywhere drops it at once (the
 * backplane note); an entry Redis evicted for room on another node may sign in here this long.
 */
export const recentReadMs = 5_000;

/** Logouts not yet written while Redis is away, at most (the oldest go first, counted): retried once it answers. */
const maxPendingForgets = 10_000;

/** How often at most a failure of the same kind is logged (every one is counted). */
const warnIntervalMs = 10_000;

/** What a browser sees of each operation Redis did not take. */
const consequences = {
  read: 'browsers sign in with their other methods',
  bind: 'the sign-in binds no cookie',
  forget: 'the logout is written once Redis answers',
} as const;

type Operation = keyof typeof consequences;

/**
 * The node's connection to Redis for its cookie stores (one for all its paths), made as the
 * cluster's other command connections are (FencedConnection: replaced when stalled). Opened at the
 * first store, closed with the node.
 */
class CookieRedis {
  readonly connection: FencedConnection;
  private readonly timer: NodeJS.Timeout;
  /** Logouts Redis did not take, retried once it answers: entry key -> [order key, hash]. */
  readonly pendingForgets = new Map<string, [order: string, hash: string]>();
  /** How many entries each path's store keeps from its recent reads. */
  readonly recentReads: Gauge;
  private readonly failures: Counter;
  private readonly warnings = new PerKeyLogThrottle(warnIntervalMs);
  /** Counts and warns about a read of an entry that is not ours to read, by store. */
  readonly readCorrupt: CorruptEntryReport;
  /** Reads waiting for a connection that is coming up (its first connect, a fence, a stall sorted out). */
  private readonly waiting = new Set<() => void>();

  constructor(readonly cluster: ClusterConfig, nodeId: string, private readonly log: Logger, metrics: MetricsRegistry) {
    const timeouts = new RedisTimeouts(log, cluster.commandTimeoutMs, metrics);
    this.connection = new FencedConnection({
      server: cluster.redis, role: 'cookies', name: namedConnection('cookies', nodeId, randomBytes(8).toString('hex')),
      timeouts, log, changed: () => this.changed(),
    });
    this.recentReads = metrics.gauge('junction_cookie_store_recent_reads',
      'Bound cookies this node keeps in memory after reading them from the cluster\'s Redis (each for 5 s, at most the path\'s cookie.max_entries), by store');
    this.failures = metrics.counter('junction_cookie_store_unavailable_total',
      'Cookie store operations the cluster\'s Redis did not take (away, stalled or refusing), by operation (read: the client signed in with its other methods; bind; forget: retried once Redis answers; forget_dropped: a logout waiting for Redis dropped for room)');
    this.readCorrupt = corruptEntryReport(metrics, log, 'the cluster\'s Redis');
    this.timer = setInterval(() => {
      this.connection.tend();
      this.retryForgets();
    }, Math.max(50, Math.floor(cluster.commandTimeoutMs / 4)));
    this.timer.unref();
  }

  /**
   * Whether the connection can take a command: at once when it is usable or away; while it is
   * coming up, once it is, or not after the command timeout.
   */
  private async ready(): Promise<boolean> {
    if (this.connection.usable) return true;
    if (!this.connection.recovering && !['wait', 'connect', 'connecting'].includes(this.connection.redis.status)) return false;
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    this.waiting.add(wake);
    const timer = setTimeout(wake, this.cluster.commandTimeoutMs);
    await woken;
    clearTimeout(timer);
    this.waiting.delete(wake);
    return this.connection.usable;
  }

  /** Runs one command once the connection can take it; rejects when it cannot (Redis away). */
  async run<T>(name: string, command: (redis: Redis) => Promise<T>): Promise<T> {
    if (!(await this.ready())) throw new Error(this.connection.recovering ? 'stalled' : 'not connected');
    return this.connection.command(name, () => command(this.connection.redis));
  }

  private changed(): void {
    this.retryForgets();
    if (this.connection.usable) for (const wake of this.waiting) wake();
  }

  /** Counts a failed operation and warns, at most once per 10 s for each kind. */
  failed(operation: Operation, error: unknown): void {
    this.failures.inc({ operation });
    if (!this.warnings.allow(operation)) return;
    this.log.warn({ operation, err: (error as Error).message },
      `the cluster's cookie store in Redis is not answering (${operation}): ${consequences[operation]}; further ones are counted in junction_cookie_store_unavailable_total`);
  }

  forgetLater(entryKey: string, order: string, hash: string): void {
    this.pendingForgets.delete(entryKey);
    if (this.pendingForgets.size >= maxPendingForgets) {
      this.pendingForgets.delete(this.pendingForgets.keys().next().value!);
      this.failures.inc({ operation: 'forget_dropped' });
    }
    this.pendingForgets.set(entryKey, [order, hash]);
  }

  private retryForgets(): void {
    if (!this.connection.usable) return;
    for (const [entryKey, [order, hash]] of [...this.pendingForgets]) {
      this.pendingForgets.delete(entryKey);
      this.run('cookie_forget', (redis) => redis.eval(forgetScript, 2, order, entryKey, hash)).catch(() => this.forgetLater(entryKey, order, hash));
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.connection.close();
  }
}

/**
 * A path's cookies in the cluster's Redis, so that a browser signed in on one node is on every
 * other: `PREFIX:cookies:NAME:e:HASH` the entry (JSON; Redis forgets it when the cookie expires),
 * `PREFIX:cookies:NAME:order` the hashes by expiry, which bounds the store at max_entries. Only
 * the SHA-256 of a cookie is ever sent (token.ts). While Redis is away a read rejects (the browser
 * signs in with its other methods and keeps its cookie), a binding is not made, and a logout is
 * written once Redis answers (until then this node reads the cookie as forgotten).
 */
export class RedisCookieStore implements CookieStore {
  private entries = 0;
  private evictions = 0;
  private readonly base: string;
  /** Live entries read lately (recentReadMs), oldest first, at most maxEntries: only bound cookies, so only sign-ins fill it. */
  private readonly recent = new Map<string, { entry: CookieEntry; until: number }>();
  /** Counts the entries dropped from `recent`: a read that began before a drop does not keep what it read. */
  private drops = 0;

  /** `name`: the path's, "web:/ws" (its transport's id and its path). */
  private readonly recentCount: BoundGauge;

  constructor(private readonly redis: CookieRedis, private readonly name: string, public maxEntries: number, private readonly onEvicted: () => void) {
    this.base = `${redis.cluster.prefix}:cookies:${name}`;
    this.recentCount = redis.recentReads.bind({ store: name });
    this.recentCount.set(0);
  }

  async get(key: string, now: number): Promise<CookieEntry | undefined> {
    if (this.redis.pendingForgets.has(this.entryKey(key))) return undefined;
    const recent = this.recent.get(key);
    if (recent !== undefined && recent.until > performance.now()) return isLive(recent.entry, now) ? recent.entry : undefined;
    const drops = this.drops;
    let json: string | null;
    try {
      json = await this.redis.run('cookie_get', (redis) => redis.get(this.entryKey(key)));
    } catch (error) {
      this.redis.failed('read', error);
      throw error;
    }
    if (json === null) return undefined;
    const entry = parseCookieEntry(json);
    if (entry === undefined) this.redis.readCorrupt(this.name, key);
    if (!isLive(entry, now)) return undefined;
    if (drops === this.drops) this.keep(key, entry);
    return entry;
  }

  put(key: string, entry: CookieEntry, now: number): void {
    this.drop(key);
    const entryKey = this.entryKey(key);
    this.redis.pendingForgets.delete(entryKey);
    const ttl = Math.max(1, entry.expires - now);
    this.redis.run('cookie_bind', (redis) => redis.eval(bindScript, 2, this.order, entryKey,
      now, entry.expires, JSON.stringify(entry), this.maxEntries, `${this.base}:e:`, key, ttl)).then((answer) => {
      const [evicted, entries] = answer as [number, number];
      this.entries = entries;
      for (let i = 0; i < evicted; i++) {
        this.evictions++;
        this.onEvicted();
      }
    }, (error: unknown) => this.redis.failed('bind', error));
  }

  forget(key: string): void {
    this.drop(key);
    const entryKey = this.entryKey(key);
    this.redis.run('cookie_forget', (redis) => redis.eval(forgetScript, 2, this.order, entryKey, key)).then((entries) => {
      this.entries = entries as number;
    }, (error: unknown) => {
      this.redis.failed('forget', error);
      this.redis.forgetLater(entryKey, this.order, key);
    });
  }

  /** A logout on another node (the backplane note): this node no longer serves the cookie from memory. */
  forgottenElsewhere(key: string): void {
    this.drop(key);
  }

  private keep(key: string, entry: CookieEntry): void {
    this.recent.delete(key);
    const now = performance.now();
    for (const [oldest, { until }] of this.recent) {
      if (until > now && this.recent.size < this.maxEntries) break;
      this.recent.delete(oldest);
    }
    this.recent.set(key, { entry, until: now + recentReadMs });
    this.recentCount.set(this.recent.size);
  }

  private drop(key: string): void {
    this.drops++;
    this.recent.delete(key);
    this.recentCount.set(this.recent.size);
  }

  /** As of this node's last write: the other nodes' bindings since are not seen until then. */
  get size(): number {
    return this.entries;
  }

  get evicted(): number {
    return this.evictions;
  }

  /** The connection is the node's, closed with it. */
  close(): Promise<void> {
    this.recent.clear();
    this.recentCount.set(0);
    return Promise.resolve();
  }

  private get order(): string {
    return `${this.base}:order`;
  }

  private entryKey(key: string): string {
    return `${this.base}:e:${key}`;
  }
}

/** In a Redis cluster: every path's memory store is a RedisCookieStore, over one connection the node opens at the first. */
export function redisCookieStores(cluster: ClusterConfig, nodeId: string, log: Logger, metrics: MetricsRegistry): Pick<CookieJarsOptions, 'clusterStore' | 'closeClusterStores'> {
  let redis: CookieRedis | undefined;
  return {
    clusterStore: (name, maxEntries, onEvicted) => new RedisCookieStore(redis ??= new CookieRedis(cluster, nodeId, log, metrics), name, maxEntries, onEvicted),
    closeClusterStores: () => {
      redis?.close();
      return Promise.resolve();
    },
  };
}
