import { WarningThrottle } from './warning-throttle.js';

/**
 * A token bucket: starts full with `burst` tokens, refills continuously at `perSecond`, and each
 * take() spends one. Time comes from the caller (milliseconds, monotonic), so tests use a manual clock.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(readonly perSecond: number, readonly burst: number, now: number) {
    this.tokens = burst;
    this.refilledAt = now;
  }

  take(now: number): boolean {
    const elapsed = now - this.refilledAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.perSecond) / 1000);
      this.refilledAt = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** One session's publish rate: its bucket, and how many publications it lost since the last warning. */
export class PublishRate {
  private readonly bucket: TokenBucket;
  private readonly refusals = new WarningThrottle();

  constructor(readonly perSecond: number, readonly burst: number, now: number) {
    this.bucket = new TokenBucket(perSecond, burst, now);
  }

  take(now: number): boolean {
    return this.bucket.take(now);
  }

  /**
   * Records one refused publication. Returns how many were refused since the last warning when a
   * warning is due now (then the count starts again), otherwise undefined.
   */
  refused(now: number): number | undefined {
    return this.refusals.record(now);
  }
}
