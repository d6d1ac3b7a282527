import type { Counter, MetricsRegistry } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import { PerKeyLogThrottle } from '../../router/limits/warning-throttle.js';

/** Which of a node's Redis connections a command went on: the backplane's (claims, announcements, heartbeats), the forwarders' feeds, or the cookie stores'. */
export type RedisConnectionRole = 'backplane' | 'feeds' | 'cookies';

/** The rejection ioredis gives a command that got no answer within its `commandTimeout`. */
const IOREDIS_TIMEOUT_MESSAGE = 'Command timed out';

/**
 * How many command timeouts a stall of the backplane's commands connection may last before the node
 * replaces that connection (a half-open one never answers again; see RedisLink.replaceStalled).
 */
const REPLACE_STALLED_AFTER_TIMEOUTS = 2;

/** A warning about unanswered commands at most this often per connection and command; the counter has every one. */
const WARN_INTERVAL_MS = 10_000;

/** Whether `error` is ioredis giving up on an unanswered command (rather than a refused or failed one). */
export function isCommandTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === IOREDIS_TIMEOUT_MESSAGE;
}

/**
 * Whether Redis refused the node's user name or password: WRONGPASS (Redis 6+), NOAUTH (none
 * given), "ERR invalid password" (older), or a password given to a Redis that has none.
 */
export function isCredentialRefusal(message: string): boolean {
  return /^(WRONGPASS|NOAUTH)\b|invalid password|called without any password configured/.test(message);
}

/**
 * Whether `error` is Redis refusing a command, a key or a channel to the node's user (ACL): `NOPERM ...`
 * for a command sent, `The user executing the script can't ...` for one a Lua script runs (Redis 7.0).
 */
export function isPermissionRefusal(error: unknown): boolean {
  return error instanceof Error && (error.message.startsWith('NOPERM') || error.message.includes('The user executing the script can'));
}

/** A command Redis refused to the node's user (ACL), and when. */
export interface RedisRefusal {
  command: string;
  at: number;
}

/** The later of two refusals (either may be missing). */
export function latestRefusal(a: RedisRefusal | undefined, b: RedisRefusal | undefined): RedisRefusal | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a.at >= b.at ? a : b;
}

/** Where the Redis user's permissions are listed, for the operator a refusal is logged to. */
const ACL_DOC = 'docs/cluster.md, "The Redis user"';

/**
 * Redis commands that went unanswered for `cluster.redis.command_timeout`: each counted in
 * `junction_cluster_redis_timeouts_total{connection, command}`, and warned at most once per
 * WARN_INTERVAL_MS for each (a stalled Redis makes many of them at once). Also the commands Redis
 * refused to the node's user (ACL), which no retry mends: counted and logged as errors the same way.
 */
export class RedisTimeouts {
  private readonly counter: Counter | undefined;
  private readonly deafCounter: Counter | undefined;
  private readonly reconnectCounter: Counter | undefined;
  private readonly refusedCounter: Counter | undefined;
  private readonly warnings = new PerKeyLogThrottle(WARN_INTERVAL_MS);

  constructor(private readonly log: Logger, readonly limitMs: number, registry?: MetricsRegistry) {
    this.counter = registry?.counter('junction_cluster_redis_timeouts_total',
      'Redis commands this node gave up waiting on after cluster.redis.command_timeout, by connection (backplane, feeds, cookies) and command');
    this.deafCounter = registry?.counter('junction_cluster_redis_subscriber_stalls_total',
      'Times this node\'s subscriber connection to Redis delivered none of its own heartbeats within cluster.redis.command_timeout, and was dropped and made again');
    this.reconnectCounter = registry?.counter('junction_cluster_redis_reconnects_total',
      'Times this node dropped one of its connections to Redis and made a new one, by connection and reason (stalled: unanswered for twice cluster.redis.command_timeout)');
    this.refusedCounter = registry?.counter('junction_cluster_redis_refused_total',
      'Redis commands refused to this node\'s Redis user for want of a permission (ACL), by connection (backplane, feeds, cookies) and command');
  }

  /** How long the commands connection may stay stalled before it is replaced. */
  get replaceAfterMs(): number {
    return REPLACE_STALLED_AFTER_TIMEOUTS * this.limitMs;
  }

  /** Counts one unanswered command and warns unless one like it was warned about lately. */
  unanswered(connection: RedisConnectionRole, command: string): void {
    this.counter?.inc({ connection, command });
    if (!this.warnings.allow(`${connection}\u0000${command}`)) return;
    this.log.warn({ connection, command, timeoutMs: this.limitMs },
      `Redis did not answer a command within ${this.limitMs} ms (cluster.redis.command_timeout): ${connection} ${command}; further ones are counted in junction_cluster_redis_timeouts_total`);
  }

  /**
   * Counts and logs `error` when it is Redis refusing `command` to the node's user; says whether it was.
   * The cluster cannot work without the permission (the command never runs), so it is an error, not a warning.
   */
  refused(connection: RedisConnectionRole, command: string, error: unknown): boolean {
    if (!isPermissionRefusal(error)) return false;
    this.refusedCounter?.inc({ connection, command });
    if (this.warnings.allow(`refused\u0000${connection}\u0000${command}`)) {
      this.log.error({ connection, command, redis: (error as Error).message },
        `Redis refused the ${connection} command ${command} to this node's Redis user (ACL): the cluster does not work without it; give the user the permissions ${ACL_DOC} lists. Further ones are counted in junction_cluster_redis_refused_total`);
    }
    return true;
  }

  /** Counts one subscriber connection found deaf (its heartbeat unheard for `waitedMs`) and warns unless one was warned about lately. */
  deaf(waitedMs: number): void {
    this.deafCounter?.inc();
    if (!this.warnings.allow('subscriber')) return;
    this.log.warn({ waitedMs, timeoutMs: this.limitMs },
      `this node's subscriber connection to Redis delivered none of its heartbeats within ${this.limitMs} ms (cluster.redis.command_timeout): the other nodes' messages were not arriving; reconnecting it. Further ones are counted in junction_cluster_redis_subscriber_stalls_total`);
  }

  /** Counts one commands connection dropped for answering nothing for `stalledMs`, and warns unless one was warned about lately. */
  replaced(connection: RedisConnectionRole, stalledMs: number): void {
    this.reconnectCounter?.inc({ connection, reason: 'stalled' });
    if (!this.warnings.allow(`replaced\u0000${connection}`)) return;
    this.log.warn({ connection, stalledMs, timeoutMs: this.limitMs },
      `this node's ${connection} connection to Redis answered nothing for ${stalledMs} ms (${REPLACE_STALLED_AFTER_TIMEOUTS} x cluster.redis.command_timeout): replacing it, and closing the old one on Redis before anything is sent on the new one. Further ones are counted in junction_cluster_redis_reconnects_total`);
  }

  /** The text a client gets when what it asked waited on such a command. */
  explain(what: string): string {
    return `the cluster's Redis did not answer ${what} within ${this.limitMs} ms (cluster.redis.command_timeout); nothing was done, try again`;
  }
}
