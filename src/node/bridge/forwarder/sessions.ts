import type { InternalSession } from '../../../router/internal-session.js';
import type { Logger } from '../../../router/log.js';

/**
 * The forwarder's router sessions (one that subscribes, as the configured role; one trusted
 * session for the meta procedures, or a single trusted session doing both), kept alive: if the
 * router closes one of them while the node runs (killed through the meta API, for instance), both
 * are left and joined again, with growing pauses while joining fails. Events published while no
 * session is subscribed are not seen, and that gap is logged.
 */
export class ForwarderSessions {
  private sessions: InternalSession[] = [];
  /** Bumped on every (re)join: close notices from an older generation are ignored. */
  private generation = 0;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;

  /** `setUp` joins, registers and subscribes, pushing each session it joins onto `joined` (left again if it fails). */
  constructor(
    private readonly setUp: (joined: InternalSession[]) => Promise<void>,
    private readonly log: Logger,
    private readonly rejoinDelayMs = { first: 500, max: 30_000 },
  ) {}

  /** Joins at start: a failure is the node's start failure. */
  async start(): Promise<void> {
    await this.join();
  }

  /** Leaves for good (the node is stopping). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.leaveAll();
  }

  private async join(): Promise<void> {
    const generation = ++this.generation;
    const joined: InternalSession[] = [];
    try {
      await this.setUp(joined);
    } catch (error) {
      for (const session of joined) session.leave();
      throw error;
    }
    this.sessions = joined;
    for (const session of joined) void session.closed.then(() => this.closed(generation));
    if (this.stopped) this.leaveAll(); // stopped while joining
  }

  private closed(generation: number): void {
    if (this.stopped || generation !== this.generation) return;
    this.generation += 1; // the sessions left below report their own close: ignored from here on
    this.log.error({}, 'a forwarder session was closed by the router; joining again (events published meanwhile are not forwarded)');
    this.leaveAll();
    this.rejoin(this.rejoinDelayMs.first);
  }

  private rejoin(delayMs: number): void {
    this.retryTimer = setTimeout(() => {
      if (this.stopped) return;
      this.join().then(
        () => this.log.info({}, 'forwarder sessions joined again'),
        (error: Error) => {
          if (this.stopped) return;
          this.log.error({ error: error.message, retryInMs: delayMs }, 'forwarder sessions could not join again; retrying');
          this.rejoin(Math.min(delayMs * 2, this.rejoinDelayMs.max));
        },
      );
    }, delayMs);
  }

  private leaveAll(): void {
    const sessions = this.sessions;
    this.sessions = [];
    for (const session of sessions) session.leave();
  }
}
