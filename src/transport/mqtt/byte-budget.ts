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
