import type { MatchPolicy } from '../../protocol/uri.js';

/**
 * URI patterns of one match policy, each with a value (a subscription, a registration...).
 * Lookups never scan every pattern: each policy has its own structure (a map, a prefix trie,
 * a component trie), and all of them satisfy the same behavioural suite.
 */
export interface MatchIndex<T> {
  readonly policy: MatchPolicy;
  readonly size: number;
  /** The value stored under exactly this pattern. */
  get(pattern: string): T | undefined;
  /** Stores a value under a pattern, replacing any value it had. */
  set(pattern: string, value: T): void;
  delete(pattern: string): boolean;
  values(): IterableIterator<T>;
  /** Appends the value of every pattern that matches `uri` to `into`. */
  collect(uri: string, into: T[]): void;
  /** The value of the matching pattern with the highest precedence under this policy (the spec's rule for calls). */
  best(uri: string): T | undefined;
}

/** Every node of a tree, `root` included, depth first: for the trees' values() and their node counts. */
export function* treeNodes<N>(root: N, children: (node: N) => Iterable<N>): IterableIterator<N> {
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    yield node;
    for (const child of children(node)) stack.push(child);
  }
}
