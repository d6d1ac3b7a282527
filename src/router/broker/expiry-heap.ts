/**
 * Items by the time they expire, the soonest first (a binary min-heap): asking what has expired
 * costs one comparison while nothing has, and taking each expired item out log n.
 */
export class ExpiryHeap<T> {
  private items: T[] = [];

  constructor(private readonly expiryOf: (item: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.expiryOf(items[parent]!) <= this.expiryOf(item)) break;
      items[index] = items[parent]!;
      index = parent;
    }
    items[index] = item;
  }

  /** Takes out and returns the soonest item when it has expired by `now`; undefined when none has. */
  takeExpired(now: number): T | undefined {
    const items = this.items;
    const first = items[0];
    if (first === undefined || this.expiryOf(first) > now) return undefined;
    const last = items.pop()!;
    if (items.length > 0) this.siftDown(last);
    return first;
  }

  /** Keeps only the items `wanted` says yes to (when the caller dropped many it had pushed). */
  keepOnly(wanted: (item: T) => boolean): void {
    // A sorted array is a heap.
    this.items = this.items.filter(wanted).sort((a, b) => this.expiryOf(a) - this.expiryOf(b));
  }

  /** Puts `item` at the root's place and moves it down to where it belongs. */
  private siftDown(item: T): void {
    const items = this.items;
    const expiry = this.expiryOf(item);
    let index = 0;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= items.length) break;
      if (child + 1 < items.length && this.expiryOf(items[child + 1]!) < this.expiryOf(items[child]!)) child++;
      if (this.expiryOf(items[child]!) >= expiry) break;
      items[index] = items[child]!;
      index = child;
    }
    items[index] = item;
  }
}
