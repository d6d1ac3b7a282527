import type { Logger } from '../../router/log.js';

/**
 * A warning that may repeat at the rate a peer sends bad input: logged at most once per
 * interval, the next one saying how many were left out meanwhile (the metric counts them all).
 */
export class QuietWarning {
  private nextAt = 0;
  private suppressed = 0;

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(facts: Record<string, unknown>, message: string): void {
    const now = this.now();
    if (now < this.nextAt) {
      this.suppressed += 1;
      return;
    }
    this.nextAt = now + this.intervalMs;
    const left = this.suppressed;
    this.suppressed = 0;
    this.log.warn(left === 0 ? facts : { ...facts, notLogged: left }, `${message} (more like it are not logged for ${this.intervalMs / 1000} s)`);
  }
}
