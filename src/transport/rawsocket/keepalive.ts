import { randomBytes } from 'node:crypto';

export interface KeepaliveOptions {
  /** A PING is sent after this many ms without anything received; 0 turns keepalive off. */
  intervalMs: number;
  /** The matching PONG must come within this many ms. */
  timeoutMs: number;
  ping(payload: Buffer): void;
  /** No PONG in time: the connection is dead. */
  dead(): void;
  now?: () => number;
}

/**
 * RawSocket keepalive: one timer per connection that checks when the peer was last heard from
 * (received data only stamps a time, so a busy connection costs no timer churn). After a quiet
 * interval it sends a PING with a fresh payload; the PONG must echo it within the timeout.
 */
export class Keepalive {
  private lastHeard: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private awaiting: Buffer | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: KeepaliveOptions) {
    this.now = options.now ?? Date.now;
    this.lastHeard = this.now();
    if (options.intervalMs > 0) this.schedule(options.intervalMs);
  }

  /** Something arrived from the peer. */
  heard(): void {
    this.lastHeard = this.now();
  }

  /** A PONG arrived; only one echoing our outstanding PING counts. */
  pong(payload: Buffer): void {
    if (!this.awaiting || !payload.equals(this.awaiting)) return;
    this.awaiting = undefined;
    this.clear();
    this.schedule(this.options.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.due(), delay);
    this.timer.unref?.();
  }

  private due(): void {
    this.timer = undefined;
    const quiet = this.now() - this.lastHeard;
    if (quiet < this.options.intervalMs) return this.schedule(this.options.intervalMs - quiet);
    this.awaiting = randomBytes(8);
    this.options.ping(this.awaiting);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped) this.options.dead();
    }, this.options.timeoutMs);
    this.timer.unref?.();
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
