/** At most one warning line per concern in this many ms: a flooding client must not flood the log too. */
export const warningIntervalMs = 10_000;

/**
 * Counts the occurrences of one condition (a refusal, an overflow) and says when a warning is
 * due: at the first one, then at most once per interval, each time with how many happened since
 * the last warning. Time comes from the caller (milliseconds, monotonic).
 */
export class WarningThrottle {
  private sinceWarning = 0;
  private warnedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly intervalMs = warningIntervalMs) {}

  /** Records one occurrence. Returns the count since the last warning when a warning is due now, else undefined. */
  record(now: number): number | undefined {
    this.sinceWarning++;
    if (now - this.warnedAt < this.intervalMs) return undefined;
    this.warnedAt = now;
    const count = this.sinceWarning;
    this.sinceWarning = 0;
    return count;
  }
}
