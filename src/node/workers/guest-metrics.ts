/**
 * The junction_guest_* metrics: defined here once, for the process that runs the guests (alone,
 * or the `--workers` parent) and for the workers that export the parent's figures.
 */

import type { Counter, Gauge, MetricsRegistry, Sample } from '../../metrics/registry.js';
import { isJunctionMessage } from '../cluster/ipc-messages.js';

export interface GuestMetrics {
  running: Gauge;
  starts: Counter;
  exits: Counter;
  dropped: Counter;
}

export function guestMetrics(registry: MetricsRegistry): GuestMetrics {
  return {
    running: registry.gauge('junction_guest_running', 'Whether each guest worker is running (1) or not (0), by guest'),
    starts: registry.counter('junction_guest_starts_total', 'Guest worker programs started, by guest'),
    exits: registry.counter('junction_guest_exits_total',
      'Guest worker exits, by guest and outcome: success (code 0), error (another code), signal, not_started, stopped (by Junction), killed (by Junction, after the grace)'),
    dropped: registry.counter('junction_guest_output_dropped_lines_total',
      'Guest worker output lines not logged, by guest and reason: too_long (over max_line_bytes) or rate (over log_lines_per_second)'),
  };
}

/** Forgets every series of `guest` (a reload removed it): what is no longer configured is not exposed forever. */
export function forgetGuest(metrics: GuestMetrics, guest: string): void {
  for (const metric of Object.values(metrics)) metric.forget({ guest });
}

/** Every value of each guest metric, as the `--workers` parent has them. */
export type GuestFigures = Record<keyof GuestMetrics, Sample[]>;

/**
 * Every second from the `--workers` parent (parent-guests.ts) to each worker, which exports the
 * figures as its own (guestMetricsFromParent). Carries the `junction` key like ipc-messages.ts;
 * the relay and the link ignore it.
 */
export interface GuestFiguresMessage {
  junction: 'guests';
  figures: GuestFigures;
}

export function guestFigures(metrics: GuestMetrics): GuestFigures {
  return {
    running: metrics.running.samples(),
    starts: metrics.starts.samples(),
    exits: metrics.exits.samples(),
    dropped: metrics.dropped.samples(),
  };
}

/**
 * Makes `metrics` show the parent's figures: a gauge as it is, a counter never back (a late report
 * is ignored), and a guest the parent no longer reports (a reload removed it) forgotten. The
 * worker's own guests (its router components' Python) are not the parent's: `fromParent` holds
 * the guests the parent reported last time, and is updated.
 */
function showGuestFigures(metrics: GuestMetrics, figures: GuestFigures, fromParent: Set<string>): void {
  const reported = new Set(figures.running.map(({ labels }) => labels.guest!));
  for (const guest of fromParent) {
    if (!reported.has(guest)) forgetGuest(metrics, guest);
  }
  fromParent.clear();
  for (const guest of reported) fromParent.add(guest);
  for (const { labels, value } of figures.running) metrics.running.set(value, labels);
  for (const name of ['starts', 'exits', 'dropped'] as const) {
    for (const { labels, value } of figures[name]) metrics[name].setTotal(value, labels);
  }
}

/** The worker's end of its IPC channel to the parent, as far as the guest figures go. */
export interface GuestFiguresChannel {
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

/** In a `--workers` worker: its /metrics shows the guests the parent runs, as the parent last reported them. */
export function guestMetricsFromParent(channel: GuestFiguresChannel, registry: MetricsRegistry): void {
  const metrics = guestMetrics(registry);
  const fromParent = new Set<string>();
  channel.on('message', (raw) => {
    if (isJunctionMessage<GuestFiguresMessage>(raw, 'guests')) showGuestFigures(metrics, raw.figures, fromParent);
  });
}
