import type { BoundCounter, Counter } from '../../metrics/registry.js';
import type { Args } from '../../protocol/messages.js';
import type { Session } from '../session.js';
import { SessionMeter, type MeterOwner, type SessionStatsSettings } from './session-meter.js';

/** How the reports leave: the realm's meta API publishes them to wamp.session.on_stats. */
export type PublishStats = (args: Args) => void;

/** Wall-clock milliseconds with a fraction: Crossbar's timestamps are nanoseconds since the epoch. */
export const wallClockMs = (): number => performance.timeOrigin + performance.now();

/** What made a report, as junction_session_stats_reports_total counts it. */
export type StatsTrigger = 'join' | 'leave' | 'rated_messages' | 'duration';

/** The duration trigger is checked this many times per period (a report is up to a quarter period late). */
const TICKS_PER_PERIOD = 4;
const MIN_TICK_MS = 10;

/**
 * A realm's session statistics: gives each client session its meter as it is welcomed, and
 * reports (publishes `[session, stats]` as Crossbar does) on join, on leave, when a meter
 * crosses the rated-message threshold (at the end of that turn, never from inside the fan-out
 * or call that crossed it), and from one shared timer for the duration trigger, which walks the
 * realm's sessions instead of keeping a timer per session.
 */
export class SessionStats implements MeterOwner<Session> {
  readonly tickMs: number;
  private publish: PublishStats | undefined;
  /** Meters that crossed the threshold this turn; each is listed once (SessionMeter.queued). */
  private dueMeters: SessionMeter<Session>[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly reports: Record<StatsTrigger, BoundCounter>;

  constructor(
    readonly settings: SessionStatsSettings,
    /** The realm's client sessions, walked by the duration timer. */
    private readonly sessions: () => Iterable<Session>,
    /** junction_session_stats_reports_total, counted under `realm`. */
    reports: { counter: Counter; realm: string },
    private readonly now: () => number = wallClockMs,
  ) {
    this.tickMs = Math.max(MIN_TICK_MS, settings.afterDurationMs / TICKS_PER_PERIOD);
    const bound = (trigger: StatsTrigger) => reports.counter.bind({ realm: reports.realm, trigger });
    this.reports = { join: bound('join'), leave: bound('leave'), rated_messages: bound('rated_messages'), duration: bound('duration') };
  }

  /** The meta API says how to publish once its session has joined (before any client can). */
  publishWith(publish: PublishStats): void {
    this.publish = publish;
  }

  /** A meter for a client session whose HELLO named this realm (or that was welcomed into it). */
  meterFor(session: Session): SessionMeter<Session> {
    if (this.settings.afterDurationMs > 0 && this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref();
    }
    return new SessionMeter(this, session, this.settings, this.now());
  }

  /** After wamp.session.on_join: the first report, if the realm asks for one on join. */
  joined(session: Session): void {
    if (this.settings.onJoin && session.meter) this.report(session.meter, 'join');
  }

  /** After wamp.session.on_leave: the last report, if the realm asks for one on leave. */
  left(session: Session): void {
    if (this.settings.onLeave && session.meter) this.report(session.meter, 'leave');
  }

  due(meter: SessionMeter<Session>): void {
    meter.queued = true;
    this.dueMeters.push(meter);
    if (this.dueMeters.length === 1) queueMicrotask(() => this.reportDue());
  }

  /** No session of the realm has a meter any more: the timer starts again with the next one. */
  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private reportDue(): void {
    const meters = this.dueMeters;
    this.dueMeters = [];
    for (const meter of meters) {
      meter.queued = false;
      // A session that left meanwhile had its last report (or none, as configured); one reported
      // meanwhile (on join: its WELCOME alone may cross the threshold) starts afresh.
      if (isJoined(meter.session) && meter.thresholdReached()) this.report(meter, 'rated_messages');
    }
  }

  /** One walk of the realm's sessions; the timer stops when no session has a meter. */
  private tick(): void {
    const now = this.now();
    let metered = 0;
    for (const session of this.sessions()) {
      const meter = session.meter;
      if (meter === undefined) continue;
      metered++;
      if (!meter.queued && isJoined(session) && meter.durationDue(now)) this.report(meter, 'duration');
    }
    if (metered === 0) this.stopTimer();
  }

  private report(meter: SessionMeter<Session>, trigger: StatsTrigger): void {
    const session = meter.session;
    const stats = meter.takeReport(this.now(), session.peer.transport.serializer, trigger === 'leave');
    const who = { realm: session.realmName, session: session.id, authid: session.authid, authrole: session.authrole };
    if (this.publish === undefined) return;
    this.publish([who, stats]);
    this.reports[trigger].inc();
  }
}

function isJoined(session: Session): boolean {
  return session.state === 'established' || session.state === 'shutting_down';
}
