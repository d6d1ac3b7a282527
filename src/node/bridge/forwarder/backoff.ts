/** How long a failed delivery waits before its next attempt. */
export interface RetrySchedule {
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * The delay before the next attempt after `failures` failed ones (1 for the first retry).
 *
 * Exponential with full jitter above a floor: a random point between initialDelayMs and the
 * ceiling min(maxDelayMs, initialDelayMs * 2^failures). The jitter spreads the retries of many
 * queues that failed together (the app went down) so they do not all knock at the same moment
 * when it comes back; the floor keeps a retry from following its failure immediately.
 * `random` returns a number in [0, 1), as Math.random (tests inject their own).
 */
export function retryDelayMs(failures: number, schedule: RetrySchedule, random: () => number = Math.random): number {
  const floor = Math.min(schedule.initialDelayMs, schedule.maxDelayMs);
  // 2^52 already exceeds any sane cap; the bound keeps the power finite.
  const ceiling = Math.min(schedule.maxDelayMs, schedule.initialDelayMs * 2 ** Math.min(Math.max(failures, 1), 52));
  return Math.round(floor + random() * Math.max(0, ceiling - floor));
}
