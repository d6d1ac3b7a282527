/** Gives back a slot taken with UrlSlots.acquire. */
export type Release = () => void;

/**
 * At most `perUrl` requests in flight to each URL; further requests wait in arrival order.
 * Closing wakes every waiter with `undefined` (no slot: the node is stopping).
 */
export class UrlSlots {
  private readonly busy = new Map<string, number>();
  private readonly waiting = new Map<string, ((release: Release | undefined) => void)[]>();
  private closed = false;

  constructor(private readonly perUrl: number) {}

  acquire(url: string): Promise<Release | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    if ((this.busy.get(url) ?? 0) < this.perUrl) return Promise.resolve(this.take(url));
    return new Promise((resolve) => {
      const line = this.waiting.get(url) ?? [];
      line.push(resolve);
      this.waiting.set(url, line);
    });
  }

  /** Requests in flight to `url`. */
  inFlight(url: string): number {
    return this.busy.get(url) ?? 0;
  }

  close(): void {
    this.closed = true;
    for (const line of this.waiting.values()) for (const wake of line) wake(undefined);
    this.waiting.clear();
  }

  private take(url: string): Release {
    this.busy.set(url, (this.busy.get(url) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.get(url)?.shift();
      if (this.waiting.get(url)?.length === 0) this.waiting.delete(url);
      // The slot passes straight to the next in line, so a newcomer cannot overtake it.
      if (next && !this.closed) return next(this.handOver(url));
      const left = (this.busy.get(url) ?? 1) - 1;
      if (left > 0) this.busy.set(url, left);
      else this.busy.delete(url);
    };
  }

  /** A release for a slot that changes hands (the busy count stays as it is). */
  private handOver(url: string): Release {
    this.busy.set(url, (this.busy.get(url) ?? 0) - 1);
    return this.take(url);
  }
}
