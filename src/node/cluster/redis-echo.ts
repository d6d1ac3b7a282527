/**
 * Whether this node's subscriber connection still delivers what Redis sends it. That connection
 * only reads: a command timeout never covers it, and when it alone stalls (a proxy or Redis's
 * client-output-buffer limit blocking it, a half-open TCP connection after a network fault) the
 * other nodes' messages stop arriving while every command still gets its answer. Each heartbeat
 * this node publishes to all nodes also reaches its own subscriber: once Redis acknowledged the
 * PUBLISH, the message is on its way to every subscriber of the channel, this node's included. A
 * heartbeat acknowledged and not heard back within `limitMs` means the subscriber is deaf.
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

  constructor(readonly limitMs: number) {}

  /** The number for the next heartbeat sent. */
  number(): number {
    return this.next++;
  }

  /** Redis acknowledged the PUBLISH of heartbeat `seq` at `at`. */
  acknowledged(seq: number, at: number): void {
    if (seq > this.heardUpTo) this.waiting.set(seq, at);
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

  /** How long the oldest acknowledged heartbeat has waited, if past the limit. */
  overdueMs(now: number): number | undefined {
    for (const at of this.waiting.values()) return now - at > this.limitMs ? now - at : undefined;
    return undefined;
  }

  /** A new subscriber connection: what the old one owed is no longer expected. */
  reset(): void {
    this.waiting.clear();
    this.heardUpTo = this.next - 1;
  }
}
