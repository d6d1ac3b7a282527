/**
 * A set made for the common case of one member: a subscription of a per-user topic has one
 * subscriber. A Set of one member takes about 150 bytes (the Set and its hash table); this takes
 * 40 until a second member comes, and is then a Set. Iteration follows insertion order, like a
 * Set's; a member deleted while the set is iterated is not visited, one added may or may not be.
 */
export class SmallSet<T> implements Iterable<T> {
  /** The member while there is at most one (and no `many`). */
  private one: T | undefined;
  /** All members, once there were two at a time. */
  private many: Set<T> | undefined;

  get size(): number {
    if (this.many) return this.many.size;
    return this.one === undefined ? 0 : 1;
  }

  has(member: T): boolean {
    return this.many ? this.many.has(member) : this.one === member;
  }

  add(member: T): void {
    if (this.many) {
      this.many.add(member);
    } else if (this.one === undefined) {
      this.one = member;
    } else if (this.one !== member) {
      this.many = new Set([this.one, member]);
      this.one = undefined;
    }
  }

  delete(member: T): void {
    if (this.many) {
      this.many.delete(member);
      if (this.many.size === 0) this.many = undefined;
    } else if (this.one === member) {
      this.one = undefined;
    }
  }

  [Symbol.iterator](): Iterator<T> {
    if (this.many) return this.many.values();
    return (this.one === undefined ? [] : [this.one]).values();
  }
}
