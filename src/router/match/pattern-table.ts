import type { MatchPolicy } from '../../protocol/uri.js';
import { ExactIndex } from './exact-index.js';
import type { MatchIndex } from './match-index.js';
import { PrefixTrie } from './prefix-trie.js';
import { WildcardIndex } from './wildcard-index.js';

/**
 * The broker's subscriptions or the dealer's registrations under all three match policies:
 * an exact map, a prefix trie and a wildcard index, looked up together.
 */
export class PatternTable<T> {
  readonly exact = new ExactIndex<T>();
  readonly prefix = new PrefixTrie<T>();
  readonly wildcard = new WildcardIndex<T>();

  index(policy: MatchPolicy): MatchIndex<T> {
    switch (policy) {
      case 'exact': return this.exact;
      case 'prefix': return this.prefix;
      case 'wildcard': return this.wildcard;
    }
  }

  get(uri: string, policy: MatchPolicy): T | undefined {
    return this.index(policy).get(uri);
  }

  set(uri: string, policy: MatchPolicy, value: T): void {
    this.index(policy).set(uri, value);
  }

  delete(uri: string, policy: MatchPolicy): boolean {
    return this.index(policy).delete(uri);
  }

  /** Whether any prefix or wildcard pattern exists (when none does, an exact lookup is all there is). */
  get hasPatterns(): boolean {
    return this.prefix.size > 0 || this.wildcard.size > 0;
  }

  /** Every value whose pattern matches `uri`: exact first, then prefix, then wildcard. */
  matches(uri: string): T[] {
    const found: T[] = [];
    this.exact.collect(uri, found);
    this.prefix.collect(uri, found);
    this.wildcard.collect(uri, found);
    return found;
  }

  /** The one value a call is routed to: the exact match, else the longest prefix, else the best wildcard. */
  best(uri: string): T | undefined {
    return this.exact.best(uri) ?? this.prefix.best(uri) ?? this.wildcard.best(uri);
  }
}
