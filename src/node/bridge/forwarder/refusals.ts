import type { BoundCounter } from '../../../metrics/registry.js';
import type { Logger } from '../../../router/log.js';
import { urlForLog } from '../../../config/mask-secrets.js';
import type { ForwardEvent } from './forward-event.js';

/** Refusals are logged at most this often; the counter has each one. */
const REFUSAL_LOG_INTERVAL_MS = 1_000;

/**
 * Events a forwarder did not take (its outbox or the cluster's feed is full, or the event cannot
 * be stored): each counted, logged at most once a second with how many since the last line. What
 * a throttled second held back is reported when that second is over, so the log never stops
 * short of the counter while the node runs.
 */
export class Refusals {
  private unlogged = 0;
  private lastLog = -Infinity;
  private lastReason = '';
  private pendingReport: NodeJS.Timeout | undefined;

  constructor(private readonly counter: BoundCounter, private readonly log: Logger, private readonly now: () => number = Date.now) {}

  refuse(event: Omit<ForwardEvent, 'body'>, reason: string): false {
    this.counter.inc();
    this.unlogged += 1;
    this.lastReason = reason;
    const now = this.now();
    if (now - this.lastLog >= REFUSAL_LOG_INTERVAL_MS) {
      this.log.error(
        { url: urlForLog(event.url), topic: event.topic, publication: event.publication, reason, refused: this.unlogged },
        'forwarder refused an event: it will not be delivered (refused counts this one and those since the last report)',
      );
      this.lastLog = now;
      this.unlogged = 0;
    } else if (!this.pendingReport) {
      this.pendingReport = setTimeout(() => this.report(), this.lastLog + REFUSAL_LOG_INTERVAL_MS - now);
      this.pendingReport.unref();
    }
    return false;
  }

  /** At stop: the refusals not yet reported. */
  flush(): void {
    this.report();
  }

  private report(): void {
    clearTimeout(this.pendingReport);
    this.pendingReport = undefined;
    if (this.unlogged === 0) return;
    this.log.error({ refused: this.unlogged, reason: this.lastReason }, 'forwarder refused events since the last report: they will not be delivered');
    this.lastLog = this.now();
    this.unlogged = 0;
  }
}
