/**
 * WAMP v1 URIs and WAMP v2 URIs. v1 names topics and procedures with full URIs
 * ("http://example.com/form#lock") or CURIEs ("form:lock", once the client sent PREFIX form
 * "http://example.com/form#"); v2 uses dotted names ("com.example.form.lock"). A configured list
 * of prefix pairs translates one into the other; a URI no pair matches is kept as it is, so
 * simple names ("form-lock", "com.example.form.example.1") need no rule.
 */

export interface UriRule {
  /** A v1 URI prefix, e.g. "http://example.com/form#". */
  v1: string;
  /** What replaces it in v2, e.g. "com.example.form.". */
  v2: string;
}

export class UriMapping {
  constructor(private readonly rules: readonly UriRule[]) {}

  /** A v1 URI (already expanded from a CURIE) as the router knows it: the first matching rule applies. */
  toV2(uri: string): string {
    for (const rule of this.rules) {
      if (uri.startsWith(rule.v1)) return rule.v2 + uri.slice(rule.v1.length);
    }
    return uri;
  }

  /** A router URI (an error's) as a v1 client expects it: the first rule whose v2 side matches. */
  toV1(uri: string): string {
    for (const rule of this.rules) {
      if (rule.v2 !== '' && uri.startsWith(rule.v2)) return rule.v1 + uri.slice(rule.v2.length);
    }
    return uri;
  }
}

/** A session's PREFIX table: CURIE prefixes to the URIs they stand for, bounded. */
export class PrefixTable {
  private readonly prefixes = new Map<string, string>();

  constructor(private readonly maxPrefixes: number) {}

  /** Records a prefix; false when the table is full (a prefix already known may still be changed). */
  set(prefix: string, uri: string): boolean {
    if (!this.prefixes.has(prefix) && this.prefixes.size >= this.maxPrefixes) return false;
    this.prefixes.set(prefix, uri);
    return true;
  }

  /** "form:lock" -> "http://example.com/form#lock" when "form" is a known prefix; anything else as it is. */
  expand(uri: string): string {
    const colon = uri.indexOf(':');
    if (colon <= 0) return uri;
    const base = this.prefixes.get(uri.slice(0, colon));
    return base === undefined ? uri : base + uri.slice(colon + 1);
  }
}
