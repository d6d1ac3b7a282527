/**
 * MQTT keepalive for every connection of a transport with one timer. An MQTT server only
 * listens: a connection silent for one and a half times its client's keepalive is closed
 * (MQTT-3.1.2-24). A timer per connection, pushed back at every packet, costs about 0.25 KiB per
 * connection (the Timeout, its closure and their context) and a timer-list update per packet;
 * here a packet costs a field write, and one walk a second over the transport's connections
 * finds the silent ones, at most a tick late. Like PingWheel (ping-wheel.ts), the wheel walks its
 * owner's collection of connections rather than a table of its own.
 */

/** A connection as the wheel sees it. */
export interface KeptAlive {
  /** When the client was last heard from, on the wheel's clock (`now()`). */
  readonly heardAt: number;
  /** Silence allowed, ms: 1.5 times the client's keepalive; 0 while it has none (not watched). */
  readonly silenceLimitMs: number;
  /** Silent past its limit: close it. Told at every walk until it leaves the members. */
  silent(): void;
}

export interface KeptAliveMembers {
  values(): Iterable<KeptAlive>;
}

/** How often the walk runs: MQTT keepalives are whole seconds, so a silent connection is closed at most a second late. */
export const keepaliveTickMs = 1_000;

export class KeepaliveWheel {
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly members: KeptAliveMembers, private readonly clock: () => number = () => performance.now()) {}

  /** Whole milliseconds: a small integer lives in the connection's field itself, a fraction in a heap number of its own. */
  now(): number {
    return Math.floor(this.clock());
  }

  /** A member has a silence limit now: the walk runs until no member has one. */
  watch(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(), keepaliveTickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One walk: called by the timer; public so that a test can step the wheel on its own clock. */
  sweep(): void {
    const now = this.now();
    let watched = 0;
    for (const member of this.members.values()) {
      const limit = member.silenceLimitMs;
      if (limit === 0) continue;
      watched++;
      if (now - member.heardAt > limit) member.silent();
    }
    if (watched === 0) this.stop();
  }
}
