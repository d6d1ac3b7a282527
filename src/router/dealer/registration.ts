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
}

/** `first` and `last` pick by registration order, which in a cluster spans the nodes. */
export function isRanked(invoke: InvocationPolicy): invoke is 'first' | 'last' {
  return invoke === 'first' || invoke === 'last';
}

/** Picks the callee for one call according to the registration's invocation policy. */
export function pickCallee(registration: Registration, random: () => number = Math.random): Session {
  const callees = registration.callees;
  switch (registration.invoke) {
    case 'single':
    case 'first':
      return callees[0]!;
    case 'last':
      return callees[callees.length - 1]!;
    case 'random':
      return callees[Math.floor(random() * callees.length)]!;
    case 'roundrobin': {
      const callee = callees[registration.next % callees.length]!;
      registration.next = (registration.next + 1) % callees.length;
      return callee;
    }
  }
}
