import type { Counter } from '../../metrics/registry.js';
import type { Logger } from '../log.js';
import { limitMessage, type PerSessionLimit } from './session-limits.js';
import { WarningThrottle } from './warning-throttle.js';

/**
 * Refusals over a per-session limit (subscriptions, registrations, calls in flight): each counted
 * by realm and limit, and warned at most once per 10 s per limit with how many since the last
 * warning, so an operator sees a client hitting a limit without a flooding client flooding the log.
 */
export class LimitRefusals {
  private readonly throttles = new Map<PerSessionLimit, WarningThrottle>();

  constructor(private readonly counter: Counter, private readonly realm: string, private readonly now: () => number) {}

  /** Counts one refusal, warns on the refused session's log when due, and returns the ERROR's message. */
  refuse(log: Logger, limit: PerSessionLimit, max: number): string {
    this.counter.inc({ realm: this.realm, limit });
    let throttle = this.throttles.get(limit);
    if (!throttle) this.throttles.set(limit, (throttle = new WarningThrottle()));
    const since = throttle.record(this.now());
    if (since !== undefined) {
      log.warn({ limit, max, refused: since }, 'refused over a per-session limit (refused: since the last warning; further ones not logged for 10 s)');
    }
    return limitMessage(limit, max);
  }
}
