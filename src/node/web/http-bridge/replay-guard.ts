/** What the guard says about a request identity it is shown. */
export type Admission = 'fresh' | 'replayed' | 'full';

/**
 * Remembers the identities of accepted signed requests (key and nonce) until their timestamps
 * could no longer be accepted, so that a captured request cannot be sent again.
 *
 * Honest clients sign with the current time, so entries arrive roughly in expiry order: expired
 * ones are dropped from the front at each admission, and the whole map is swept only when it is
 * full. When it is still full of live entries, new requests are refused: forgetting a live entry
 * would let its request be replayed.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    /** Identities remembered at most. */
    private readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records `identity` until `expiresAt` (ms) unless it is remembered already or there is no room left. */
  admit(identity: string, expiresAt: number): Admission {
    const now = this.now();
    this.dropExpiredFront(now);
    const known = this.seen.get(identity);
    if (known !== undefined && known > now) return 'replayed';
    if (this.seen.size >= this.capacity) this.sweep(now);
    if (this.seen.size >= this.capacity) return 'full';
    this.seen.delete(identity);
    this.seen.set(identity, expiresAt);
    return 'fresh';
  }

  get size(): number {
    return this.seen.size;
  }

  private dropExpiredFront(now: number): void {
    for (const [identity, expiresAt] of this.seen) {
      if (expiresAt > now) return;
      this.seen.delete(identity);
    }
  }

  private sweep(now: number): void {
    for (const [identity, expiresAt] of this.seen) if (expiresAt <= now) this.seen.delete(identity);
  }
}
