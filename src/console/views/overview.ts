/** The node at a glance: uptime, realms, counts, message rates as live charts, memory, event-loop delay. */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../../client/session.js';
import { ErrorText, formatBytes, formatDuration } from '../ui.js';
import { Chart } from './chart.js';

/** junction.node.stats, as the router answers it (src/node/console-procedures.ts). */
export interface NodeStats {
  version: string;
  started: string;
  uptime_seconds: number;
  realm: string;
  realms: { name: string; sessions: number }[];
  sessions: number;
  subscriptions: number;
  registrations: number;
  messages_received: number;
  publications: number;
  events_sent: number;
  calls: number;
  memory: { rss: number; heap_used: number; heap_total: number };
  event_loop_delay_ms: { mean: number; p99: number; max: number };
  forwarders: string[];
}

/** Overview reads the stats this often (the rates are differences of two readings). */
export const STATS_EVERY_MS = 2000;
/** Points kept per chart: five minutes at one reading every two seconds. */
const CHART_POINTS = 150;

interface Series {
  times: number[];
  received: number[];
  sent: number[];
}

export function Overview({ session }: { session: Session }) {
  const [stats, setStats] = useState<NodeStats | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [series, setSeries] = useState<Series>({ times: [], received: [], sent: [] });
  useEffect(() => {
    let previous: { at: number; stats: NodeStats } | undefined;
    let current = true;
    const read = async () => {
      try {
        const result = await session.call('junction.node.stats');
        if (!current) return;
        const next = result.args[0] as NodeStats;
        const at = Date.now();
        if (previous) {
          const seconds = Math.max(0.001, (at - previous.at) / 1000);
          const before = previous.stats;
          setSeries((s) => ({
            times: [...s.times, at / 1000].slice(-CHART_POINTS),
            received: [...s.received, Math.max(0, next.messages_received - before.messages_received) / seconds].slice(-CHART_POINTS),
            sent: [...s.sent, Math.max(0, next.events_sent - before.events_sent) / seconds].slice(-CHART_POINTS),
          }));
        }
        previous = { at, stats: next };
        setStats(next);
        setError(undefined);
      } catch (failure) {
        if (current) setError(failure);
      }
    };
    void read();
    const timer = setInterval(read, STATS_EVERY_MS);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [session]);

  return html`<section aria-labelledby="overview-title">
    <h2 id="overview-title">Overview</h2>
    <${ErrorText} error=${error} />
    ${stats ? html`
      <dl class="cards">
        <div><dt>Uptime</dt><dd>${formatDuration(stats.uptime_seconds)}</dd></div>
        <div><dt>Version</dt><dd>${stats.version}</dd></div>
        <div><dt>Realms</dt><dd>${stats.realms.map((realm) => `${realm.name} (${realm.sessions})`).join(', ')}</dd></div>
        <div><dt>Sessions</dt><dd data-stat="sessions">${stats.sessions}</dd></div>
        <div><dt>Subscriptions</dt><dd data-stat="subscriptions">${stats.subscriptions}</dd></div>
        <div><dt>Registrations</dt><dd data-stat="registrations">${stats.registrations}</dd></div>
        <div><dt>Memory (RSS / heap)</dt><dd>${formatBytes(stats.memory.rss)} / ${formatBytes(stats.memory.heap_used)}</dd></div>
        <div><dt>Event-loop delay (mean / p99)</dt><dd>${stats.event_loop_delay_ms.mean} ms / ${stats.event_loop_delay_ms.p99} ms</dd></div>
      </dl>
      <div class="charts">
        <${Chart} label="Messages in" unit="/s" times=${series.times} values=${series.received} />
        <${Chart} label="Events out" unit="/s" times=${series.times} values=${series.sent} />
      </div>` : error ? null : html`<p>Loading…</p>`}
  </section>`;
}
