/**
 * What the cross-checks know about the file's realms (names, roles, URI rule) and the checks of
 * references to them: a realm named anywhere must exist, a role named for a realm must exist in
 * it, and a URI used in a strict realm must follow the strict rule.
 */

import { isValidUri, type MatchPolicy } from '../protocol/uri.js';
import type { ConfigPath, ConfigProblem } from './problems.js';

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

  /** A realm name at `path` must be defined; returns its facts when it is. */
  realm(name: unknown, path: ConfigPath): RealmFacts | undefined {
    if (typeof name !== 'string') return undefined;
    const realm = this.realms.get(name);
    if (realm === undefined) this.problems.push({ path, message: `realm "${name}" is not defined in this configuration` });
    return realm;
  }

  /** A role at `path` must be defined in realm `realmName` (when that realm exists; its absence is reported once, elsewhere). */
  role(realmName: unknown, role: unknown, path: ConfigPath, hint = ''): void {
    if (typeof realmName !== 'string' || typeof role !== 'string') return;
    const realm = this.realms.get(realmName);
    if (realm !== undefined && !realm.roles.has(role)) {
      this.problems.push({ path, message: `role "${role}" is not defined in realm "${realmName}"${hint}` });
    }
  }

  /** In a realm with uri_check "strict" the router refuses loose URIs, so a configured one would fail at start. */
  strictUri(realmName: unknown, uri: unknown, match: MatchPolicy, path: ConfigPath): void {
    if (typeof realmName !== 'string' || typeof uri !== 'string') return;
    const realm = this.realms.get(realmName);
    if (realm === undefined || !realm.strict) return;
    const ok = match === 'exact' ? isValidUri(uri, { strict: true }) : uri === '' || isValidUri(uri, { strict: true, allowEmptyComponents: true });
    if (!ok) {
      this.problems.push({
        path,
        message: `"${uri}" does not follow realm "${realmName}"'s strict URI rule (a-z, 0-9 and "_" per component); change it or set the realm's options.uri_check to "loose"`,
      });
    }
  }
}

export function entries(list: unknown, path: ConfigPath): Entry[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((value, index) => (isRecord(value) ? [{ value, path: [...path, index] }] : []));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
