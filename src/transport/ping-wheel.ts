/**
 * Keepalive for many connections with one timer: every tick, one walk over the connections pings
 * those quiet for `intervalMs` since they were last heard (added, or answered a ping) and drops
 * those whose ping went unanswered for `timeoutMs`. A timer (and its closures) per connection
 * costs about 0.5 KiB each; the walk costs well under a microsecond per connection per tick.
 * Pings go out up to one tick late, and a dead peer is dropped up to one tick late: a tick is a
 * quarter of the shorter of the two periods.
 *
 * The wheel walks its owner's collection of connections (the WebSocket service's map) instead of
 * keeping a set of its own: a second table of the same connections would cost a hash-table entry
 * (about 35 bytes) per connection.
 */

/** Where a member is in the wheel's cycle: heard from, pinged and not answered yet, or given up on. */
export type KeepaliveState = typeof HEARD | typeof PINGED | typeof GAVE_UP;
const HEARD = 0;
const PINGED = 1;
const GAVE_UP = 2;

/** Whether the wheel gave up on a member: it did not answer a ping in time. */
export function keepaliveGaveUp(member: Pingable): boolean {
  return member.keepaliveState === GAVE_UP;
}

/** A connection as the wheel sees it. The wheel keeps its own bookkeeping in the two fields. */
export interface Pingable {
  /** Send a ping now. */
  ping(): void;
  /** No answer within the timeout: end the connection (and take it out of the members). Told once. */
  unresponsive(): void;
  /** When the peer was last heard (the wheel's clock), or, while a ping is unanswered, when it was sent. */
  keepaliveSince: number;
  /** A small integer (not a second boolean field, which would cost a word per connection). */
  keepaliveState: KeepaliveState;
}

/** The owner's collection of the wheel's members: only walked and counted here, changed by the owner. */
export interface PingableMembers {
  values(): Iterable<Pingable>;
  readonly size: number;
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
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly now: () => number;
  readonly tickMs: number;

  constructor(private readonly members: PingableMembers, private readonly options: PingWheelOptions) {
    if (!(options.intervalMs > 0) || !(options.timeoutMs > 0)) throw new Error('PingWheel needs a positive interval and timeout');
    const clock = options.now ?? (() => performance.now());
    // Whole milliseconds: a small integer is kept in the member's field itself, a fraction (what
    // performance.now() gives) in a 16-byte number object of its own, per member and per ping.
    this.now = () => Math.floor(clock());
    this.tickMs = Math.max(MIN_TICK_MS, Math.min(options.intervalMs, options.timeoutMs) / TICKS_PER_PERIOD);
  }

  /** The owner has just put `member` into the members: its first ping is an interval from now. */
  added(member: Pingable): void {
    member.keepaliveSince = this.now();
    member.keepaliveState = HEARD;
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), this.tickMs);
      this.timer.unref();
    }
  }

  /** The owner has taken a member out: the timer stops with the last one. */
  removed(): void {
    if (this.members.size === 0) this.stop();
  }

  /** The peer answered (a pong): the next ping waits a whole interval from now. */
  heard(member: Pingable): void {
    if (member.keepaliveState === GAVE_UP) return;
    member.keepaliveSince = this.now();
    member.keepaliveState = HEARD;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One walk: called by the timer; public so that a test can step the wheel on its own clock. */
  sweep(): void {
    const now = this.now();
    const { intervalMs, timeoutMs } = this.options;
    for (const member of this.members.values()) {
      const state = member.keepaliveState;
      if (state === GAVE_UP) continue; // until its owner, told, takes it out
      const elapsed = now - member.keepaliveSince;
      if (state === PINGED) {
        if (elapsed < timeoutMs) continue;
        member.keepaliveState = GAVE_UP;
        member.unresponsive();
      } else if (elapsed >= intervalMs) {
        member.keepaliveSince = now;
        member.keepaliveState = PINGED;
        member.ping();
      }
    }
  }
}
