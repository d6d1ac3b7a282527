import type { ServerResponse } from 'node:http';
import type { BoundCounter, Counter, Gauge } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import { QuietWarning } from '../../router/limits/warning-throttle.js';
import { sendJson } from './http-reply.js';

export interface PathRequestsSpec {
  /** Counts requests by outcome (with `labels` and `outcome`); "busy" for those refused here. */
  requests: Counter;
  /** Requests under way (with `labels`). */
  inFlight: Gauge;
  labels: Record<string, string>;
  /** At most this many at once (the path's options.max_requests_in_flight). */
  max: number;
  log: Logger;
  /** What the log is told of a refused request, and what its client is told (with 503 too_many_requests). */
  busy: { warning: string; message: string };
}

/**
 * The requests of one path that does slow work for each (forwarding, running a script): at most
 * `max` at once, more refused at once with 503 and Retry-After (warned at most every 10 s), and
 * each counted by how it ended.
 */
export class PathRequests<Outcome extends string> {
  private running = 0;
  private readonly counters = new Map<Outcome | 'busy', BoundCounter>();
  private readonly busyWarnings: QuietWarning;

  constructor(private readonly spec: PathRequestsSpec) {
    this.busyWarnings = new QuietWarning(spec.log);
    // Counted up and down, not set: after a reload the handler it replaced may still finish requests of the same path.
    spec.inFlight.add(0, spec.labels);
  }

  /**
   * Runs `work` for a request unless `max` are under way (then the client gets 503 at once);
   * counts its outcome when it settles. `work` answers the client itself, whatever happens.
   */
  admit(response: ServerResponse, work: () => Promise<Outcome>): void {
    const { max, busy } = this.spec;
    if (this.running >= max) {
      this.count('busy');
      this.busyWarnings.warn({ maxRequestsInFlight: max }, busy.warning);
      response.setHeader('retry-after', '1');
      sendJson(response, 503, { error: 'too_many_requests', message: busy.message });
      return;
    }
    this.running++;
    this.spec.inFlight.add(1, this.spec.labels);
    void work().then((outcome) => {
      this.running--;
      this.spec.inFlight.add(-1, this.spec.labels);
      this.count(outcome);
    });
  }

  private count(outcome: Outcome | 'busy'): void {
    let counter = this.counters.get(outcome);
    if (!counter) this.counters.set(outcome, (counter = this.spec.requests.bind({ ...this.spec.labels, outcome })));
    counter.inc();
  }
}
