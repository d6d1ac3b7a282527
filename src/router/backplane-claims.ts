import type { ClaimAnswer } from './backplane.js';
import type { InvocationPolicy } from './options.js';

/**
 * Which nodes hold a registration of each procedure key, and under which invocation policy: the
 * one authority that makes claims atomic (kept by the IPC parent, or the in-memory hub). A
 * `single` procedure has one holder; a shared one any number under one policy. A node claims
 * again for each callee of a `first` or `last` registration, to learn its place in the order.
 */
export class ClaimTable {
  private readonly claims = new Map<string, { invoke: InvocationPolicy; nodes: Set<string> }>();
  /** The order of the claims decided here: each successful claim gets the next ticket. */
  private tickets = 0;

  claim(node: string, key: string, invoke: InvocationPolicy): ClaimAnswer {
    const held = this.claims.get(key);
    if (!held) {
      this.claims.set(key, { invoke, nodes: new Set([node]) });
      return { ok: true, ticket: ++this.tickets };
    }
    if (invoke === 'single' || held.invoke !== invoke) return { ok: false, heldAs: held.invoke };
    held.nodes.add(node);
    return { ok: true, ticket: ++this.tickets };
  }

  release(node: string, key: string): void {
    const held = this.claims.get(key);
    if (!held?.nodes.delete(node)) return;
    if (held.nodes.size === 0) this.claims.delete(key);
  }

  /** A node left or died: everything it held is free. */
  dropNode(node: string): void {
    for (const key of [...this.claims.keys()]) this.release(node, key);
  }
}
