import { ErrorUri } from '../../protocol/errors.js';
import type { Args, Dict } from '../../protocol/messages.js';
import { isValidUri } from '../../protocol/uri.js';
import type { KillTarget } from '../backplane.js';
import { InternalCallError } from '../internal-session.js';
import type { Session } from '../session.js';
import { argument, readOptionalString } from './arguments.js';
import { askOthers } from './cluster-view.js';
import type { MetaContext } from './context.js';
import { isVisible } from './views.js';

/** What a wamp.session.kill* call closes, on every node that holds such sessions. */
export interface KillOrder {
  target: KillTarget;
  /** The calling session: never closed by its own call. */
  caller: number;
  reason: string;
  message?: string;
}

/** The keyword arguments every kill call takes besides its target. */
export const killKeywords = ['reason', 'message'] as const;

/**
 * The GOODBYE reason and message of a kill call: its kwargs `reason`, `message` (the spec), or the
 * positional arguments from `at` on (Crossbar's procedures take them either way).
 */
export function readKillOrder(target: KillTarget, caller: Session, args: Args, kwargs: Dict, at: number): KillOrder {
  const reason = readOptionalString(argument(args, kwargs, at, 'reason'), 'reason') ?? ErrorUri.closeNormal;
  if (!isValidUri(reason, { strict: false })) {
    throw new InternalCallError(ErrorUri.invalidUri, [`"reason" must be a valid URI, got "${reason}"`]);
  }
  return { target, caller: caller.id, reason, message: readOptionalString(argument(args, kwargs, at + 1, 'message'), 'message') };
}

/**
 * Closes this node's visible sessions the order names with GOODBYE; returns their IDs. Sessions
 * closed by kill_all leave quietly: the spec wants no meta or testament events for them.
 */
export function killHere(context: MetaContext, order: KillOrder): number[] {
  const { target } = order;
  const selected = [...context.realm.sessions.values()].filter((session) =>
    session.id !== order.caller && isVisible(session) && selects(target, session));
  for (const session of selected) {
    if ('all' in target) context.quietLeaves.add(session.id);
    session.goodbye(order.reason, order.message);
  }
  return selected.map((session) => session.id);
}

/**
 * Closes the sessions the order names on this node and on every other node of the cluster (or
 * only on `nodes`); each node says GOODBYE to its own. Returns the IDs of all that were closed.
 */
export async function killEverywhere(context: MetaContext, order: KillOrder, nodes?: readonly string[]): Promise<number[]> {
  const here = nodes ? [] : killHere(context, order);
  const { realm } = context;
  const elsewhere = await askOthers(realm, { k: 'kill', realm: realm.name, ...order }, nodes, `${here.length} session(s) were closed on this node, but `);
  // A node of an earlier version answers with a count only: its sessions cannot be named.
  return [...here, ...elsewhere.flatMap((answer) => (Array.isArray(answer) ? answer : []))];
}

function selects(target: KillTarget, session: Session): boolean {
  if ('session' in target) return session.id === target.session;
  if ('authid' in target) return session.authid === target.authid;
  if ('authrole' in target) return session.authrole === target.authrole;
  return true;
}
