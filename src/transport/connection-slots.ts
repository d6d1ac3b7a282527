/**
 * Caps on connections held at once, per service and per key (a client address): the SSE and
 * long-poll services take a slot before a connection becomes a router session, and give it back
 * when the connection ends, however it ends.
 */

export interface SlotLimits {
  /** Slots held at once across all keys (0: no limit). */
  total: number;
  /** Slots one key may hold at once (0: no limit). */
  perKey: number;
}

/** Why a slot was not given: the whole service is full, or this key holds its share already. */
export type SlotRefusal = 'service_full' | 'address_full';

/** A held slot. `release` may be called any number of times; only the first call counts. */
export interface Slot {
  release(): void;
}

export class ConnectionSlots {
  private held = 0;
  /** Keys holding at least one slot: an entry is removed when it drops to zero, so the map never outgrows `held`. */
  private readonly perKey = new Map<string, number>();

  constructor(readonly limits: SlotLimits) {}

  /** Slots held now, across all keys. */
  get total(): number {
    return this.held;
  }

  /** Slots `key` holds now. */
  count(key: string): number {
    return this.perKey.get(key) ?? 0;
  }

  /** Distinct keys holding slots now. */
  get keys(): number {
    return this.perKey.size;
  }

  /** Takes a slot for `key`, or says which limit refuses it (the service's is checked first). */
  acquire(key: string): Slot | SlotRefusal {
    return this.take(key) ?? new HeldSlot(this, key);
  }

  /**
   * Takes a slot for `key` without an object to release it (nothing, or which limit refuses it):
   * for a caller that keeps the key per connection anyway and calls `give(key)` exactly once.
   */
  take(key: string): SlotRefusal | undefined {
    const { total, perKey } = this.limits;
    if (total > 0 && this.held >= total) return 'service_full';
    const mine = this.perKey.get(key) ?? 0;
    if (perKey > 0 && mine >= perKey) return 'address_full';
    this.held += 1;
    this.perKey.set(key, mine + 1);
    return undefined;
  }

  /** Gives back a slot of `key`: once per slot taken (HeldSlot.release, or the caller of take). */
  give(key: string): void {
    this.held -= 1;
    const left = (this.perKey.get(key) ?? 1) - 1;
    if (left > 0) this.perKey.set(key, left);
    else this.perKey.delete(key);
  }
}

/** A slot as an object with a method, not a closure: one is held per open connection. */
class HeldSlot implements Slot {
  private released = false;

  constructor(private readonly slots: ConnectionSlots, private readonly key: string) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    this.slots.give(this.key);
  }
}
