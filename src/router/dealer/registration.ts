import type { MatchPolicy } from '../../protocol/uri.js';
import type { InvocationPolicy } from '../options.js';
import type { Session } from '../session.js';

/** A procedure and the callees that serve it (several only with a shared invocation policy). */
export interface Registration {
  readonly id: number;
  readonly uri: string;
  readonly match: MatchPolicy;
  readonly invoke: InvocationPolicy;
  readonly created: string;
  /** In registration order: `first` picks the head, `last` the tail. */
  readonly callees: Session[];
  /** Round-robin cursor. */
  next: number;
  /** INVOCATIONs always name the caller (the router's own services, e.g. the meta API, need to know who calls). */
  readonly discloseCaller: boolean;
  /** Claimed across the cluster and callable from other nodes (a client's); the router's own stay on their node. */
  readonly clustered: boolean;
  /** In a cluster, each callee's place in the cluster's registration order (its claim ticket): what `first`/`last` compare across nodes. */
  readonly tickets?: Map<Session, number>;
  /** The callees that registered with a `concurrency` limit (Crossbar's option), and their calls in flight. */
  slots?: Map<Session, CalleeSlots>;
}

/** One callee's limit of calls in flight on one registration, and how many it has. */
export interface CalleeSlots {
  readonly limit: number;
  busy: number;
}

function isFree(registration: Registration, callee: Session): boolean {
  const slots = registration.slots?.get(callee);
  return !slots || slots.busy < slots.limit;
}

/** `callee` if it may take one more call; undefined if it is at its limit (or there is none). */
function ifFree(registration: Registration, callee: Session | undefined): Session | undefined {
  return callee && isFree(registration, callee) ? callee : undefined;
}

/** `first` and `last` pick by registration order, which in a cluster spans the nodes. */
export function isRanked(invoke: InvocationPolicy): invoke is 'first' | 'last' {
  return invoke === 'first' || invoke === 'last';
}

/**
 * Picks the callee for one call according to the registration's invocation policy; undefined when
 * the callee(s) it may pick are at their `concurrency` limit. As in Crossbar, `single`, `first` and
 * `last` wait for no other callee, and `roundrobin` passes over the busy ones; `random` draws among
 * the free ones (Crossbar's ignores the limit).
 */
export function pickCallee(registration: Registration, random: () => number = Math.random): Session | undefined {
  const callees = registration.callees;
  switch (registration.invoke) {
    case 'single':
    case 'first':
      return ifFree(registration, callees[0]);
    case 'last':
      return ifFree(registration, callees[callees.length - 1]);
    case 'random': {
      const candidates = registration.slots ? callees.filter((callee) => isFree(registration, callee)) : callees;
      return candidates[Math.floor(random() * candidates.length)];
    }
    case 'roundrobin':
      for (let tried = 0; tried < callees.length; tried++) {
        const callee = callees[registration.next % callees.length]!;
        registration.next = (registration.next + 1) % callees.length;
        if (isFree(registration, callee)) return callee;
      }
      return undefined;
  }
}
