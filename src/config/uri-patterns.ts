/**
 * URI patterns as written in config files: Crossbar's star convention and the checks that keep
 * a pattern meaningful for its match policy.
 */

import { isValidUri, type MatchPolicy } from '../protocol/uri.js';

export type ResolvedPattern = { ok: true; uri: string; match: MatchPolicy } | { ok: false; problem: string };

/**
 * A permission URI with an optional explicit `match`.
 *
 * Without `match`, stars decide (as Crossbar does): no star = exact; one trailing star = prefix
 * (star removed, so "*" alone is the prefix "" that covers every URI); stars elsewhere = wildcard,
 * each star being one whole component that becomes empty ("com.*.update" -> "com..update").
 * A star inside a component ("com.ex*ple") matches nothing sensible and is refused.
 * With an explicit `match`, the URI is taken literally, so it must not contain stars.
 */
export function resolvePermissionUri(uri: string, match: MatchPolicy | undefined): ResolvedPattern {
  if (match !== undefined) {
    if (uri.includes('*')) {
      return {
        ok: false,
        problem: `"${uri}" contains "*" although "match" is given; with an explicit match, write the URI without stars (empty components for wildcards)`,
      };
    }
    return checkPattern(uri, match);
  }
  const stars = uri.split('*').length - 1;
  if (stars === 0) return checkPattern(uri, 'exact');
  if (stars === 1 && uri.endsWith('*')) return checkPattern(uri.slice(0, -1), 'prefix');
  const components = uri.split('.');
  if (components.some((component) => component.includes('*') && component !== '*')) {
    return {
      ok: false,
      problem: `"${uri}": a "*" must be a whole URI component (as in "com.*.update") or the last character (as in "com.example.*")`,
    };
  }
  return checkPattern(components.map((component) => (component === '*' ? '' : component)).join('.'), 'wildcard');
}

/** Set when Crossbar's reading differs from what the text suggests: the notice that says so. */
export type PermissionReading = 'config.notice.empty_exact_uri' | 'config.notice.literal_star';
export type ResolvedPermission = ResolvedPattern & { note?: PermissionReading };

/**
 * A permission's URI as Crossbar reads it: as `resolvePermissionUri`, plus two forms that Crossbar
 * accepts and a plain pattern check would not. With an explicit `match`, "*" is an ordinary
 * character (Crossbar skips its star conversion then). An empty URI with "match": "exact" covers
 * every URI that no other permission covers: the prefix "" (Crossbar's trie lookup falls back to
 * the empty key).
 */
export function resolvePermission(uri: string, match: MatchPolicy | undefined): ResolvedPermission {
  if (match === 'exact' && uri === '') {
    return { ok: true, uri, match: 'prefix', note: 'config.notice.empty_exact_uri' };
  }
  if (match !== undefined && uri.includes('*')) {
    const checked = checkPattern(uri, match);
    if (!checked.ok) return checked;
    return { ...checked, note: 'config.notice.literal_star' };
  }
  return resolvePermissionUri(uri, match);
}

/**
 * Whether `uri` makes sense under `match`. Loose URI rules apply (any character but whitespace,
 * "." and "#"), as in Crossbar's permission check, because patterns must cover what a loose
 * realm accepts too.
 */
export function checkPattern(uri: string, match: MatchPolicy): ResolvedPattern {
  switch (match) {
    case 'exact':
      if (isValidUri(uri, { strict: false })) return { ok: true, uri, match };
      return { ok: false, problem: `"${uri}" is not a valid URI for exact matching: components must be non-empty and contain no whitespace, "." or "#"` };
    case 'prefix':
      // A prefix is any start of a URI: "" (everything), "com.example." or "com.ex".
      if (uri === '' || isValidUri(uri, { strict: false, allowEmptyComponents: true })) return { ok: true, uri, match };
      return { ok: false, problem: `"${uri}" is not a valid URI prefix: it must not contain whitespace or "#"` };
    case 'wildcard':
      // Empty components stand for "any one component"; "" alone matches any one-component URI.
      if (uri === '' || isValidUri(uri, { strict: false, allowEmptyComponents: true })) return { ok: true, uri, match };
      return {
        ok: false,
        problem: `"${uri}" is not a valid wildcard pattern: components contain no whitespace or "#", empty ones stand for "any" (as in "com..update")`,
      };
  }
}

/** Procedure URIs the router calls (authorizers, authenticators): non-empty components without whitespace, "." or "#". */
export function procedureUriProblem(uri: string): string | undefined {
  if (isValidUri(uri, { strict: false })) return undefined;
  return `"${uri}" is not a valid procedure URI: components must be non-empty and contain no whitespace, "." or "#"`;
}
