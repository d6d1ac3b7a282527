/** URI rules of the WAMP spec, and the three match policies of pattern-based subscriptions. */

export type MatchPolicy = 'exact' | 'prefix' | 'wildcard';
export const matchPolicies: readonly MatchPolicy[] = ['exact', 'prefix', 'wildcard'];

export interface UriRules {
  /** strict: lower-case letters, digits and "_" only; loose: anything but whitespace, "." and "#". */
  strict: boolean;
  /** Empty components ("com..update") are allowed only in wildcard patterns. */
  allowEmptyComponents?: boolean;
}

const loose = /^([^\s.#]+\.)*([^\s.#]+)$/;
const strict = /^([0-9a-z_]+\.)*([0-9a-z_]+)$/;
const looseWithEmpty = /^(([^\s.#]+\.)|\.)*([^\s.#]+)?$/;
const strictWithEmpty = /^(([0-9a-z_]+\.)|\.)*([0-9a-z_]+)?$/;

export function isValidUri(uri: string, rules: UriRules): boolean {
  if (uri.length === 0) return false;
  if (rules.allowEmptyComponents) return (rules.strict ? strictWithEmpty : looseWithEmpty).test(uri);
  return (rules.strict ? strict : loose).test(uri);
}

/**
 * The longest URI the router takes (characters). The spec sets none, but the router holds the URIs
 * of subscriptions and registrations: without a bound, 10,000 subscriptions of 1 MiB URIs would hold
 * 10 GiB for one session. Far beyond any URI in use (MQTT topics and Pusher channels included).
 */
export const maxUriLength = 4_096;

/** A URI as error texts quote it: a long one is cut, so an error never echoes megabytes back. */
export function quoted(uri: string): string {
  return uri.length <= 200 ? `"${uri}"` : `"${uri.slice(0, 200)}..." (${uri.length} characters)`;
}

/** Why a URI is unacceptable, or undefined when it is fine. */
export function uriProblem(uri: string, rules: UriRules): string | undefined {
  if (uri.length > maxUriLength) return `${quoted(uri)} is not a valid URI: it is longer than ${maxUriLength} characters`;
  if (isValidUri(uri, rules)) return undefined;
  if (uri === '') return 'an empty string is not a valid URI';
  if (rules.strict) {
    return `${quoted(uri)} is not a valid URI: components must be non-empty and use only a-z, 0-9 and "_"`;
  }
  return `${quoted(uri)} is not a valid URI: components must be non-empty and contain no whitespace, "." or "#"`;
}

/** Why uriProblem refused a URI, in a word (a metric's label): too long, or not a URI by the rules. */
export function uriProblemKind(uri: string): 'too_long' | 'malformed' {
  return uri.length > maxUriLength ? 'too_long' : 'malformed';
}

/** Whether `uri` is matched by `pattern` under `policy` (prefix is a plain string prefix, as the spec's examples show). */
export function uriMatches(pattern: string, policy: MatchPolicy, uri: string): boolean {
  switch (policy) {
    case 'exact':
      return pattern === uri;
    case 'prefix':
      return uri.startsWith(pattern);
    case 'wildcard': {
      const want = pattern.split('.');
      const got = uri.split('.');
      if (want.length !== got.length) return false;
      return want.every((component, i) => component === '' || component === got[i]);
    }
  }
}

/**
 * Procedures the router serves to itself (function authenticators): only its own trusted
 * sessions may register, call or subscribe below this prefix; clients get invalid_uri.
 */
export const privateUriPrefix = 'wamp.junction.private.';
