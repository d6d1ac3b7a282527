import type { BoundCounter, BoundGauge, MetricsRegistry } from '../../metrics/registry.js';

export type MirrorKind = 'subscription' | 'registration';
/** Where forwarded traffic goes: to this router's sessions, or to the other router's. */
export type Direction = 'to_local' | 'to_remote';
/** What a link attempt failed at: connecting and joining (refusals included), setting up the forwarding, or the session was lost. */
export type LinkFailure = 'connect' | 'setup' | 'lost';
/** What the link did with a message from the other router that quoted its secret (echo-guard.ts). */
export type EchoAction = 'masked' | 'refused';

/** One link's metrics (docs/metrics.md "Router links"), labelled with its realm and id. */
export interface LinkMeter {
  up: BoundGauge;
  failures: Record<LinkFailure, BoundCounter>;
  events: Record<Direction, BoundCounter>;
  eventFailures: BoundCounter;
  eventsInFlight: BoundGauge;
  eventBytesInFlight: BoundGauge;
  eventsDropped: BoundCounter;
  calls: Record<Direction, BoundCounter>;
  callsInFlight: BoundGauge;
  callBytesInFlight: BoundGauge;
  callsRefused: BoundCounter;
  mirrored: Record<MirrorKind, BoundGauge>;
  mirrorsRefused: Record<MirrorKind, BoundCounter>;
  secretEchoes: Record<EchoAction, BoundCounter>;
}

/** Registers the router link metrics (every node exports them, at 0 without links); `forLink` binds one link's. */
export function rlinkMetrics(metrics: MetricsRegistry): { forLink(realm: string, link: string): LinkMeter } {
  const up = metrics.gauge('junction_rlink_up', 'Whether a router link has its session to the other router (1) or not (0).');
  const failures = metrics.counter('junction_rlink_failures_total', 'Router link attempts that failed, by stage: connect (refusals included), setup, lost.');
  const events = metrics.counter('junction_rlink_events_forwarded_total', 'Events a router link published, by direction (to_local, to_remote).');
  const eventFailures = metrics.counter('junction_rlink_event_failures_total', 'Events a router link could not publish (refused by the router it published on, or on a topic its subscription does not cover).');
  const eventsInFlight = metrics.gauge('junction_rlink_events_in_flight', 'Events a router link published that the router it published on has not acknowledged yet (limits.max_events_in_flight).');
  const eventBytesInFlight = metrics.gauge('junction_rlink_event_bytes_in_flight', 'Bytes (estimated) of the events counted in junction_rlink_events_in_flight (limits.max_event_bytes_in_flight).');
  const eventsDropped = metrics.counter('junction_rlink_events_dropped_total', 'Events a router link did not forward at limits.max_events_in_flight or max_event_bytes_in_flight.');
  const calls = metrics.counter('junction_rlink_calls_forwarded_total', 'Calls a router link forwarded, by direction (to_local, to_remote).');
  const inFlight = metrics.gauge('junction_rlink_calls_in_flight', 'Calls a router link is forwarding now (limits.max_calls_in_flight).');
  const callBytesInFlight = metrics.gauge('junction_rlink_call_bytes_in_flight', 'Bytes (estimated) of the arguments of the calls counted in junction_rlink_calls_in_flight (limits.max_call_bytes_in_flight).');
  const callsRefused = metrics.counter('junction_rlink_calls_refused_total', 'Calls a router link refused at limits.max_calls_in_flight or max_call_bytes_in_flight.');
  const mirrored = metrics.gauge('junction_rlink_mirrored', 'Subscriptions and registrations a router link holds for the other side, by kind.');
  const mirrorsRefused = metrics.counter('junction_rlink_mirrors_refused_total', 'Subscriptions and registrations a router link did not mirror (limits.max_subscriptions, max_registrations), by kind.');
  const echoes = metrics.counter('junction_rlink_secret_echoes_total', 'Messages from the other router that quoted the router link\'s own secret, by action: masked (passed on with it masked), refused (a URI quoting it).');
  const byKind = <T>(make: (kind: MirrorKind) => T): Record<MirrorKind, T> => ({ subscription: make('subscription'), registration: make('registration') });
  const byDirection = <T>(make: (direction: Direction) => T): Record<Direction, T> => ({ to_local: make('to_local'), to_remote: make('to_remote') });
  const forLink = (realm: string, link: string): LinkMeter => {
    const labels = { realm, link };
    const meter: LinkMeter = {
      up: up.bind(labels),
      failures: { connect: failures.bind({ ...labels, stage: 'connect' }), setup: failures.bind({ ...labels, stage: 'setup' }), lost: failures.bind({ ...labels, stage: 'lost' }) },
      events: byDirection((direction) => events.bind({ ...labels, direction })),
      eventFailures: eventFailures.bind(labels),
      eventsInFlight: eventsInFlight.bind(labels),
      eventBytesInFlight: eventBytesInFlight.bind(labels),
      eventsDropped: eventsDropped.bind(labels),
      calls: byDirection((direction) => calls.bind({ ...labels, direction })),
      callsInFlight: inFlight.bind(labels),
      callBytesInFlight: callBytesInFlight.bind(labels),
      callsRefused: callsRefused.bind(labels),
      mirrored: byKind((kind) => mirrored.bind({ ...labels, kind })),
      mirrorsRefused: byKind((kind) => mirrorsRefused.bind({ ...labels, kind })),
      secretEchoes: { masked: echoes.bind({ ...labels, action: 'masked' }), refused: echoes.bind({ ...labels, action: 'refused' }) },
    };
    // Shown from the start (at 0), so a dashboard sees a link that never came up.
    meter.up.set(0);
    for (const kind of ['subscription', 'registration'] as const) meter.mirrored[kind].set(0);
    for (const gauge of [meter.callsInFlight, meter.callBytesInFlight, meter.eventsInFlight, meter.eventBytesInFlight]) gauge.set(0);
    return meter;
  };
  return { forLink };
}
