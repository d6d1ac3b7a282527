/**
 * The cookies this process bound for each identity (realm and authid), so that one client that
 * signs in again and again, getting a new cookie each time, replaces its own oldest cookies
 * rather than filling the store and pushing out everybody else's. Process-local: with `--workers`
 * or in a cluster each process holds its own count (a client spread over them gets that many
 * each). Memory is bounded by `maxKeys` (the store's own bound): past it the oldest key is only
 * no longer counted here, it stays in the store.
 */
export class CookiesPerIdentity {
  /** Every counted key with its identity and expiry, oldest first. */
  private readonly keys = new Map<string, { identity: string; expires: number }>();
  /** The counted keys of each identity, oldest first. */
  private readonly byIdentity = new Map<string, Set<string>>();

  /**
   * Counts `key` as bound to `identity` and returns the keys of that identity beyond
   * `maxPerIdentity`, oldest first: the caller drops them from the store. Expired keys are not
   * counted (the store forgets them itself).
   */
  bind(identity: string, key: string, expires: number, now: number, maxPerIdentity: number, maxKeys: number): string[] {
    this.remove(key);
    const same = this.byIdentity.get(identity) ?? new Set<string>();
    this.byIdentity.set(identity, same);
    const over: string[] = [];
    for (const oldest of same) {
      const expired = this.keys.get(oldest)!.expires <= now;
      if (!expired && same.size < maxPerIdentity) break;
      this.remove(oldest);
      if (!expired) over.push(oldest);
    }
    while (this.keys.size >= maxKeys) this.remove(this.keys.keys().next().value!);
    this.keys.set(key, { identity, expires });
    // `remove` may have dropped the identity's emptied set: hold on to the one this key joins.
    this.byIdentity.set(identity, same);
    same.add(key);
    return over;
  }

  /** The key no longer counts (a logout). */
  remove(key: string): void {
    const counted = this.keys.get(key);
    if (counted === undefined) return;
    this.keys.delete(key);
    const same = this.byIdentity.get(counted.identity)!;
    same.delete(key);
    if (same.size === 0) this.byIdentity.delete(counted.identity);
  }

  /** Keys counted (for tests and the bound). */
  get size(): number {
    return this.keys.size;
  }
}

/** The identity a binding is counted under: an authid is one principal only within its realm. */
export function identityOf(realm: string, authid: string): string {
  return `${realm}\u0000${authid}`;
}
