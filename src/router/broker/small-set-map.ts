/** Past this many values a key's values are a Set (adding and removing stay O(1)); up to it, a list of exactly their number. */
const LIST_MAX = 8;

type Values<V> = V | V[] | Set<V>;

/**
 * A map from each key to a set of values, made for many keys with few values each (a broker's
 * subscriptions per session: most sessions hold one to a few). A Set of one or two values takes
 * about 150 bytes; here one value is the value itself, up to LIST_MAX a list of exactly their
 * number (64 bytes for two), and only more become a Set. V must not be an array or a Set itself.
 */
export class SmallSetMap<K, V extends object> {
  private readonly map = new Map<K, Values<V>>();

  /** How many keys have values (a key left with none is forgotten). */
  get keyCount(): number {
    return this.map.size;
  }

  /** How many values `key` has. */
  size(key: K): number {
    const values = this.map.get(key);
    if (values === undefined) return 0;
    if (Array.isArray(values)) return values.length;
    return values instanceof Set ? values.size : 1;
  }

  has(key: K, value: V): boolean {
    const values = this.map.get(key);
    if (values === undefined) return false;
    if (Array.isArray(values)) return values.includes(value);
    return values instanceof Set ? values.has(value) : values === value;
  }

  /** Adds `value` to `key`'s values (nothing when it is there already). */
  add(key: K, value: V): void {
    const values = this.map.get(key);
    if (values === undefined) return void this.map.set(key, value);
    if (values instanceof Set) return void values.add(value);
    if (!Array.isArray(values)) {
      if (values !== value) this.map.set(key, [values, value]);
      return;
    }
    if (values.includes(value)) return;
    // A copy of the exact size: a list grown by push keeps room for 16 more.
    this.map.set(key, values.length < LIST_MAX ? [...values, value] : new Set([...values, value]));
  }

  /** Removes `value` from `key`'s values; a key left with none is forgotten. */
  delete(key: K, value: V): void {
    const values = this.map.get(key);
    if (values === undefined) return;
    if (values instanceof Set) {
      values.delete(value);
      if (values.size === 0) this.map.delete(key);
    } else if (Array.isArray(values)) {
      if (!values.includes(value)) return;
      const rest = values.filter((item) => item !== value);
      this.map.set(key, rest.length === 1 ? rest[0]! : rest);
    } else if (values === value) {
      this.map.delete(key);
    }
  }

  /** `key`'s values (a view: do not change the map while iterating it). */
  values(key: K): Iterable<V> {
    const values = this.map.get(key);
    if (values === undefined) return [];
    return Array.isArray(values) || values instanceof Set ? values : [values];
  }

  /** Forgets `key` and returns the values it had. */
  take(key: K): V[] {
    const values = this.map.get(key);
    if (values === undefined) return [];
    this.map.delete(key);
    if (Array.isArray(values)) return values;
    return values instanceof Set ? [...values] : [values];
  }
}
