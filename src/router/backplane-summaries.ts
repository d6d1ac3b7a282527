import { interestKey, type Interest, type ProcedureSummaries, type ProcedureSummary } from './backplane.js';

/**
 * The summaries other nodes announced of their shared registrations (see
 * Backplane.summarizeProcedure), one record per registration. Each record keeps its nodes in the
 * order of their names, so that every node walks the cluster's callees in the same order; a new
 * node re-sorts its record's few entries (registering, not calling), a changed count does not.
 */
export class RemoteSummaries {
  private readonly records = new Map<string, { byNode: Map<string, ProcedureSummary>; turn: number }>();

  of(procedure: Interest): ProcedureSummaries | undefined {
    return this.records.get(interestKey(procedure));
  }

  /** Node `node`'s summary of `procedure` is now `summary` (undefined: it has none, or no longer holds it). */
  set(node: string, procedure: Interest, summary: ProcedureSummary | undefined): void {
    const key = interestKey(procedure);
    const record = this.records.get(key);
    if (!summary) {
      if (record?.byNode.delete(node) && record.byNode.size === 0) this.records.delete(key);
      return;
    }
    if (!record) {
      this.records.set(key, { byNode: new Map([[node, summary]]), turn: 0 });
      return;
    }
    const isNew = !record.byNode.has(node);
    record.byNode.set(node, summary);
    if (isNew) record.byNode = new Map([...record.byNode].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** Forgets every summary of a node (it left, died, or is about to announce its whole state again). */
  dropNode(node: string): void {
    for (const [key, record] of this.records) if (record.byNode.delete(node) && record.byNode.size === 0) this.records.delete(key);
  }
}
