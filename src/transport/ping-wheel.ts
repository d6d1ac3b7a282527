/**
 * Keepalive for many connections with one timer: every tick, one walk over the connections pings
 * those quiet for `intervalMs` since they were last heard (added, or answered a ping) and drops
 * those whose ping went unanswered for `timeoutMs`. A timer (and its closures) per connection
 * costs about 0.5 KiB each; the walk costs well under a microsecond per connection per tick.
 * Pings go out up to one tick late, and a dead peer is dropped up to one tick late: a tick is a
 * quarter of the shorter of the two periods.
 */

/** A connection as the wheel sees it. The wheel keeps its own bookkeeping in the two fields. */
export interface Pingable {
  /** Send a ping now. */
  ping(): void;
  /** No answer within the timeout: the wheel has already forgotten it; end the connection. */
  unresponsive(): void;
  /** When the peer was last heard (the wheel's clock), or, while a ping is unanswered, when it was sent. */
  keepaliveSince: number;
  /** A ping is out and not answered yet. */
  keepalivePinged: boolean;
}

export interface PingWheelOptions {
  intervalMs: number;
  timeoutMs: number;
  /** Milliseconds on a monotonic clock; tests pass their own. */
  now?: () => number;
}

/** The walk needs not run more often than this, however short the periods (tests use 100 ms). */
const MIN_TICK_MS = 10;
const TICKS_PER_PERIOD = 4;

export class PingWheel {
  private readonly members = new Set<Pingable>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly now: () => number;
  readonly tickMs: number;

  constructor(private readonly options: PingWheelOptions) {
    if (!(options.intervalMs > 0) || !(options.timeoutMs > 0)) throw new Error('PingWheel needs a positive interval and timeout');
    const clock = options.now ?? (() => performance.now());
    // Whole milliseconds: a small integer is kept in the member's field itself, a fraction (what
    // performance.now() gives) in a 16-byte number object of its own, per member and per ping.
    this.now = () => Math.floor(clock());
    this.tickMs = Math.max(MIN_TICK_MS, Math.min(options.intervalMs, options.timeoutMs) / TICKS_PER_PERIOD);
  }

  get size(): number {
    return this.members.size;
  }

  add(member: Pingable): void {
    member.keepaliveSince = this.now();
    member.keepalivePinged = false;
    this.members.add(member);
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), this.tickMs);
      this.timer.unref();
    }
  }

  delete(member: Pingable): void {
    this.members.delete(member);
    if (this.members.size === 0) this.stop();
  }

  /** The peer answered (a pong): the next ping waits a whole interval from now. */
  heard(member: Pingable): void {
    member.keepaliveSince = this.now();
    member.keepalivePinged = false;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One walk: called by the timer; public so that a test can step the wheel on its own clock. */
  sweep(): void {
    const now = this.now();
    const { intervalMs, timeoutMs } = this.options;
    for (const member of this.members) {
      const elapsed = now - member.keepaliveSince;
      if (member.keepalivePinged) {
        if (elapsed < timeoutMs) continue;
        this.delete(member);
        member.unresponsive();
      } else if (elapsed >= intervalMs) {
        member.keepaliveSince = now;
        member.keepalivePinged = true;
        member.ping();
      }
    }
  }
}
