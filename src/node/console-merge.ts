import type { Dict } from '../protocol/messages.js';
import type { Listing } from '../router/meta/inventory.js';

/**
 * How the console's listings and stats of every node of a cluster become one answer
 * (docs/console.md, "With --workers or a Redis cluster"). Pure: the asking is in console-cluster.ts.
 */

/** One node's part of a cluster answer: what it answered, or why it did not. */
export type NodePart<T> = { node: string; answer: T } | { node: string; error: string };

/** A node's line under a cluster listing: how many items it has and how many the answer shows, or why it is missing. */
export type NodeListed = { node: string; total: number; shown: number; truncated: boolean } | { node: string; error: string };

/** A listing of every node: each item names its node; `nodes` says what each node had, or that it did not answer. */
export interface ClusterListing extends Listing {
  nodes: NodeListed[];
}

/**
 * One listing from every node's, within `limit` items and `maxBytes` of JSON items in all (as one
 * node's listing is): the nodes take turns, in the order of their names, so a node with thousands
 * of items cannot crowd the others out of a truncated answer. Every item gets its node's name.
 */
export function mergeListings(parts: readonly NodePart<Listing>[], limit: number, maxBytes: number): ClusterListing {
  const sorted = [...parts].sort((a, b) => compareNames(a.node, b.node));
  const answered = sorted.filter((part): part is { node: string; answer: Listing } => 'answer' in part);
  const shown = new Map<string, number>(answered.map((part) => [part.node, 0]));
  const items: Dict[] = [];
  let bytes = 0;
  fill: for (let index = 0; ; index++) {
    let any = false;
    for (const { node, answer } of answered) {
      const item = answer.items[index];
      if (item === undefined) continue;
      any = true;
      if (items.length === limit) break fill;
      const tagged = { ...item, node };
      bytes += Buffer.byteLength(JSON.stringify(tagged));
      if (bytes > maxBytes && items.length > 0) break fill;
      items.push(tagged);
      shown.set(node, shown.get(node)! + 1);
    }
    if (!any) break;
  }
  const total = answered.reduce((sum, part) => sum + part.answer.total, 0);
  const nodes = sorted.map((part): NodeListed => {
    if (!('answer' in part)) return { node: part.node, error: part.error };
    const count = shown.get(part.node)!;
    return { node: part.node, total: part.answer.total, shown: count, truncated: count < part.answer.total };
  });
  return { total, truncated: items.length < total, items, nodes };
}

/** What each node's junction.node.stats says of it, as the Overview's node table shows it. */
export const nodeFigures = ['version', 'uptime_seconds', 'sessions', 'subscriptions', 'registrations', 'messages_received',
  'publications', 'events_sent', 'calls', 'memory', 'event_loop_delay_ms'] as const;

/** The counts and counters that add up over the nodes. */
const summed = ['sessions', 'subscriptions', 'registrations', 'messages_received', 'publications', 'events_sent', 'calls'] as const;

export interface ClusterStats {
  /** Each node's figures (see nodeFigures), or why it is missing, in the order of their names. */
  nodes: Dict[];
  /** The sums over the nodes that answered, and how many did of how many. */
  totals: Dict & { answered: number; of: number };
}

/** The cluster's part of junction.node.stats: each node's figures and the sums of those that answered. */
export function mergeStats(parts: readonly NodePart<Dict>[]): ClusterStats {
  const sorted = [...parts].sort((a, b) => compareNames(a.node, b.node));
  const totals: Dict & { answered: number; of: number } = { answered: 0, of: sorted.length, rss: 0, heap_used: 0 };
  for (const name of summed) totals[name] = 0;
  const nodes = sorted.map((part): Dict => {
    if (!('answer' in part)) return { node: part.node, error: part.error };
    totals.answered++;
    for (const name of summed) totals[name] = (totals[name] as number) + numberOr0(part.answer[name]);
    const memory = (part.answer.memory ?? {}) as Dict;
    totals.rss = (totals.rss as number) + numberOr0(memory.rss);
    totals.heap_used = (totals.heap_used as number) + numberOr0(memory.heap_used);
    return { node: part.node, ...Object.fromEntries(nodeFigures.map((name) => [name, part.answer[name]])) };
  });
  return { nodes, totals };
}

function numberOr0(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** Node names in a human order: w2 before w10. */
function compareNames(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
