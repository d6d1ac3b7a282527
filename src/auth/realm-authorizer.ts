import type { Dict } from '../protocol/messages.js';
import type { Action, Authorizer, Decision, SessionFacts } from '../router/hooks.js';
import { trustedRole } from './caller.js';

/** How one role is authorized: its static permissions (answering synchronously) or a dynamic authorizer. */
export interface RoleAuthorizer {
  authorize(session: SessionFacts, action: Action, uri: string, options: Dict): Decision | Promise<Decision>;
  /** Decisions it remembers now (a metric reads it at scrape time). */
  readonly cachedCount: number;
}

/** Decisions the roles' caches let go because they were full, counted for a metric: one per node, shared by every role. */
export interface CacheDrops {
  count: number;
}

const allowed: Decision = Object.freeze({ allow: true });
const denied: Decision = Object.freeze({ allow: false });

/**
 * A router's own in-process session (InternalSession joins with authmethod "trusted", provider
 * "internal"). No network client can get that authmethod, so the check cannot be spoofed by
 * naming a role "trusted".
 */
export function isRouterSession(session: SessionFacts): boolean {
  return session.authrole === trustedRole && session.authmethod === 'trusted' && session.authprovider === 'internal';
}

/**
 * A realm's authorizer: each session is judged by its role. The router's own sessions may do
 * everything (they call dynamic authenticators and authorizers); a role the realm does not define
 * may do nothing.
 */
export class RealmAuthorizer implements Authorizer {
  constructor(private readonly roles: ReadonlyMap<string, RoleAuthorizer>) {}

  /** Decisions its roles remember now. */
  get cachedCount(): number {
    let count = 0;
    for (const role of this.roles.values()) count += role.cachedCount;
    return count;
  }

  authorize(session: SessionFacts, action: Action, uri: string, options: Dict): Decision | Promise<Decision> {
    if (isRouterSession(session)) return allowed;
    const role = this.roles.get(session.authrole);
    return role ? role.authorize(session, action, uri, options) : denied;
  }
}
