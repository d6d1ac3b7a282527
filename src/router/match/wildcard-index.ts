import { treeNodes, type MatchIndex } from './match-index.js';

/** One URI component position: concrete components by name, and the wildcard (empty component) branch. */
interface ComponentNode<T> {
  readonly named: Map<string, ComponentNode<T>>;
  any: ComponentNode<T> | undefined;
  value: T | undefined;
}

function newNode<T>(): ComponentNode<T> {
  return { named: new Map(), any: undefined, value: undefined };
}

function* childrenOf<T>(node: ComponentNode<T>): IterableIterator<ComponentNode<T>> {
  yield* node.named.values();
  if (node.any) yield node.any;
}

/**
 * Wildcard matching: a pattern's empty components ("com..update") match any one component, and
 * a pattern only matches URIs with as many components as it has. A trie over components, so a
 * lookup follows only the branches the URI can take, never every pattern.
 *
 * Precedence for calls (the spec's rule: the longest run of concrete components before each
 * wildcard wins, run by run) is the same as: at the first position where two matching patterns
 * differ, the one with the concrete component wins. A depth-first walk that tries the concrete
 * branch before the wildcard branch therefore meets the winner first.
 */
export class WildcardIndex<T> implements MatchIndex<T> {
  readonly policy = 'wildcard';
  private readonly root = newNode<T>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(pattern: string): T | undefined {
    let node: ComponentNode<T> | undefined = this.root;
    for (const component of pattern.split('.')) {
      node = component === '' ? node.any : node.named.get(component);
      if (!node) return undefined;
    }
    return node.value;
  }

  set(pattern: string, value: T): void {
    let node = this.root;
    for (const component of pattern.split('.')) {
      if (component === '') {
        node = node.any ??= newNode();
      } else {
        let next = node.named.get(component);
        if (!next) node.named.set(component, (next = newNode()));
        node = next;
      }
    }
    if (node.value === undefined) this.count++;
    node.value = value;
  }

  delete(pattern: string): boolean {
    const components = pattern.split('.');
    const path: ComponentNode<T>[] = [this.root];
    let node: ComponentNode<T> | undefined = this.root;
    for (const component of components) {
      node = component === '' ? node.any : node.named.get(component);
      if (!node) return false;
      path.push(node);
    }
    if (node.value === undefined) return false;
    node.value = undefined;
    this.count--;
    // Prune the branch bottom-up while it leads nowhere.
    for (let i = path.length - 1; i > 0; i--) {
      const current = path[i]!;
      if (current.value !== undefined || current.any || current.named.size > 0) break;
      const parent = path[i - 1]!;
      const component = components[i - 1]!;
      if (component === '') parent.any = undefined;
      else parent.named.delete(component);
    }
    return true;
  }

  *values(): IterableIterator<T> {
    for (const node of treeNodes(this.root, childrenOf)) if (node.value !== undefined) yield node.value;
  }

  collect(uri: string, into: T[]): void {
    if (this.count === 0) return;
    collectFrom(this.root, uri.split('.'), 0, into);
  }

  best(uri: string): T | undefined {
    if (this.count === 0) return undefined;
    return bestFrom(this.root, uri.split('.'), 0);
  }

  /** Nodes below the root; for tests that check deletions leave no dead branches. */
  nodeCount(): number {
    return [...treeNodes(this.root, childrenOf)].length - 1;
  }
}

function collectFrom<T>(node: ComponentNode<T>, components: string[], depth: number, into: T[]): void {
  if (depth === components.length) {
    if (node.value !== undefined) into.push(node.value);
    return;
  }
  const named = node.named.get(components[depth]!);
  if (named) collectFrom(named, components, depth + 1, into);
  if (node.any) collectFrom(node.any, components, depth + 1, into);
}

function bestFrom<T>(node: ComponentNode<T>, components: string[], depth: number): T | undefined {
  if (depth === components.length) return node.value;
  const named = node.named.get(components[depth]!);
  const found = named ? bestFrom(named, components, depth + 1) : undefined;
  if (found !== undefined) return found;
  return node.any ? bestFrom(node.any, components, depth + 1) : undefined;
}
