import { WarningThrottle } from '../../router/limits/warning-throttle.js';

/**
 * Bytes that many holders share under one limit: a transport's wills, or the messages its
 * clients' sessions hold. A gauge shows what is held now, so an operator sees a budget filling.
 */
export class ByteBudget {
  private held = 0;

  constructor(readonly limit: number, private readonly gauge: { set(value: number): void }) {}

  get used(): number {
    return this.held;
  }

  /** Takes `bytes` if they fit under the limit; false (nothing taken) if they do not. */
  take(bytes: number): boolean {
    if (this.held + bytes > this.limit) return false;
    this.add(bytes);
    return true;
  }

  /** Gives back bytes taken before. */
  give(bytes: number): void {
    this.add(-bytes);
  }

  /** Takes `bytes` if they fit: then returns how to give them back (once: later calls do nothing), else undefined. */
  hold(bytes: number): (() => void) | undefined {
    if (!this.take(bytes)) return undefined;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.give(bytes);
    };
  }

  private add(bytes: number): void {
    this.held += bytes;
    this.gauge.set(this.held);
  }
}

/**
 * The payloads of the messages a transport's client sessions hold (queued or in flight), under
 * one ByteBudget. An event's payload is encoded once and shared by every subscriber that gets
 * it, so a payload counts once however many sessions hold it: fanning out a message already held
 * costs nothing and is never refused.
 */
export class SharedPayloads {
  private readonly holders = new Map<Uint8Array, number>();
  /** Refusals are warned per transport, at most every 10 s: many sessions refuse at once when the budget is full. */
  readonly refusals = new WarningThrottle();

  constructor(readonly bytes: ByteBudget) {}

  /** One more holder of `payload`; false (nothing held) when its bytes do not fit. */
  take(payload: Uint8Array): boolean {
    const holders = this.holders.get(payload);
    if (holders === undefined && !this.bytes.take(payload.byteLength)) return false;
    this.holders.set(payload, (holders ?? 0) + 1);
    return true;
  }

  /** One holder fewer; the last one gives its bytes back. */
  give(payload: Uint8Array): void {
    const holders = this.holders.get(payload);
    if (holders === undefined) return;
    if (holders > 1) return void this.holders.set(payload, holders - 1);
    this.holders.delete(payload);
    this.bytes.give(payload.byteLength);
  }
}
