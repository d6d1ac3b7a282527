/**
 * The realm's listings (junction.session.list, .subscription.list, .registration.list) as the
 * views show them. In a cluster (--workers, Redis): every node's rows, each naming its node; a
 * filter by node; the totals per node; and the nodes that did not answer in time, named with why.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { Session } from '../../client/session.js';
import { visible } from '../shown-text.js';

/** A node's line under a listing (src/node/console-merge.ts): its counts, or why it did not answer. */
export type NodeListed = { node: string; total: number; shown: number; truncated: boolean } | { node: string; error: string };

export interface Listing<T> {
  total: number;
  truncated: boolean;
  items: (T & { node?: string })[];
  /** Present in a cluster only. */
  nodes?: NodeListed[];
}

export async function listing<T>(session: Session, procedure: string): Promise<Listing<T>> {
  return (await session.call(procedure)).args[0] as Listing<T>;
}

/** Under a table the answer cut: how many of how many are shown. */
export function Truncated({ list }: { list: Listing<unknown> | undefined }) {
  return list?.truncated ? html`<p class="note" data-truncated>Showing ${list.items.length} of ${list.total}.</p>` : null;
}

/** Which node's rows a view shows ('' for every node's), and the rows that passes. */
export function useNodeFilter<T>(list: Listing<T> | undefined): { node: string; setNode(node: string): void; rows: (T & { node?: string })[] } {
  const [node, setNode] = useState('');
  const all = list?.items ?? [];
  return { node, setNode, rows: node === '' ? all : all.filter((row) => row.node === node) };
}

/** Above a cluster's table: the filter by node and each node's count; a node that did not answer, with why. */
export function NodeBar({ id, list, node, setNode }: { id: string; list: Listing<unknown> | undefined; node: string; setNode(node: string): void }) {
  const nodes = list?.nodes;
  if (!nodes) return null;
  const silent = nodes.filter((entry): entry is { node: string; error: string } => 'error' in entry);
  return html`<div class="node-bar">
    <div class="field"><label for=${id}>Node</label>
      <select id=${id} value=${node} onChange=${(e: Event) => setNode((e.target as HTMLSelectElement).value)}>
        <option value="">All nodes (${list!.total})</option>
        ${nodes.map((entry) => html`<option key=${entry.node} value=${entry.node}>${entry.node}${'error' in entry ? ' (no answer)' : ` (${entry.total})`}</option>`)}
      </select></div>
    <p class="note" data-node-totals>${nodes.map((entry, index) => html`${index > 0 ? ' · ' : ''}<span data-node=${entry.node}>${entry.node}: ${
      'error' in entry ? 'no answer' : entry.truncated ? `${entry.shown} shown of ${entry.total}` : entry.total}</span>`)}</p>
    ${silent.map((entry) => html`<p key=${entry.node} class="error" role="alert" data-silent-node=${entry.node}>Node ${entry.node} is not listed: ${visible(entry.error)}</p>`)}
  </div>`;
}

/** The node column's cell, in a cluster. */
export function NodeCell({ list, row }: { list: Listing<unknown> | undefined; row: { node?: string } }) {
  return list?.nodes ? html`<td data-node-cell>${row.node}</td>` : null;
}

export function NodeHeader({ list }: { list: Listing<unknown> | undefined }) {
  return list?.nodes ? html`<th scope="col">Node</th>` : null;
}

/** A row's key: a subscription or registration has the same ID on every node, so its node tells the rows apart. */
export function rowKey(row: { node?: string }, id: number): string {
  return `${row.node ?? ''}:${id}`;
}
