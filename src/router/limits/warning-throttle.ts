import type { Logger } from '../log.js';

/**
 * The log's defences against a flood: a warning that may repeat at the rate a client sends bad
 * input is written at most once per interval (the metrics count every occurrence). Three shapes,
 * by what the caller holds: a count and its own clock (WarningThrottle), a logger (QuietWarning),
 * or many keys (PerKeyLogThrottle).
 */

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

/**
 * A warning that may repeat at the rate a peer sends bad input: logged at most once per
 * interval, the next one saying how many were left out meanwhile (the metric counts them all).
 */
export class QuietWarning {
  private readonly throttle: WarningThrottle;

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = warningIntervalMs,
    private readonly now: () => number = Date.now,
  ) {
    this.throttle = new WarningThrottle(intervalMs);
  }

  warn(facts: Record<string, unknown>, message: string): void {
    const count = this.throttle.record(this.now());
    if (count === undefined) return;
    const notLogged = count - 1; // the occurrences since the last line, this one aside
    this.log.warn(notLogged === 0 ? facts : { ...facts, notLogged }, `${message} (more like it are not logged for ${this.intervalMs / 1000} s)`);
  }
}

/**
 * Says whether a log line about `key` may be written now: at most one per key per `intervalMs`.
 * Remembers at most `maxKeys` keys; when that many were logged within the interval, further
 * keys are not logged until some expire (the caller counts every event in a metric anyway).
 */
export class PerKeyLogThrottle {
  private readonly lastLogged = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly maxKeys = 1_024,
    private readonly now: () => number = Date.now,
  ) {}

  allow(key: string): boolean {
    const now = this.now();
    const last = this.lastLogged.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    if (last === undefined && this.lastLogged.size >= this.maxKeys) {
      this.forgetExpired(now);
      if (this.lastLogged.size >= this.maxKeys) return false;
    }
    this.lastLogged.set(key, now);
    return true;
  }

  private forgetExpired(now: number): void {
    for (const [key, at] of this.lastLogged) {
      if (now - at >= this.intervalMs) this.lastLogged.delete(key);
    }
  }
}
