/**
 * A realm's `stats` (Crossbar's session statistics): each client session of the realm counts the
 * messages and bytes it receives and sends, and a `wamp.session.on_stats` event reports them
 * after so many "rated messages", every so often, when the session joins and when it leaves.
 * This file holds what one session keeps: a few numbers, the same whatever its traffic.
 */

import type { EncodedFrame, Envelope } from '../../protocol/envelope.js';

/** The meta topic the reports are published to. */
export const sessionStatsTopic = 'wamp.session.on_stats';

/** A realm's `stats` block, read once (config/schema-router.ts holds Crossbar's defaults and checks). */
export interface SessionStatsSettings {
  /** One rated message per this many bytes of a message, or part of it (Crossbar's RATED_MESSAGE_SIZE). */
  ratedMessageSize: number;
  /** Report once a session has this many rated messages since its last report; 0 = never. */
  afterRatedMessages: number;
  /** Report once this long has passed since a session's last report, if it had traffic since; 0 = never. */
  afterDurationMs: number;
  /** Report as the session joins (its HELLO, any authentication exchange and WELCOME counted). */
  onJoin: boolean;
  /** Report as the session leaves (the last report, `last: true`). */
  onLeave: boolean;
}

/**
 * Rated messages of one message of `bytes`: Crossbar's ceil(bytes / size). A message whose bytes
 * the door does not measure (in-process sessions report 0) counts as one rated message, never as none.
 */
export function ratedMessages(bytes: number, ratedMessageSize: number): number {
  return bytes > ratedMessageSize ? Math.ceil(bytes / ratedMessageSize) : 1;
}

/** What a meter calls when its session's rated messages reach the realm's threshold. */
export interface MeterOwner<S> {
  due(meter: SessionMeter<S>): void;
}

/** One session's counts since its last report; `S` is the session, kept for the owner's reports. */
export class SessionMeter<S> {
  messages = 0;
  bytes = 0;
  rated = 0;
  /** Reports made so far: the next report's `cycle` is one more (the first is 1). */
  cycle = 0;
  /** When counting started or the last report was made (ms since the epoch, fractional). */
  since: number;
  /** In the owner's list of meters to report at the end of this turn: listed once however often it crosses. */
  queued = false;

  constructor(
    private readonly owner: MeterOwner<S>,
    readonly session: S,
    private readonly settings: SessionStatsSettings,
    now: number,
  ) {
    this.since = now;
  }

  /**
   * Counts one message of `bytes` (received or sent). With `mayTrigger` false it is counted but
   * cannot make a report by itself: a stats event a monitoring session receives would otherwise
   * make a report about that session, which it receives, and so on without end.
   */
  private count(bytes: number, mayTrigger: boolean): void {
    this.messages++;
    this.bytes += bytes;
    this.rated += ratedMessages(bytes, this.settings.ratedMessageSize);
    if (mayTrigger && !this.queued && this.thresholdReached()) this.owner.due(this);
  }

  /** Whether the rated-message trigger is due: still so when its report is made, unless another report came first. */
  thresholdReached(): boolean {
    const threshold = this.settings.afterRatedMessages;
    return threshold > 0 && this.rated >= threshold;
  }

  /** A message the session received, `bytes` as the transport read it (0 when the door does not measure). */
  received(bytes: number): void {
    this.count(bytes, true);
  }

  /**
   * A message the session's peer took: its bytes are what that peer encoded while taking it
   * (Envelope.lastEncoded, cleared before), less the peer's framing; 0 when it encoded nothing.
   */
  sent(envelope: Envelope, frameHeaderBytes: number): void {
    this.count(frameBytes(envelope.lastEncoded, frameHeaderBytes), !envelope.statsReport);
  }

  /** Whether the duration trigger is due at `now`: the period has passed and something was counted since. */
  durationDue(now: number): boolean {
    const period = this.settings.afterDurationMs;
    return period > 0 && this.messages > 0 && now - this.since >= period;
  }

  /** The report's counts (Crossbar's field names), and a fresh cycle from `now`. */
  takeReport(now: number, serializer: string, last: boolean): Record<string, number | string | boolean> {
    this.cycle++;
    const report = {
      cycle: this.cycle,
      serializer,
      timestamp: nanoseconds(this.since),
      duration: nanoseconds(now - this.since),
      bytes: this.bytes,
      messages: this.messages,
      rated_messages: this.rated,
      first: this.cycle === 1,
      last,
    };
    this.messages = 0;
    this.bytes = 0;
    this.rated = 0;
    this.since = now;
    return report;
  }
}

function frameBytes(frame: EncodedFrame | undefined, frameHeaderBytes: number): number {
  if (frame === undefined) return 0;
  return typeof frame === 'string' ? Buffer.byteLength(frame) : Math.max(0, frame.byteLength - frameHeaderBytes);
}

/** Crossbar reports times in integer nanoseconds (a timestamp since the epoch, as a double, is within 256 ns). */
function nanoseconds(ms: number): number {
  return Math.round(ms * 1_000) * 1_000;
}
