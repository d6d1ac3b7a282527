import { unknownTicket, type ProcedureRank, type ProcedureSummaries, type ProcedureSummary } from './backplane.js';
import { isRanked, type Registration } from './dealer/registration.js';

/**
 * Which node serves a call to a shared registration that other nodes hold too, by its policy
 * over the whole cluster's callees (the node picked then picks one of its own callees):
 *
 * - `first`/`last`: the node holding the cluster's first (last) registered callee.
 * - `roundrobin`: the next callee in turn, the cluster's callees taken node by node in the order
 *   of the nodes' names (this node's in its name's place), with one cursor per registration on
 *   each calling node. So one node's callers rotate evenly over every callee; callers on several
 *   nodes each rotate on their own, which evens out over time but is no strict global rotation.
 * - `random`: a callee drawn uniformly from the cluster's, so a node as often as it has callees.
 *
 * `local` is this node's registration, if it has one. Returns undefined when this node's own
 * callees serve the call, or, without a local registration, when the summaries name no callee.
 */
export function nodeForCall(summaries: ProcedureSummaries, self: string, local: Registration | undefined,
  random: () => number): string | undefined {
  const invoke = local?.invoke ?? firstSummary(summaries)?.invoke;
  if (invoke === undefined || invoke === 'single') return undefined;
  if (isRanked(invoke)) return bestRanked(summaries.byNode, local && rankOf(local, invoke));
  const here = local?.callees.length ?? 0;
  let total = here;
  for (const summary of summaries.byNode.values()) total += calleesIn(summary);
  if (total === 0) return undefined;
  let slot: number;
  if (invoke === 'random') slot = Math.floor(random() * total);
  else {
    slot = summaries.turn % total;
    summaries.turn = slot + 1;
  }
  return nodeAtSlot(summaries.byNode, self, here, slot);
}

/** Where a local `first`/`last` registration's callees stand in the cluster's registration order. */
export function rankOf(registration: Registration, invoke: 'first' | 'last'): ProcedureRank {
  const ticket = (callee: Registration['callees'][number] | undefined): number => (callee && registration.tickets?.get(callee)) ?? unknownTicket;
  return { invoke, first: ticket(registration.callees[0]), last: ticket(registration.callees.at(-1)) };
}

function firstSummary(summaries: ProcedureSummaries): ProcedureSummary | undefined {
  for (const summary of summaries.byNode.values()) return summary;
  return undefined;
}

function calleesIn(summary: ProcedureSummary): number {
  return 'callees' in summary ? summary.callees : 0;
}

/**
 * The node owning `slot` when the cluster's callees are laid out node by node in name order
 * (each node's as many slots as it has callees, this node's `here` in its name's place);
 * undefined when the slot is this node's.
 */
function nodeAtSlot(byNode: ReadonlyMap<string, ProcedureSummary>, self: string, here: number, slot: number): string | undefined {
  let placed = here === 0;
  for (const [node, summary] of byNode) {
    if (!placed && self < node) {
      if (slot < here) return undefined;
      slot -= here;
      placed = true;
    }
    const callees = calleesIn(summary);
    if (slot < callees) return node;
    slot -= callees;
  }
  return undefined; // this node sorts after every other
}

/**
 * The node whose callee comes first (for `first`) or last (for `last`) in the cluster's
 * registration order, if it beats this node's own rank (`local`, when it has the procedure).
 */
function bestRanked(summaries: ReadonlyMap<string, ProcedureSummary>, local: ProcedureRank | undefined): string | undefined {
  let best: string | undefined;
  let bestRank = local;
  for (const [node, rank] of summaries) {
    if (!('first' in rank)) continue;
    const better = !bestRank || (rank.invoke === 'first' ? rank.first < bestRank.first : rank.last > bestRank.last);
    if (better) {
      best = node;
      bestRank = rank;
    }
  }
  return best;
}
