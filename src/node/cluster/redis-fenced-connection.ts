import type { Redis } from 'ioredis';
import type { RedisServerConfig } from '../../config/model.js';
import type { Logger } from '../../router/log.js';
import { closeRedis, connectRedis, reconnectRedis } from './redis-connection.js';
import { connectionName, fenceOff } from './redis-fence.js';
import { isCommandTimeout, type RedisConnectionRole, type RedisRefusal, type RedisTimeouts } from './redis-timeouts.js';

/** The CLIENT commands only the half-open replacement needs: their refusal is warned about once by fence(), not logged as an error. */
const fencingCommands = new Set(['client_id', 'client_list', 'client_kill']);

export interface FencedConnectionOptions {
  server: RedisServerConfig;
  /** Which of the node's connections this is, for metrics and logs. */
  role: RedisConnectionRole;
  /** Its CLIENT SETNAME: tells it apart on Redis from every other connection (see namedConnection). */
  name: string;
  timeouts: RedisTimeouts;
  log: Logger;
  /** Called whenever `usable` or `stalled` may have changed. */
  changed(): void;
}

/**
 * One of a node's connections to Redis for commands, kept in order across a stall. A command
 * unanswered for `cluster.redis.command_timeout` marks it stalled; while stalled, tend() asks with
 * a PING whether Redis answers again (its answer means every command sent before has run: one
 * connection keeps order). A connection still silent twice the timeout after the stall began (a
 * half-open TCP connection after a network fault never answers again) is dropped and made again;
 * each new connection first closes the one before on Redis (fenceOff), so that what that one sent
 * has run or never will, and only then is usable. ioredis's resending of unanswered commands on a
 * new connection is off (they would run after what was sent since), and so is its offline queue
 * (while Redis is away, commands fail at once instead of piling up in memory).
 */
export class FencedConnection {
  readonly redis: Redis;
  private stalledFlag = false;
  /** When the connection last stalled, or was last replaced for it. */
  private stalledSince = 0;
  /** Counts the connection's closes: a timeout of a command sent on an older connection says nothing of this one. */
  private generationCount = 0;
  /** This connection closed the one before on Redis (fence) and may be used. */
  private fenced = false;
  /** CLIENT ID of the last connection that was used, for the next one to close (fenceOff). */
  private lastId: number | undefined;
  /** Redis refuses CLIENT (an ACL, a renamed command): an old connection cannot be closed, so none is replaced. */
  private cannotFence = false;
  /** A PING asks whether a stalled Redis answers again (one at a time). */
  private probing = false;
  private closed = false;
  /** The last command Redis refused to the node's user (ACL), and when. */
  private lastRefusal: RedisRefusal | undefined;

  constructor(private readonly options: FencedConnectionOptions) {
    this.redis = connectRedis(options.server, {
      enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: options.timeouts.limitMs,
      connectionName: options.name, autoResendUnfulfilledCommands: false,
    });
    // Connection failures are reported through 'close'/'ready' below, once per change. A refused
    // SELECT (the URL's database) is only an 'error': ioredis then goes on in database 0.
    this.redis.on('error', (error: unknown) => this.noteRefusal('connect', error));
    this.redis.on('close', () => {
      this.generationCount++;
      this.fenced = false;
      options.changed();
    });
    this.redis.on('ready', () => void this.fence());
  }

  /** A command went unanswered for the timeout, and Redis has not answered since (on this connection or a new one). */
  get stalled(): boolean {
    return this.stalledFlag;
  }

  /** Connected, the connection before closed on Redis, and answering. */
  get usable(): boolean {
    return !this.closed && this.redis.status === 'ready' && this.fenced && !this.stalledFlag;
  }

  /** Not usable now but expected to be soon: a stall being sorted out, or a new connection closing the old one on Redis. */
  get recovering(): boolean {
    return !this.closed && (this.stalledFlag || (this.redis.status === 'ready' && !this.fenced));
  }

  /** Changes each time the connection closes: what was sent before and not answered is then in doubt. */
  get generation(): number {
    return this.generationCount;
  }

  /** The last command Redis refused to the node's user (ACL), and when: no retry mends it. */
  get refusal(): RedisRefusal | undefined {
    return this.lastRefusal;
  }

  /** Runs one command on the connection; one that goes unanswered for the timeout marks it stalled, one Redis refuses (ACL) is reported. */
  command<T>(name: string, run: () => Promise<T>): Promise<T> {
    const generation = this.generationCount;
    return run().catch((error: unknown) => {
      if (isCommandTimeout(error)) this.unanswered(name, generation);
      else if (!fencingCommands.has(name)) this.noteRefusal(name, error);
      throw error;
    });
  }

  /** Call regularly: while stalled, replaces a connection silent past the bound, and asks whether Redis answers. */
  tend(now = Date.now()): void {
    if (!this.stalledFlag || this.closed) return;
    this.replaceStalled(now);
    this.probe();
  }

  /** Closes it for good, at once. */
  close(): void {
    this.closed = true;
    closeRedis(this.redis);
  }

  private noteRefusal(command: string, error: unknown): void {
    if (this.options.timeouts.refused(this.options.role, command, error)) this.lastRefusal = { command, at: Date.now() };
  }

  private unanswered(command: string, generation: number): void {
    this.options.timeouts.unanswered(this.options.role, command);
    if (this.stalledFlag || this.closed || generation !== this.generationCount) return;
    this.stalledFlag = true;
    this.stalledSince = Date.now();
    this.options.changed();
  }

  /**
   * A new connection (Redis answered its handshake): closes the one used before on Redis, then is
   * used. Its own CLIENT ID is asked first, and kept only once the old one is closed: the next
   * connection must close whichever of the two may have carried commands.
   */
  private async fence(): Promise<void> {
    const { name, log } = this.options;
    const generation = this.generationCount;
    try {
      const id = Number(await this.command('client_id', () => this.redis.client('ID')));
      // A name Redis did not take (CLIENT SETNAME refused: ioredis ignores it) would never match on the next connection.
      const named = connectionName(String(await this.command('client_list', () => this.redis.client('LIST', 'ID', String(id)))));
      if (named !== name) throw new Error(`this connection is named "${named ?? ''}", not "${name}" (CLIENT SETNAME refused?)`);
      const old = this.lastId;
      if (old !== undefined && old !== id) await this.command('client_kill', () => fenceOff(this.redis, old, name));
      this.lastId = id;
    } catch (error) {
      // Closed meanwhile, or silent too (counted as stalled; replaced again after the bound): a later connection fences.
      if (generation !== this.generationCount || this.closed || isCommandTimeout(error) || this.redis.status !== 'ready') return;
      this.cannotFence = true;
      this.lastId = undefined;
      log.warn({ err: error, connection: this.options.role },
        `Redis refused CLIENT SETNAME/ID/LIST/KILL: a ${this.options.role} connection that stops answering (half-open) cannot be replaced safely, so it is kept until Redis answers on it or closes it; allow these commands to the node's Redis user`);
    }
    this.fenced = true;
    this.stalledFlag = false;
    this.options.changed();
  }

  /** Replaces a connection silent past the bound (half-open: it would never answer), unless it cannot be closed on Redis. */
  private replaceStalled(now: number): void {
    const stalledMs = now - this.stalledSince;
    if (this.cannotFence || stalledMs < this.options.timeouts.replaceAfterMs || this.redis.status !== 'ready') return;
    this.stalledSince = now;
    this.options.timeouts.replaced(this.options.role, stalledMs);
    reconnectRedis(this.redis);
  }

  /** Asks whether Redis answers again. Its answer means every command sent before has run. */
  private probe(): void {
    if (this.probing) return;
    this.probing = true;
    this.command('ping', () => this.redis.ping()).then(() => {
      this.probing = false;
      if (!this.stalledFlag || this.closed) return;
      this.stalledFlag = false;
      this.options.changed();
    }, () => (this.probing = false));
  }
}
