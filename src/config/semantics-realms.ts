/**
 * What the cross-checks know about the file's realms (names, roles, URI rule) and the checks of
 * references to them: a realm named anywhere must exist, a role named for a realm must exist in
 * it, and a URI the router will be asked to use passes the realm's URI check.
 */

import { isValidUri, type MatchPolicy } from '../protocol/uri.js';
import { closestName } from './schema-problems.js';
import { problem, type ConfigProblem } from './problems.js';
import type { ConfigPath } from './config-path.js';

export type Entry = { value: Record<string, unknown>; path: ConfigPath };

export interface RealmFacts {
  roles: ReadonlySet<string>;
  strict: boolean;
}

export class RealmReferences {
  constructor(
    private readonly realms: ReadonlyMap<string, RealmFacts>,
    private readonly problems: ConfigProblem[],
  ) {}

  has(name: string): boolean {
    return this.realms.has(name);
  }

  /** A function authenticator at `path` is served by a Python host that joins the router's first realm: there must be one. */
  functionHostRealm(path: ConfigPath): void {
    if (this.realms.size === 0) this.problems.push(problem('config.auth.function_without_realm', path));
  }

  /** A realm name at `path` must be defined; returns its facts when it is. */
  realm(name: unknown, path: ConfigPath): RealmFacts | undefined {
    if (typeof name !== 'string') return undefined;
    const realm = this.realms.get(name);
    if (realm === undefined) this.problems.push(problem('config.realm.undefined', path, name));
    return realm;
  }

  /** A role at `path` must be defined in realm `realmName` (when that realm exists; its absence is reported once, elsewhere). */
  role(realmName: unknown, role: unknown, path: ConfigPath, hint = ''): void {
    if (typeof realmName !== 'string' || typeof role !== 'string') return;
    const realm = this.realms.get(realmName);
    if (realm !== undefined && !realm.roles.has(role)) {
      this.problems.push(problem('config.role.undefined', path, role, realmName, didYouMean(role, realm.roles) + hint));
    }
  }

  /**
   * The role of a static principal where the client names the realm (WebSocket, RawSocket, long-poll):
   * some realm must define it, or that sign-in always fails. Which realm the client will pick is
   * not known here; "anonymous" is accepted in every realm (auth/gate.ts).
   */
  roleInSomeRealm(role: unknown, path: ConfigPath): void {
    if (typeof role !== 'string' || role === 'anonymous') return;
    const defined = new Set([...this.realms.values()].flatMap((realm) => [...realm.roles]));
    if (!defined.has(role)) this.problems.push(problem('config.role.nowhere', path, role, didYouMean(role, defined)));
  }

  /**
   * A URI the router will be asked to use in realm `realmName` (a webhook topic, a forwarder
   * subscription, a procedure to register) must pass the realm's own check, or the component or
   * service would fail at start or on every request. Same rule as the router's: a prefix may end
   * in "."; a wildcard may have empty components; a strict realm allows only a-z, 0-9 and "_".
   */
  routerUri(realmName: unknown, uri: unknown, match: MatchPolicy, path: ConfigPath): void {
    if (typeof realmName !== 'string' || typeof uri !== 'string') return;
    const realm = this.realms.get(realmName);
    // The schema checked an exact URI by the loose rule already; only a strict realm adds to it.
    if (realm === undefined || (match === 'exact' && !realm.strict)) return;
    const checked = match === 'prefix' && uri.length > 1 && uri.endsWith('.') ? uri.slice(0, -1) : uri;
    if (checked === '') {
      const what = match === 'prefix' ? 'a pattern that matches every URI' : 'an empty URI';
      this.problems.push(problem('config.uri.matches_all', path, what));
      return;
    }
    if (isValidUri(checked, { strict: realm.strict, allowEmptyComponents: match === 'wildcard' })) return;
    this.problems.push(problem(realm.strict ? 'config.uri.strict_rule' : 'config.uri.refused', path, uri, realmName));
  }

  /**
   * A procedure the router calls in realm `realmName` (a dynamic authorizer or authenticator):
   * the schema checked it loosely; a strict realm could not register it, so it must be strict too.
   */
  calledProcedure(realmName: unknown, uri: unknown, path: ConfigPath): void {
    if (typeof realmName !== 'string' || typeof uri !== 'string') return;
    if (!this.realms.get(realmName)?.strict || !isValidUri(uri, { strict: false }) || isValidUri(uri, { strict: true })) return;
    this.problems.push(problem('config.uri.strict_rule', path, uri, realmName));
  }
}

/** " (did you mean "admin"?)" when a defined role is a likely typo of `role`, else "". */
function didYouMean(role: string, defined: ReadonlySet<string>): string {
  const suggestion = closestName(role, [...defined]);
  return suggestion === undefined ? '' : ` (did you mean ${JSON.stringify(suggestion)}?)`;
}

export function entries(list: unknown, path: ConfigPath): Entry[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((value, index) => (isRecord(value) ? [{ value, path: [...path, index] }] : []));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
