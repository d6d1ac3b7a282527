/**
 * Slows down addresses that keep failing to sign in (password guessing). Each address has a
 * failure budget; failures are forgiven one by one as time passes. Over budget, attempts from
 * that address are spaced out, each later than the previous one, and an attempt that would have
 * to wait longer than `maxWaitMs` is refused outright, so parallel connections gain nothing.
 * Memory is bounded: at most `maxAddresses` addresses are remembered.
 */

export interface ThrottleOptions {
  /** Failed sign-ins an address may have before it is slowed down. */
  budget: number;
  /** One failure is forgiven every this many milliseconds. */
  forgiveMs: number;
  /** Over budget, attempts are spaced `spacingMs × (failures over budget + 1)` apart. */
  spacingMs: number;
  /** An attempt that would wait longer than this is refused at once. */
  maxWaitMs: number;
  /** Addresses remembered at most; the least recently seen is forgotten first. */
  maxAddresses: number;
}

export const defaultThrottleOptions: ThrottleOptions = {
  budget: 5,
  forgiveMs: 60_000,
  spacingMs: 1_000,
  maxWaitMs: 5_000,
  maxAddresses: 10_000,
};

interface AddressRecord {
  /** Failures not yet forgiven, as of `at`. Fractional: forgiveness is continuous. */
  failures: number;
  at: number;
  /** When the latest admitted attempt over budget may proceed. */
  nextSlot: number;
}

export type Admission = { wait: number } | { refused: true };

export class SignInThrottle {
  readonly options: ThrottleOptions;
  /** Attempts made to wait, and attempts refused, since the start (for the node's metrics). */
  delayed = 0;
  refused = 0;
  private readonly records = new Map<string, AddressRecord>();

  constructor(options: Partial<ThrottleOptions> = {}, private readonly now: () => number = Date.now) {
    this.options = { ...defaultThrottleOptions, ...options };
  }

  /** Whether (and after how many ms) a sign-in attempt from `address` may proceed. */
  admit(address: string): Admission {
    const record = this.records.get(address);
    if (!record) return { wait: 0 };
    const now = this.now();
    const failures = this.outstanding(record, now);
    if (failures < this.options.budget) {
      if (failures === 0 && record.nextSlot <= now) this.records.delete(address);
      return { wait: 0 };
    }
    const spacing = this.options.spacingMs * (Math.floor(failures - this.options.budget) + 1);
    const wait = Math.max(now, record.nextSlot) + spacing - now;
    if (wait > this.options.maxWaitMs) {
      this.refused += 1;
      return { refused: true };
    }
    this.delayed += 1;
    record.nextSlot = now + wait;
    this.touch(address, record);
    return { wait };
  }

  /** Records a failed sign-in from `address`. */
  failed(address: string): void {
    const now = this.now();
    const record = this.records.get(address) ?? { failures: 0, at: now, nextSlot: 0 };
    record.failures = this.outstanding(record, now) + 1;
    record.at = now;
    this.touch(address, record);
  }

  /** Failures from `address` not yet forgiven (for tests and diagnostics). */
  failuresOf(address: string): number {
    const record = this.records.get(address);
    return record ? this.outstanding(record, this.now()) : 0;
  }

  get addressCount(): number {
    return this.records.size;
  }

  private outstanding(record: AddressRecord, now: number): number {
    return Math.max(0, record.failures - (now - record.at) / this.options.forgiveMs);
  }

  /** Re-inserts so that the Map's order is least recently seen first, then trims to the bound. */
  private touch(address: string, record: AddressRecord): void {
    this.records.delete(address);
    this.records.set(address, record);
    while (this.records.size > this.options.maxAddresses) {
      this.records.delete(this.records.keys().next().value!);
    }
  }
}

/**
 * The remote IP address in a transport's peer label ("tcp4:203.0.113.7:51234" → "203.0.113.7",
 * "tcp6:::1:51234" → "::1"). Labels without a port (in-process peers) are returned as they are.
 */
export function addressOf(peer: string): string {
  const match = /^tcp[46]:(.*):\d+$/.exec(peer);
  return match ? match[1]! : peer;
}
