import { ErrorUri } from '../protocol/errors.js';

/** A Crossbar proxy worker's routes: realm -> the roles its clients may sign in as. */
export type SignInRoutes = Readonly<Record<string, readonly string[]>>;

/**
 * Why a sign-in that ended in (realm, role) is outside the routes, with the errors Crossbar's
 * proxy gives: an unrouted realm is no_such_realm, an unrouted role no_such_role, except
 * "anonymous" and "trusted", which Crossbar lets through its role check and then fails to route
 * (authentication_failed). Undefined: routed.
 */
export function routeRefusal(routes: SignInRoutes, realm: string, role: string): { reason: string; message: string } | undefined {
  const roles = Object.hasOwn(routes, realm) ? routes[realm]! : undefined;
  if (roles === undefined) return { reason: ErrorUri.noSuchRealm, message: `no realm "${realm}" exists on this router` };
  if (roles.includes(role)) return undefined;
  if (role === 'anonymous' || role === 'trusted') {
    return { reason: ErrorUri.authenticationFailed, message: `no route for realm "${realm}" and role "${role}" on this proxy` };
  }
  return { reason: ErrorUri.noSuchRole, message: `realm "${realm}" has no role "${role}"` };
}
