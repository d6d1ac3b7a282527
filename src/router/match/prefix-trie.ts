import { treeNodes, type MatchIndex } from './match-index.js';

/** A radix-tree node: `label` is the run of characters on the edge leading to it. */
interface PrefixNode<T> {
  label: string;
  /** Keyed by the first character of the child's label. */
  readonly children: Map<string, PrefixNode<T>>;
  value: T | undefined;
}

function newNode<T>(label: string, value: T | undefined): PrefixNode<T> {
  return { label, children: new Map(), value };
}

const childrenOf = <T>(node: PrefixNode<T>): Iterable<PrefixNode<T>> => node.children.values();

/**
 * Prefix matching as the spec defines it: a plain string prefix ("com.myapp.obj1" matches
 * "com.myapp.obj1-sub"). A compressed character trie, so a lookup costs the length of the URI,
 * not the number of patterns; the deepest match is the longest prefix, which wins for calls.
 */
export class PrefixTrie<T> implements MatchIndex<T> {
  readonly policy = 'prefix';
  private readonly root = newNode<T>('', undefined);
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(pattern: string): T | undefined {
    let node = this.root;
    let at = 0;
    while (at < pattern.length) {
      const child = node.children.get(pattern[at]!);
      if (!child || !pattern.startsWith(child.label, at)) return undefined;
      at += child.label.length;
      node = child;
    }
    return at === pattern.length ? node.value : undefined;
  }

  set(pattern: string, value: T): void {
    let node = this.root;
    let at = 0;
    while (at < pattern.length) {
      const first = pattern[at]!;
      const child = node.children.get(first);
      if (!child) {
        node.children.set(first, newNode(pattern.slice(at), value));
        this.count++;
        return;
      }
      const common = commonLength(child.label, pattern, at);
      if (common < child.label.length) {
        // The pattern ends or turns off inside the child's edge: split the edge there.
        const middle = newNode<T>(child.label.slice(0, common), undefined);
        child.label = child.label.slice(common);
        middle.children.set(child.label[0]!, child);
        node.children.set(first, middle);
      }
      node = node.children.get(first)!;
      at += common;
    }
    if (node.value === undefined) this.count++;
    node.value = value;
  }

  delete(pattern: string): boolean {
    const path: PrefixNode<T>[] = [this.root];
    let node = this.root;
    let at = 0;
    while (at < pattern.length) {
      const child = node.children.get(pattern[at]!);
      if (!child || !pattern.startsWith(child.label, at)) return false;
      at += child.label.length;
      node = child;
      path.push(node);
    }
    if (node.value === undefined) return false;
    node.value = undefined;
    this.count--;
    this.compact(path);
    return true;
  }

  *values(): IterableIterator<T> {
    for (const node of treeNodes(this.root, childrenOf)) if (node.value !== undefined) yield node.value;
  }

  collect(uri: string, into: T[]): void {
    let node = this.root;
    let at = 0;
    for (;;) {
      if (node.value !== undefined) into.push(node.value);
      if (at >= uri.length) return;
      const child = node.children.get(uri[at]!);
      if (!child || !uri.startsWith(child.label, at)) return;
      at += child.label.length;
      node = child;
    }
  }

  best(uri: string): T | undefined {
    let node = this.root;
    let at = 0;
    let longest: T | undefined;
    for (;;) {
      if (node.value !== undefined) longest = node.value;
      if (at >= uri.length) return longest;
      const child = node.children.get(uri[at]!);
      if (!child || !uri.startsWith(child.label, at)) return longest;
      at += child.label.length;
      node = child;
    }
  }

  /** Nodes below the root; for tests that check deletions leave no dead branches. */
  nodeCount(): number {
    return [...treeNodes(this.root, childrenOf)].length - 1;
  }

  /** After a deletion: drops empty leaves and merges value-less nodes that have one child into it. */
  private compact(path: PrefixNode<T>[]): void {
    for (let i = path.length - 1; i > 0; i--) {
      const node = path[i]!;
      const parent = path[i - 1]!;
      if (node.value !== undefined) return;
      if (node.children.size === 0) {
        parent.children.delete(node.label[0]!);
        continue;
      }
      if (node.children.size === 1) {
        const [only] = node.children.values();
        only!.label = node.label + only!.label;
        parent.children.set(only!.label[0]!, only!);
      }
      return;
    }
  }
}

/** How many characters `label` shares with `text` from `at` on. */
function commonLength(label: string, text: string, at: number): number {
  let i = 0;
  while (i < label.length && at + i < text.length && label.charCodeAt(i) === text.charCodeAt(at + i)) i++;
  return i;
}
