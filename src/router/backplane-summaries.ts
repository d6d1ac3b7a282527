import type { Interest, ProcedureSummaries, ProcedureSummary } from './backplane.js';

/** One registration's summaries; `byNode` is replaced, not reordered in place, when a node joins it. */
interface Entry extends Interest, ProcedureSummaries {
  byNode: Map<string, ProcedureSummary>;
  turn: number;
}

/**
 * The summaries other nodes announced of their shared registrations (see
 * Backplane.summarizeProcedure), one entry per registration. Each entry keeps its nodes in the
 * order of their names, so that every node walks the cluster's callees in the same order; a new
 * node re-sorts its entry's few nodes (registering, not calling), a changed count does not.
 * Looked up by URI, then realm and match policy among the few entries of that URI: a call's
 * lookup builds no key.
 */
export class RemoteSummaries {
  private readonly byUri = new Map<string, Entry[]>();

  /** Node `node`'s summary of `procedure` is now `summary` (undefined: it has none, or no longer holds it). */
  set(node: string, procedure: Interest, summary: ProcedureSummary | undefined): void {
    const entry = this.of(procedure);
    if (!summary) {
      if (entry?.byNode.delete(node) && entry.byNode.size === 0) this.remove(entry);
      return;
    }
    if (!entry) {
      const { realm, uri, match } = procedure;
      const added: Entry = { realm, uri, match, byNode: new Map([[node, summary]]), turn: 0 };
      const entries = this.byUri.get(uri);
      if (entries) entries.push(added);
      else this.byUri.set(uri, [added]);
      return;
    }
    const isNew = !entry.byNode.has(node);
    entry.byNode.set(node, summary);
    if (isNew) entry.byNode = new Map([...entry.byNode].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** Forgets every summary of a node (it left, died, or is about to announce its whole state again). */
  dropNode(node: string): void {
    for (const entries of [...this.byUri.values()]) {
      for (const entry of [...entries]) if (entry.byNode.delete(node) && entry.byNode.size === 0) this.remove(entry);
    }
  }

  of({ realm, uri, match }: Interest): Entry | undefined {
    const entries = this.byUri.get(uri);
    if (!entries) return undefined;
    for (const entry of entries) if (entry.realm === realm && entry.match === match) return entry;
    return undefined;
  }

  private remove(entry: Entry): void {
    const entries = this.byUri.get(entry.uri)!;
    entries.splice(entries.indexOf(entry), 1);
    if (entries.length === 0) this.byUri.delete(entry.uri);
  }
}
