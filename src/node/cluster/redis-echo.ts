/**
 * Whether this node's subscriber connection still delivers what Redis sends it. That connection
 * only reads: a command timeout never covers it, and when it alone stalls (a proxy or Redis's
 * client-output-buffer limit blocking it, a half-open TCP connection after a network fault) the
 * other nodes' messages stop arriving while every command still gets its answer. Each heartbeat
 * this node publishes to all nodes also reaches its own subscriber: once Redis acknowledged the
 * PUBLISH, the message is on its way to every subscriber of the channel, this node's included. A
 * heartbeat acknowledged and not heard back within `limitMs`, while the subscriber delivered
 * nothing else either, means it is deaf. A subscriber that delivers, only behind (much traffic
 * for this node), is not: replacing it would lose what it still holds.
 *
 * Heartbeats carry a number so that an echo heard before its acknowledgement (the two arrive on
 * different connections, in either order) is matched all the same.
 */
export class SubscriberEcho {
  private next = 0;
  /** The highest heartbeat number heard back on the subscriber. */
  private heardUpTo = -1;
  /** Heartbeats Redis acknowledged and the subscriber has not delivered: number -> when acknowledged, oldest first. */
  private readonly waiting = new Map<number, number>();
  /** Messages the subscriber delivered (any), and how many of them the last check had seen, when. */
  private deliveries = 0;
  private deliveriesSeen = 0;
  private deliveredAt = 0;

  constructor(readonly limitMs: number) {}

  /** The number for the next heartbeat sent. */
  number(): number {
    return this.next++;
  }

  /** Redis acknowledged the PUBLISH of heartbeat `seq` at `at`. */
  acknowledged(seq: number, at: number): void {
    if (seq > this.heardUpTo) this.waiting.set(seq, at);
  }

  /** The subscriber delivered a message (cheap: counted, looked at by the next check). */
  delivered(): void {
    this.deliveries++;
  }

  /** The subscriber delivered heartbeat `seq`: it and every earlier one count as heard (one connection keeps order). */
  heard(seq: number): void {
    if (seq <= this.heardUpTo) return;
    this.heardUpTo = seq;
    for (const waiting of this.waiting.keys()) {
      if (waiting > seq) break;
      this.waiting.delete(waiting);
    }
  }

  /** How long the subscriber has owed a heartbeat and delivered nothing, if past the limit. */
  overdueMs(now: number): number | undefined {
    if (this.deliveries !== this.deliveriesSeen) {
      this.deliveriesSeen = this.deliveries;
      this.deliveredAt = now;
    }
    for (const acknowledgedAt of this.waiting.values()) {
      const silentMs = now - Math.max(acknowledgedAt, this.deliveredAt);
      return silentMs > this.limitMs ? silentMs : undefined;
    }
    return undefined;
  }

  /** A new subscriber connection: what the old one owed is no longer expected. */
  reset(): void {
    this.waiting.clear();
    this.heardUpTo = this.next - 1;
  }
}
