/** What the guard says about a request identity it is shown. */
export type Admission = 'fresh' | 'replayed' | 'full';

/**
 * Remembers the identities of accepted signed requests (key and nonce) for as long as their
 * timestamps could still be accepted, so that a captured request cannot be sent again.
 *
 * Every entry lives the same time, so the map's insertion order is also its expiry order and
 * expired entries are dropped from the front. When the map is full of live entries, new requests
 * are refused: forgetting a live entry would let its request be replayed.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    /** How long an identity is remembered, in ms. */
    private readonly ttlMs: number,
    /** Identities remembered at most. */
    private readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records `identity` unless it was seen within the time window or there is no room left. */
  admit(identity: string): Admission {
    const now = this.now();
    this.expire(now);
    if (this.seen.has(identity)) return 'replayed';
    if (this.seen.size >= this.capacity) return 'full';
    this.seen.set(identity, now + this.ttlMs);
    return 'fresh';
  }

  get size(): number {
    return this.seen.size;
  }

  private expire(now: number): void {
    for (const [identity, expiresAt] of this.seen) {
      if (expiresAt > now) return;
      this.seen.delete(identity);
    }
  }
}
