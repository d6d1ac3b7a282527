/** WAMP IDs: global-scope random IDs and session-scope sequential IDs, both in 1..2^53. */

const MAX_ID = 2 ** 53;
const POOL_SIZE = 512;

/**
 * Random IDs drawn from the platform's CSPRNG in batches, so that a publish costs no system call.
 * Each ID takes 53 bits from two 32-bit words.
 */
export class RandomIdSource {
  private readonly pool = new Uint32Array(POOL_SIZE * 2);
  private next = POOL_SIZE * 2;

  nextId(): number {
    if (this.next >= this.pool.length) {
      globalThis.crypto.getRandomValues(this.pool);
      this.next = 0;
    }
    const high = this.pool[this.next++]! & 0x1fffff;
    const low = this.pool[this.next++]!;
    return high * 0x100000000 + low || 1;
  }
}

const shared = new RandomIdSource();

/** A random ID for the global scope (session and publication IDs). */
export function randomId(): number {
  return shared.nextId();
}

/** Sequential IDs for the session and router scopes: 1, 2, 3, ... wrapping after 2^53. */
export class IdSequence {
  private last = 0;

  nextId(): number {
    this.last = this.last >= MAX_ID ? 1 : this.last + 1;
    return this.last;
  }
}
