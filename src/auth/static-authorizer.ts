import { uriMatches, type MatchPolicy } from '../protocol/uri.js';
import type { Action, Authorizer, Decision } from '../router/hooks.js';

export interface StaticPermission {
  uri: string;
  match: MatchPolicy;
  allow: Record<Action, boolean>;
  disclose: { caller: boolean; publisher: boolean };
}

const matchRank: Record<MatchPolicy, number> = { exact: 2, prefix: 1, wildcard: 0 };

/**
 * Whether permission `a` is more specific than `b` for the same URI: the longer pattern wins;
 * at equal length exact beats prefix beats wildcard.
 */
function moreSpecific(a: StaticPermission, b: StaticPermission): boolean {
  if (a.uri.length !== b.uri.length) return a.uri.length > b.uri.length;
  return matchRank[a.match] > matchRank[b.match];
}

/**
 * Permissions from the config, per role. For each action the most specific matching permission
 * decides; no matching permission, or an unknown role, denies.
 */
export class StaticAuthorizer implements Authorizer {
  constructor(private readonly roles: ReadonlyMap<string, readonly StaticPermission[]>) {}

  authorize(session: { authrole: string }, action: Action, uri: string): Decision {
    const permissions = this.roles.get(session.authrole);
    if (!permissions) return { allow: false };
    let best: StaticPermission | undefined;
    for (const permission of permissions) {
      if (!uriMatches(permission.uri, permission.match, uri)) continue;
      if (!best || moreSpecific(permission, best)) best = permission;
    }
    if (!best || !best.allow[action]) return { allow: false };
    if (action === 'publish' && best.disclose.publisher) return { allow: true, disclose: true };
    if (action === 'call' && best.disclose.caller) return { allow: true, disclose: true };
    return { allow: true };
  }
}
