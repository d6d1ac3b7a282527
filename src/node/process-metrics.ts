import { constants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import type { MetricsRegistry } from '../metrics/registry.js';

/** How often the event-loop delay is sampled (ms): the delay histogram's resolution. */
const EVENT_LOOP_RESOLUTION_MS = 10;

const gcKinds: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/**
 * The process's own health as an operator reads it: how late the event loop runs timers (every
 * message waits that long), and how often and how long garbage collection stops it. Returns how
 * to stop measuring.
 */
export function startProcessMetrics(registry: MetricsRegistry): () => void {
  const delay = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  delay.enable();
  const delayGauge = registry.gauge('junction_event_loop_delay_seconds',
    `Event-loop delay since the previous scrape, by quantile (0.5, 0.99, 1 = the largest), sampled every ${EVENT_LOOP_RESOLUTION_MS} ms`);
  const stopCollecting = registry.collect(() => {
    // Histogram values are nanoseconds; with no sample yet (min is its initial huge value) report 0.
    const sampled = delay.count > 0;
    for (const [quantile, value] of [['0.5', delay.percentile(50)], ['0.99', delay.percentile(99)], ['1', delay.max]] as const) {
      delayGauge.set(sampled ? value / 1e9 : 0, { quantile });
    }
    delay.reset();
  });

  const pauses = registry.counter('junction_gc_pauses_total', 'Garbage collections, by kind (minor, major, incremental, weakcb)');
  const pauseSeconds = registry.counter('junction_gc_pause_seconds_total', 'Time the process spent in garbage collection, by kind');
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
      const labels = { kind: gcKinds[entry.detail?.kind ?? -1] ?? 'other' };
      pauses.inc(labels);
      pauseSeconds.inc(labels, entry.duration / 1000);
    }
  });
  observer.observe({ entryTypes: ['gc'] });

  return () => {
    stopCollecting();
    delay.disable();
    observer.disconnect();
  };
}
