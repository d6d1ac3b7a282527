import type { Redis } from 'ioredis';

export interface RedisLivenessOptions {
  /** A connection for commands (not the subscriber: a subscribed connection cannot ask PUBSUB NUMSUB). */
  redis: Redis;
  /** The channel a node's subscriber connection listens on (its own channel). */
  channelOf(node: string): string;
  /**
   * When this node's own connections to Redis were last (re)established, or undefined while they
   * are not both healthy. A check is trusted only if this did not change while it ran.
   */
  connectedAt(): number | undefined;
  /** The other nodes this one thinks alive, with when each was last heard. */
  peers(): ReadonlyMap<string, number>;
  /** Called once a node is known gone: the same path as its lease running out. */
  gone(node: string): void;
  /** How often to ask Redis; a dead node is noticed within about two of these. */
  everyMs: number;
  /** Hears why a check failed (a refusal is the operator's to mend; silence the link reports itself). */
  failed?(error: unknown): void;
}

/**
 * Notices at once a node whose process died, instead of when its lease runs out. The kernel closes
 * a dead process's sockets, so Redis drops its subscriber connection and the node's own channel
 * loses its only subscriber. Every `everyMs` one `PUBSUB NUMSUB` for all the peers' channels asks
 * Redis how many subscribers each has. A peer is declared gone only when all of these hold:
 * - this node's own connections are healthy and were not re-established between the checks (after
 *   a Redis restart or a blip of ours, the zeros say nothing about the others);
 * - the peer was heard after our connection was last established: it lives on this Redis instance
 *   now, rather than still reconnecting after a Redis restart (those wait for their lease as before);
 * - its channel had no subscriber on two checks in a row, `everyMs` apart: a node whose own
 *   connection blinked resubscribes within its first reconnect attempt (about 50 ms), before the
 *   second check. If it takes longer it is forgotten early, and converges as after a lease:
 *   its reconnect announces it again (hello, state, claims).
 * Cost: one small command per `everyMs` per node, O(peers) in Redis, whether busy or idle.
 */
export class RedisLiveness {
  /** Peers with no subscriber at the last check, under the connection epoch it ran in. */
  private suspects = new Set<string>();
  private epoch: number | undefined;
  private checking = false;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly options: RedisLivenessOptions) {
    this.timer = setInterval(() => void this.check(), options.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    if (this.checking) return; // Redis is slow: one question at a time
    const epoch = this.options.connectedAt();
    if (epoch === undefined || epoch !== this.epoch) {
      this.suspects.clear();
      this.epoch = epoch;
    }
    if (epoch === undefined) return;
    const nodes = [...this.options.peers()].filter(([, heard]) => heard >= epoch).map(([node]) => node);
    if (nodes.length === 0) return this.suspects.clear();
    this.checking = true;
    try {
      const reply = await this.options.redis.pubsub('NUMSUB', ...nodes.map((node) => this.options.channelOf(node))) as unknown[];
      if (this.options.connectedAt() !== epoch) return this.suspects.clear();
      const unheard = new Set(nodes.filter((_, i) => Number(reply[2 * i + 1]) === 0));
      for (const node of unheard) {
        if (!this.suspects.has(node)) continue;
        unheard.delete(node);
        this.options.gone(node);
      }
      this.suspects = unheard;
    } catch (error) {
      this.suspects.clear(); // Redis did not answer (this node's own link reports that) or refused
      this.options.failed?.(error);
    } finally {
      this.checking = false;
    }
  }
}
