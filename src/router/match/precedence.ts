import type { MatchPolicy } from '../../protocol/uri.js';

/** A registration's pattern: what the spec's precedence for calls compares. */
export interface Pattern {
  readonly uri: string;
  readonly match: MatchPolicy;
}

const policyOrder: Record<MatchPolicy, number> = { exact: 0, prefix: 1, wildcard: 2 };

/**
 * Whether pattern `a` wins a call over pattern `b` when both match the call's URI (the spec's
 * rule, which PatternTable.best follows within one table): an exact match over a prefix over a
 * wildcard; the longer prefix; for two wildcards, the one with a concrete component at the first
 * place they differ (both match the URI, so there one has a concrete component and the other an
 * empty one). False when they are the same pattern.
 */
export function outranks(a: Pattern, b: Pattern): boolean {
  if (a.match !== b.match) return policyOrder[a.match] < policyOrder[b.match];
  if (a.match === 'prefix') return a.uri.length > b.uri.length;
  if (a.match === 'exact') return false;
  const ours = a.uri.split('.');
  const theirs = b.uri.split('.');
  for (let i = 0; i < ours.length; i++) if (ours[i] !== theirs[i]) return ours[i] !== '';
  return false;
}
