import type { Envelope } from '../../protocol/envelope.js';
import type { Event } from '../../protocol/messages.js';
import { WarningThrottle } from '../limits/warning-throttle.js';
import type { RouterMetrics } from '../router-metrics.js';
import type { ReplayMeter } from './retained-replay.js';

/**
 * The realm's view of its retained replays: gauges of those running and of the live bytes they
 * hold, a counter of those whose
 * held live events passed max_held_live_bytes_per_session, and a warning on the session's log
 * naming the topic, at most once per 10 s for the realm with how many since the last one.
 * `uriOf` names a subscription's topic (its pattern, when the event does not carry the topic).
 */
export function replayMeter(metrics: RouterMetrics, realm: string, now: () => number, uriOf: (subscription: number) => string | undefined): ReplayMeter {
  const labels = { realm };
  const overflows = metrics.retainedReplayOverflows.bind(labels);
  const throttle = new WarningThrottle();
  return {
    running: (delta) => metrics.retainedReplays.add(delta, labels),
    held: (deltaBytes) => metrics.retainedReplayHeldBytes.add(deltaBytes, labels),
    waiting: (delta) => metrics.retainedReplayWaiting.add(delta, labels),
    overflowed(session, subscription, event: Envelope, heldBytes, limit) {
      overflows.inc();
      const since = throttle.record(now());
      if (since === undefined) return;
      const topic = ((event.message as Event).details.topic as string | undefined) ?? uriOf(subscription);
      session.log.warn({ session: session.id, topic, heldBytes, limit, overflows: since },
        'live events held behind retained ones passed max_held_live_bytes_per_session: all sent to the connection at once, ' +
        'its slow-consumer limit decides (overflows: since the last warning; further ones not logged for 10 s)');
    },
    retainedOverflowed(session, subscription, waiting, limit) {
      overflows.inc();
      const since = throttle.record(now());
      if (since === undefined) return;
      session.log.warn({ session: session.id, topic: uriOf(subscription), waiting, limit, overflows: since },
        'retained events waiting for a session passed max_waiting_retained_per_session: all sent to the connection at once, ' +
        'its slow-consumer limit decides (overflows: since the last warning; further ones not logged for 10 s)');
    },
  };
}
