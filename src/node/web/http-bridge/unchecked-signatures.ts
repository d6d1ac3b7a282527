import type { BoundCounter, Counter, MetricsRegistry } from '../../../metrics/registry.js';
import type { Logger } from '../../../router/log.js';
import { QuietWarning } from '../../../router/limits/warning-throttle.js';
import { signatureParameters } from './signed-request.js';

/**
 * A publisher or caller without `key`/`secret` takes any request, as Crossbar does, also one that
 * carries signature query parameters: nothing checks them. Its sender believes it signs, so the
 * operator is told: each such request is counted, and a warning naming the path and the
 * parameters (never their values) is logged at most once per interval, with how many were not.
 */
export class UncheckedSignatures {
  private readonly warning: QuietWarning;
  private readonly counter: Counter;
  /** Bound at the first such request: a path that never gets one shows no series. */
  private counted: BoundCounter | undefined;

  constructor(
    log: Logger,
    metrics: MetricsRegistry,
    private readonly labels: { service: 'publisher' | 'caller'; path: string },
  ) {
    this.warning = new QuietWarning(log);
    this.counter = metrics.counter('junction_http_bridge_unchecked_signatures_total',
      'HTTP bridge requests with signature query parameters to a publisher or caller without key/secret: accepted unchecked');
  }

  /** Looks at the query of a request's URL; most requests have none, and cost a search for "?". */
  note(url: string | undefined, client: string): void {
    const start = url?.indexOf('?') ?? -1;
    if (start < 0) return;
    const query = new URLSearchParams(url!.slice(start + 1));
    const given = signatureParameters.filter((name) => query.has(name));
    if (given.length === 0) return;
    this.counted ??= this.counter.bind(this.labels);
    this.counted.inc();
    this.warning.warn({ client, parameters: given },
      `a request carried signature parameters, but this ${this.labels.service} has no key/secret: nothing checked them, and it was taken as an unsigned request (Crossbar does the same); give the path key and secret to require signed requests, or have the sender stop signing`);
  }
}
