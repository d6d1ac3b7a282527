import type { BoundCounter, Counter, Gauge, MetricsRegistry } from '../metrics/registry.js';

export type BackplaneDirection = 'sent' | 'received';

/** Why a message for other nodes did not leave this one (docs/metrics.md lists them). */
export type BackplaneDropReason = 'unreachable' | 'buffer_full';

/**
 * What a node's backplane counts, on the node's registry: messages per kind and direction, the
 * bytes its link put on the wire, what it dropped, and (read at each scrape) its peers, claims,
 * degraded state and the buffers between it and the others. The mesh counts messages; a link
 * counts what only it sees (wire bytes, drops, its buffer).
 */
export class BackplaneMetrics {
  private readonly messages: Counter;
  private readonly bytes: Counter;
  private readonly drops: Counter;
  /** Bound per (direction, kind): the label key is built once, not per message. */
  private readonly bound = new Map<string, BoundCounter>();
  readonly relayQueuedBytes: Gauge;
  readonly relayOverflows: Counter;
  readonly redisPendingBytes: Gauge;
  readonly relayPendingBytes: Gauge;
  readonly seatsUnchecked: Counter;

  constructor(private readonly registry: MetricsRegistry) {
    this.messages = registry.counter('junction_backplane_messages_total', 'Messages this node sent to or received from other cluster nodes, by direction (sent, received) and kind');
    this.bytes = registry.counter('junction_backplane_bytes_total', 'Bytes on the wire of the Redis link (MessagePack), by direction and kind; 0 with --workers alone, whose IPC encoding is Node\'s');
    this.drops = registry.counter('junction_backplane_dropped_total', 'Messages for other nodes that did not leave this one, by reason (unreachable: Redis away; buffer_full: cluster.redis.max_pending_bytes or --relay-buffer reached, publications only)');
    this.relayQueuedBytes = registry.gauge('junction_backplane_relay_queued_bytes', 'Bytes (estimated) the --workers parent holds for this worker, not yet written to it (as the parent last reported)');
    this.relayOverflows = registry.counter('junction_backplane_relay_overflows_total', 'Workers the --workers parent killed (and restarted) because their relay buffer passed --relay-buffer, all workers, as the parent last reported');
    this.relayPendingBytes = registry.gauge('junction_backplane_relay_pending_bytes', 'Bytes (estimated) of publications this worker handed to the --workers parent and not yet written to it');
    this.seatsUnchecked = registry.counter('junction_backplane_seats_unchecked_total',
      'Presence members this node admitted on its own count because Redis was away or did not answer: max_presence_members may be passed across nodes then');
    this.redisPendingBytes = registry.gauge('junction_backplane_redis_pending_bytes', 'Bytes of publications handed to Redis and not yet acknowledged by it');
  }

  /** Peers, claims and the degraded state, read at each scrape from whoever knows them. */
  watch(state: { peers(): number; claims(): number; degraded(): boolean }): () => void {
    const peers = this.registry.gauge('junction_backplane_peers', 'Other cluster nodes this node has heard from and not seen leave');
    const claims = this.registry.gauge('junction_backplane_claims', 'Procedures this node holds a cluster-wide claim for');
    const degraded = this.registry.gauge('junction_backplane_degraded', '1 while this node cannot reach the other nodes (it serves its own clients only), else 0');
    return this.registry.collect(() => {
      peers.set(state.peers());
      claims.set(state.claims());
      degraded.set(state.degraded() ? 1 : 0);
    });
  }

  message(direction: BackplaneDirection, kind: string): void {
    this.counterFor(this.messages, 'm', direction, kind).inc();
  }

  wireBytes(direction: BackplaneDirection, kind: string, bytes: number): void {
    this.counterFor(this.bytes, 'b', direction, kind).inc(bytes);
  }

  dropped(reason: BackplaneDropReason): void {
    this.drops.inc({ reason });
  }

  private counterFor(counter: Counter, which: string, direction: BackplaneDirection, kind: string): BoundCounter {
    const key = `${which}\u0000${direction}\u0000${kind}`;
    let bound = this.bound.get(key);
    if (!bound) this.bound.set(key, (bound = counter.bind({ direction, kind })));
    return bound;
  }
}
