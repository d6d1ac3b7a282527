import { Redis, type RedisOptions } from 'ioredis';
import type { RedisServerConfig } from '../../config/model.js';

/** How one user of Redis wants its connection to behave; where Redis is comes from the config. */
export type RedisBehaviour = Pick<RedisOptions, 'enableOfflineQueue' | 'maxRetriesPerRequest' | 'connectionName' | 'autoResendUnfulfilledCommands'> & {
  /**
   * How long a command may go unanswered before its promise is rejected (ioredis's commandTimeout):
   * a Redis that stalls but keeps its connections open (its process paused, a network black hole)
   * would otherwise hold what waits on it for ever. The command stays in the connection's order,
   * so what is sent after it still runs after it if Redis runs it late.
   */
  commandTimeout?: number;
};

/** The longest wait between reconnection attempts through sentinels. */
const sentinelRetryCapMs = 250;

/**
 * How long a sentinel may take to answer which server is the primary before the next one is
 * asked. ioredis waits for ever by default: a sentinel that accepts connections but does not
 * answer (its process or host frozen) kept a node from the new primary after a failover.
 */
const sentinelAnswerLimitMs = 1_000;

/**
 * Every connection a node makes to Redis is made here, from the validated `cluster.redis`: one
 * server by URL, or the primary that Redis Sentinel names. Through sentinels ioredis asks them for
 * the primary at each (re)connection, checks that the server it reached is a primary (ROLE), and
 * (failoverDetector) drops its connection as soon as a sentinel announces a new primary, so that
 * it reconnects to it rather than waiting for the old one to be demoted.
 */
export function connectRedis(server: RedisServerConfig, behaviour: RedisBehaviour): Redis {
  const options: RedisOptions = {
    ...behaviour,
    ...(server.username === undefined ? {} : { username: server.username }),
    ...(server.password === undefined ? {} : { password: server.password }),
    // A primary demoted to a replica answers writes with READONLY until it closes our connection:
    // reconnect (to the new primary) and send the command again, which the replica did not run.
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
  };
  if (server.sentinels === undefined) return new Redis(server.url!, options);
  return neverGivingUp(new Redis({
    ...options,
    sentinels: server.sentinels,
    name: server.name!,
    ...(server.sentinelPassword === undefined ? {} : { sentinelPassword: server.sentinelPassword }),
    failoverDetector: true,
    sentinelCommandTimeout: sentinelAnswerLimitMs,
    // After the primary died, each attempt asks a sentinel again; ioredis's default wait grows to
    // 2 s, which would keep a node away up to that long after the promotion. Asking a sentinel is cheap.
    retryStrategy: (attempt) => Math.min(attempt * 50, sentinelRetryCapMs),
  }));
}

/** Connections closed on purpose (closeRedis): those are not connected again. */
const closedOnPurpose = new WeakSet<Redis>();

/**
 * ioredis gives a connection through sentinels up for good ("end") when a sentinel's failover
 * announcement drops it while it is still asking a sentinel for the primary (FailoverDetector
 * disconnects the connector mid-connect): after a failover with one sentinel not answering, a
 * node stayed away from Redis for ever. A node's connection must not give up: connect it again.
 */
function neverGivingUp(redis: Redis): Redis {
  redis.on('end', () => {
    if (closedOnPurpose.has(redis)) return;
    const timer = setTimeout(() => redis.connect().catch(() => {}), sentinelRetryCapMs);
    timer.unref();
  });
  return redis;
}

/**
 * Drops a connection at once and lets ioredis connect it again. ioredis's disconnect(true) ends
 * the socket politely and waits for the other side's FIN, which a half-open or frozen connection
 * never sends: the connection would stay as it is.
 */
export function reconnectRedis(redis: Redis): void {
  redis.stream?.destroy();
}

/** Closes a connection for good, at once: no QUIT whose answer may never come, no more reconnecting. */
export function closeRedis(redis: Redis): void {
  closedOnPurpose.add(redis);
  redis.disconnect();
}

/**
 * What a stopping node still says to Redis (freeing its claims, releasing a forwarder's lease) is
 * waited for this long at most: a Redis that does not answer (its host frozen or cut off) must not
 * hold the stop, and with it SIGTERM. The others then free what it held when its lease runs out.
 */
export const LAST_WORDS_LIMIT_MS = 1_000;

/** Waits for `words`, what the node says to Redis as it stops, at most LAST_WORDS_LIMIT_MS; a failure is ignored (the node is leaving). */
export async function lastWords(words: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, LAST_WORDS_LIMIT_MS)));
  await Promise.race([words.then(() => {}, () => {}), limit]);
  clearTimeout(timer);
}

/** Where Redis is, for logs, /health and errors: never a password. */
export function describeRedis(server: RedisServerConfig): string {
  if (server.sentinels === undefined) return `Redis at ${urlAddress(server.url!)}`;
  return `Redis primary "${server.name}" (sentinels ${server.sentinels.map(({ host, port }) => `${host}:${port}`).join(', ')})`;
}

/** host:port/db of a Redis URL: never its credentials. */
function urlAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return 'an unreadable URL';
  }
}
