import { uriMatches, type MatchPolicy } from '../protocol/uri.js';
import type { Action, Decision } from '../router/hooks.js';
import type { CacheDrops } from './realm-authorizer.js';

/** URIs whose deciding permission a role remembers, at most (README limits table). */
const MAX_REMEMBERED_URIS = 4_096;

export interface StaticPermission {
  uri: string;
  match: MatchPolicy;
  allow: Record<Action, boolean>;
  disclose: { caller: boolean; publisher: boolean };
}

const matchRank: Record<MatchPolicy, number> = { exact: 2, prefix: 1, wildcard: 0 };

/**
 * Whether permission `a` is more specific than `b`: the longer pattern wins; at equal length
 * exact beats prefix beats wildcard. (docs/authentication.md has the rule with examples.)
 */
function moreSpecific(a: StaticPermission, b: StaticPermission): boolean {
  if (a.uri.length !== b.uri.length) return a.uri.length > b.uri.length;
  return matchRank[a.match] > matchRank[b.match];
}

/**
 * One role's permissions from the config. The single most specific permission matching the URI
 * decides every action on it (a less specific permission never fills in); no matching
 * permission denies.
 */
export class PermissionTable {
  /** The deciding permission per URI (null: none matches). Every publish asks, so repeats skip the scan. */
  private readonly decided = new Map<string, StaticPermission | null>();

  constructor(
    private readonly permissions: readonly StaticPermission[],
    private readonly maxRemembered = MAX_REMEMBERED_URIS,
    private readonly drops: CacheDrops = { count: 0 },
  ) {}

  get cachedCount(): number {
    return this.decided.size;
  }

  /** The permission that decides for `uri`, if any matches. */
  decidingPermission(uri: string): StaticPermission | undefined {
    const known = this.decided.get(uri);
    if (known !== undefined) return known ?? undefined;
    let best: StaticPermission | undefined;
    for (const permission of this.permissions) {
      if (!uriMatches(permission.uri, permission.match, uri)) continue;
      if (!best || moreSpecific(permission, best)) best = permission;
    }
    // Bounded: a client publishing to ever new URIs only ever costs the scan.
    if (this.decided.size >= this.maxRemembered) {
      this.drops.count += this.decided.size;
      this.decided.clear();
    }
    this.decided.set(uri, best ?? null);
    return best;
  }

  /**
   * Allowed or not; `disclose: true` when the permission forces caller (call) or publisher
   * (publish) disclosure. A static permission never forbids disclosure the client asks for.
   */
  authorize(_session: unknown, action: Action, uri: string): Decision {
    const best = this.decidingPermission(uri);
    if (!best || !best.allow[action]) return { allow: false };
    if (action === 'publish' && best.disclose.publisher) return { allow: true, disclose: true };
    if (action === 'call' && best.disclose.caller) return { allow: true, disclose: true };
    return { allow: true };
  }
}
