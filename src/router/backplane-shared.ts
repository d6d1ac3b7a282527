import { isDeepStrictEqual } from 'node:util';
import type { SharedEntry, SpaceListener } from './backplane.js';

/**
 * The entries the other nodes share with this one, by node, space and key, and the listener of
 * each space (the layers above: Pusher presence). A node's entries stay until it withdraws them,
 * announces its whole set again, or is gone; each change is told to the space's listener.
 */
export class SharedEntries {
  private readonly byNode = new Map<string, Map<string, SharedEntry>>();
  private readonly listeners = new Map<string, SpaceListener>();

  listen(space: string, listener: SpaceListener): void {
    if (this.listeners.has(space)) throw new Error(`space "${space}" already has a listener`);
    this.listeners.set(space, listener);
    // What is known already is told at once: a listener that starts late misses nothing.
    for (const [node, entries] of this.byNode) {
      for (const entry of entries.values()) if (entry.space === space) listener.entry(node, entry.key, entry.value);
    }
  }

  unlisten(space: string): void {
    this.listeners.delete(space);
  }

  set(node: string, entry: SharedEntry): void {
    let entries = this.byNode.get(node);
    if (!entries) this.byNode.set(node, (entries = new Map()));
    const key = entryKey(entry);
    // A node's state repeats what it said before: the listener hears only changes.
    if (isDeepStrictEqual(entries.get(key)?.value, entry.value)) return;
    entries.set(key, entry);
    this.listeners.get(entry.space)?.entry(node, entry.key, entry.value);
  }

  withdraw(node: string, space: string, key: string): void {
    const entries = this.byNode.get(node);
    if (!entries?.delete(entryKey({ space, key }))) return;
    if (entries.size === 0) this.byNode.delete(node);
    this.listeners.get(space)?.entry(node, key, undefined);
  }

  /** Replaces everything a node shares (its `state`): what it no longer has is withdrawn. */
  replace(node: string, entries: readonly SharedEntry[]): void {
    const now = new Set(entries.map(entryKey));
    for (const entry of this.entriesOf(node)) if (!now.has(entryKey(entry))) this.withdraw(node, entry.space, entry.key);
    for (const entry of entries) this.set(node, entry);
  }

  /** A node is gone: its listeners hear so, then its entries are withdrawn in the reverse order they were first shared (what a node set up last is undone first). */
  dropNode(node: string): void {
    for (const listener of this.listeners.values()) listener.gone?.(node);
    for (const entry of this.entriesOf(node).reverse()) this.withdraw(node, entry.space, entry.key);
  }

  note(from: string, space: string, body: unknown): void {
    this.listeners.get(space)?.note(from, body);
  }

  private entriesOf(node: string): SharedEntry[] {
    return [...(this.byNode.get(node)?.values() ?? [])];
  }
}

/** The key an entry is known by within one node's entries. */
export function entryKey(entry: Pick<SharedEntry, 'space' | 'key'>): string {
  return `${entry.space}\u0000${entry.key}`;
}
