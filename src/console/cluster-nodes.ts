/**
 * The Overview's view of a cluster over time, from successive junction.node.stats answers: message
 * rates summed over the nodes, and the nodes that left the cluster since the page saw them.
 */

/** A node's line in junction.node.stats' `cluster.nodes`: its figures, or why it did not answer. */
export type NodeLine = { node: string; error: string } | { node: string; messages_received: number; events_sent: number };

/** How long, and how many, nodes that left are remembered (a restarted node may come back under a new name each time). */
export const DEPARTED_KEEP_MS = 5 * 60_000;
export const DEPARTED_KEPT = 20;

/**
 * How much a counter grew between two readings, over the nodes that answered both: a node missing
 * from either adds nothing (rather than its whole count, or a negative one).
 */
export function grownOverNodes(before: readonly NodeLine[], next: readonly NodeLine[], counter: 'messages_received' | 'events_sent'): number {
  const earlier = new Map<string, number>();
  for (const line of before) if (!('error' in line)) earlier.set(line.node, line[counter]);
  let sum = 0;
  for (const line of next) {
    if ('error' in line) continue;
    const was = earlier.get(line.node);
    if (was !== undefined) sum += Math.max(0, line[counter] - was);
  }
  return sum;
}

/**
 * The nodes in the previous answer (read at `before.at`) and absent from this one (they left the
 * cluster, or died for it), with when the page last saw each: the newest DEPARTED_KEPT, each for
 * DEPARTED_KEEP_MS. A node that comes back is no longer departed.
 */
export function departedNodes(departed: ReadonlyMap<string, number>, before: { at: number; nodes: readonly NodeLine[] } | undefined,
  next: readonly NodeLine[], now: number): Map<string, number> {
  const present = new Set(next.map((line) => line.node));
  const kept = new Map([...departed].filter(([node, seen]) => !present.has(node) && now - seen <= DEPARTED_KEEP_MS));
  for (const line of before?.nodes ?? []) if (!present.has(line.node)) kept.set(line.node, before!.at);
  return new Map([...kept].sort((a, b) => b[1] - a[1]).slice(0, DEPARTED_KEPT));
}
