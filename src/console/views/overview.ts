/**
 * The node at a glance: uptime, realms, counts, message rates as live charts, memory, event-loop
 * delay. In a cluster: the cluster's totals, each node's figures, and the nodes that did not answer.
 */
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Session } from '../../client/session.js';
import { departedNodes, grownOverNodes } from '../cluster-nodes.js';
import { visible } from '../shown-text.js';
import { ErrorText, formatBytes, formatDuration, TableFrame } from '../ui.js';
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
  /** In a cluster: the name of the node that answered... */
  node?: string;
  /** ...and every node's figures (or why a node did not answer in time), with the sums over those that answered. */
  cluster?: ClusterStats;
}

type NodeFigures = Pick<NodeStats, 'version' | 'uptime_seconds' | 'sessions' | 'subscriptions' | 'registrations' | 'messages_received'
  | 'publications' | 'events_sent' | 'calls' | 'memory' | 'event_loop_delay_ms'> & { node: string };

interface ClusterStats {
  nodes: (NodeFigures | { node: string; error: string })[];
  totals: Pick<NodeStats, 'sessions' | 'subscriptions' | 'registrations' | 'messages_received' | 'publications' | 'events_sent' | 'calls'>
    & { rss: number; heap_used: number; answered: number; of: number };
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

/** What the page has read of junction.node.stats: the latest answer, and the rates since sign-in for the charts. */
interface NodeStatsFeed {
  stats: NodeStats | undefined;
  error: unknown;
  series: Series;
  /** Nodes that left the cluster since this page saw them, with when it last did. */
  departed: ReadonlyMap<string, number>;
}

/** The readings, kept outside any view; Overview follows them while it is open. */
export interface NodeStatsSource {
  latest: NodeStatsFeed;
  /** Calls `listener` at each reading; returns how to stop. */
  listen(listener: () => void): () => void;
}

/**
 * Reads junction.node.stats every STATS_EVERY_MS for as long as the session lasts, whichever view
 * is open, so that the charts show the minutes spent in other views too. A source rather than
 * state: a reading redraws Overview only, not the shell and the view that is open.
 */
export function useNodeStats(session: Session): NodeStatsSource {
  const source = useMemo(() => {
    const listeners = new Set<() => void>();
    const feed: NodeStatsSource = {
      latest: { stats: undefined, error: undefined, series: { times: [], received: [], sent: [] }, departed: new Map() },
      listen(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    return { feed, update: (change: Partial<NodeStatsFeed>) => {
      feed.latest = { ...feed.latest, ...change };
      for (const listener of listeners) listener();
    } };
  }, [session]);
  useEffect(() => {
    const { feed, update } = source;
    let previous: { at: number; stats: NodeStats } | undefined;
    let current = true;
    const read = async () => {
      try {
        const result = await session.call('junction.node.stats');
        if (!current) return;
        const next = result.args[0] as NodeStats;
        const at = Date.now();
        const { series, departed } = feed.latest;
        const change: Partial<NodeStatsFeed> = { stats: next, error: undefined };
        if (previous) {
          const seconds = Math.max(0.001, (at - previous.at) / 1000);
          const before = previous.stats;
          change.series = {
            times: [...series.times, at / 1000].slice(-CHART_POINTS),
            received: [...series.received, grown(before, next, 'messages_received') / seconds].slice(-CHART_POINTS),
            sent: [...series.sent, grown(before, next, 'events_sent') / seconds].slice(-CHART_POINTS),
          };
        }
        if (next.cluster) {
          const before = previous?.stats.cluster ? { at: previous.at, nodes: previous.stats.cluster.nodes } : undefined;
          change.departed = departedNodes(departed, before, next.cluster.nodes, at);
        }
        previous = { at, stats: next };
        update(change);
      } catch (failure) {
        if (current) update({ error: failure });
      }
    };
    void read();
    const timer = setInterval(read, STATS_EVERY_MS);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [source]);
  return source.feed;
}

export function Overview({ source }: { source: NodeStatsSource }) {
  const [{ stats, error, series, departed }, setFeed] = useState(source.latest);
  useEffect(() => {
    setFeed(source.latest);
    return source.listen(() => setFeed(source.latest));
  }, [source]);
  const totals = stats?.cluster?.totals;
  return html`<section aria-labelledby="overview-title">
    <h2 id="overview-title">Overview</h2>
    <${ErrorText} error=${error} />
    ${stats ? html`
      <dl class="cards">
        <div><dt>Uptime</dt><dd>${formatDuration(stats.uptime_seconds)}</dd></div>
        <div><dt>Version</dt><dd>${stats.version}</dd></div>
        ${totals ? html`<div><dt>Nodes answering</dt><dd data-stat="nodes">${totals.answered} of ${totals.of}</dd></div>`
          : html`<div><dt>Realms (client sessions)</dt><dd>${stats.realms.map((realm) => `${realm.name} (${realm.sessions})`).join(', ')}</dd></div>`}
        <div><dt>Sessions</dt><dd data-stat="sessions">${(totals ?? stats).sessions}</dd></div>
        <div><dt>Subscriptions</dt><dd data-stat="subscriptions">${(totals ?? stats).subscriptions}</dd></div>
        <div><dt>Registrations</dt><dd data-stat="registrations">${(totals ?? stats).registrations}</dd></div>
        <div><dt>Memory (RSS / heap)</dt><dd>${formatBytes(totals?.rss ?? stats.memory.rss)} / ${formatBytes(totals?.heap_used ?? stats.memory.heap_used)}</dd></div>
        ${totals ? null : html`<div><dt>Event-loop delay (mean / p99)</dt><dd>${stats.event_loop_delay_ms.mean} ms / ${stats.event_loop_delay_ms.p99} ms</dd></div>`}
      </dl>
      ${stats.cluster ? html`<${NodeTable} cluster=${stats.cluster} here=${stats.node} />` : null}
      ${[...departed].map(([node, seen]) => html`<p key=${node} class="note" data-departed-node=${node}>Node ${node} left the cluster (last seen ${new Date(seen).toLocaleTimeString()}).</p>`)}
      <div class="charts">
        <${Chart} label="Messages in" unit="/s" times=${series.times} values=${series.received} />
        <${Chart} label="Events out" unit="/s" times=${series.times} values=${series.sent} />
      </div>` : error ? null : html`<p>Loading…</p>`}
  </section>`;
}

/** How much a counter grew between two readings: this node's, or in a cluster the sum over the nodes in both. */
function grown(before: NodeStats, next: NodeStats, counter: 'messages_received' | 'events_sent'): number {
  if (!before.cluster || !next.cluster) return Math.max(0, next[counter] - before[counter]);
  return grownOverNodes(before.cluster.nodes, next.cluster.nodes, counter);
}

/** Each node's figures, the cluster's sums, and a node that did not answer in time with why. */
function NodeTable({ cluster, here }: { cluster: ClusterStats; here: string | undefined }) {
  const { totals } = cluster;
  return html`<${TableFrame} label="Nodes table" class="nodes">
    <table aria-label="Nodes">
      <thead><tr><th scope="col">Node</th><th scope="col">Sessions</th><th scope="col">Subscriptions</th><th scope="col">Registrations</th>
        <th scope="col">Messages in</th><th scope="col">Events out</th><th scope="col">Calls</th><th scope="col">Memory (RSS / heap)</th>
        <th scope="col">Event-loop delay (mean / p99)</th><th scope="col">Uptime</th></tr></thead>
      <tbody>
        ${cluster.nodes.map((node) => 'error' in node
          ? html`<tr key=${node.node} data-node-row=${node.node} class="silent"><th scope="row">${node.node}</th>
              <td colspan="9" class="wrap"><span class="error" role="alert">No answer: ${visible(node.error)}</span></td></tr>`
          : html`<tr key=${node.node} data-node-row=${node.node}><th scope="row">${node.node}${node.node === here ? html` <span class="tag">this page</span>` : null}</th>
              <td>${node.sessions}</td><td>${node.subscriptions}</td><td>${node.registrations}</td>
              <td>${node.messages_received}</td><td>${node.events_sent}</td><td>${node.calls}</td>
              <td>${formatBytes(node.memory.rss)} / ${formatBytes(node.memory.heap_used)}</td>
              <td>${node.event_loop_delay_ms.mean} ms / ${node.event_loop_delay_ms.p99} ms</td><td>${formatDuration(node.uptime_seconds)}</td></tr>`)}
      </tbody>
      <tfoot><tr data-node-row="total"><th scope="row">Cluster (${totals.answered} of ${totals.of} nodes)</th>
        <td>${totals.sessions}</td><td>${totals.subscriptions}</td><td>${totals.registrations}</td>
        <td>${totals.messages_received}</td><td>${totals.events_sent}</td><td>${totals.calls}</td>
        <td>${formatBytes(totals.rss)} / ${formatBytes(totals.heap_used)}</td><td></td><td></td></tr></tfoot>
    </table>
  <//>`;
}
