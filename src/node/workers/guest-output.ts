/**
 * A guest's stdout and stderr lines in the log, as Crossbar logs them (one line each, blank lines
 * left out), with two bounds a chatty or broken guest cannot pass: a line longer than
 * `maxLineBytes` is not logged (its length is, in a warning), and at most `linesPerSecond` lines
 * are logged per second (a burst of as many); the rest are dropped. Every dropped line is counted
 * by reason, and a warning says so at most every 10 s. Secrets the guest was given are masked
 * as in a process component's output.
 */

import type { BoundCounter } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import { LineSplitter } from '../bridge/stdio/line-splitter.js';
import { guestLog } from './guest-texts.js';
import { QuietWarning } from '../../router/limits/warning-throttle.js';

export interface GuestOutputLimits {
  maxLineBytes: number;
  linesPerSecond: number;
}

export interface GuestOutputMetrics {
  droppedTooLong: BoundCounter;
  droppedRate: BoundCounter;
}

export class GuestOutput {
  private tokens: number;
  private refilledAt: number;
  private readonly tooLong: QuietWarning;
  private readonly overRate: QuietWarning;

  constructor(
    private readonly log: Logger,
    private readonly limits: GuestOutputLimits,
    private readonly metrics: GuestOutputMetrics,
    private readonly maskSecrets: (text: string) => string,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limits.linesPerSecond;
    this.refilledAt = now();
    this.tooLong = new QuietWarning(log, 10_000, now);
    this.overRate = new QuietWarning(log, 10_000, now);
  }

  /** A splitter for one stream ("stdout" or "stderr"): push its chunks in. */
  stream(stream: 'stdout' | 'stderr'): LineSplitter {
    return new LineSplitter(
      this.limits.maxLineBytes,
      (line) => this.line(stream, line),
      (bytes) => {
        this.metrics.droppedTooLong.inc();
        this.tooLong.warn({ stream, bytes, maxLineBytes: this.limits.maxLineBytes }, guestLog.lineTooLong);
      },
    );
  }

  private line(stream: 'stdout' | 'stderr', line: string): void {
    if (!this.take()) {
      this.metrics.droppedRate.inc();
      this.overRate.warn({ stream, linesPerSecond: this.limits.linesPerSecond }, guestLog.rateExceeded);
      return;
    }
    this.log.info({ stream }, this.maskSecrets(line.trim()));
  }

  /** A token bucket: `linesPerSecond` tokens a second, holding at most as many. */
  private take(): boolean {
    const now = this.now();
    const perSecond = this.limits.linesPerSecond;
    this.tokens = Math.min(perSecond, this.tokens + ((now - this.refilledAt) * perSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
