import { PatternTable } from './match/pattern-table.js';
import { interestKey, type Interest } from './backplane.js';

/**
 * Which other nodes want publications to which topics: each node's announced subscriptions
 * (exact, prefix, wildcard) in one pattern table per realm, so finding the nodes a publication
 * goes to costs what the broker's own match costs, not a scan of every node's subscriptions.
 */
/** The nodes that announced one (realm, uri, match). */
interface Holders {
  interest: Interest;
  nodes: Set<string>;
}

export class RemoteInterests {
  private readonly realms = new Map<string, PatternTable<Holders>>();
  private readonly byNode = new Map<string, Map<string, Interest>>();

  add(node: string, interest: Interest): void {
    let mine = this.byNode.get(node);
    if (!mine) this.byNode.set(node, (mine = new Map()));
    const key = interestKey(interest);
    if (mine.has(key)) return;
    mine.set(key, interest);
    let table = this.realms.get(interest.realm);
    if (!table) this.realms.set(interest.realm, (table = new PatternTable()));
    let holders = table.get(interest.uri, interest.match);
    if (!holders) table.set(interest.uri, interest.match, (holders = { interest, nodes: new Set() }));
    holders.nodes.add(node);
  }

  remove(node: string, interest: Interest): void {
    const mine = this.byNode.get(node);
    if (!mine?.delete(interestKey(interest))) return;
    if (mine.size === 0) this.byNode.delete(node);
    const table = this.realms.get(interest.realm)!;
    const { nodes } = table.get(interest.uri, interest.match)!;
    nodes.delete(node);
    if (nodes.size > 0) return;
    table.delete(interest.uri, interest.match);
    if (table.exact.size === 0 && !table.hasPatterns) this.realms.delete(interest.realm);
  }

  /** Forgets everything a node announced (it left, died, or is about to announce its whole state again). */
  dropNode(node: string): void {
    const mine = this.byNode.get(node);
    if (!mine) return;
    for (const interest of [...mine.values()]) this.remove(node, interest);
  }

  /** The nodes with a subscription matching a publication to `topic` in `realm`. */
  nodesFor(realm: string, topic: string): Set<string> {
    const found = new Set<string>();
    const table = this.realms.get(realm);
    if (!table) return found;
    for (const { nodes } of table.matches(topic)) for (const node of nodes) found.add(node);
    return found;
  }

  /** The nodes holding the pattern that matches `uri` best (exact, else longest prefix, else wildcard). */
  bestNodes(realm: string, uri: string): Set<string> | undefined {
    return this.realms.get(realm)?.best(uri)?.nodes;
  }

  /** The pattern that matches `uri` best, as announced. */
  best(realm: string, uri: string): Interest | undefined {
    return this.realms.get(realm)?.best(uri)?.interest;
  }

  /** The nodes known to have announced anything. */
  nodes(): IterableIterator<string> {
    return this.byNode.keys();
  }

  interestsOf(node: string): Interest[] {
    return [...(this.byNode.get(node)?.values() ?? [])];
  }
}
