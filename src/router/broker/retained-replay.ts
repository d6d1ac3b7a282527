import type { Envelope } from '../../protocol/envelope.js';
import { payloadBytes } from '../limits/payload-bytes.js';
import type { SessionLimits } from '../limits/session-limits.js';
import type { Session } from '../session.js';

/**
 * The realm's limits on what waits for one session: live events held behind its retained events,
 * and the retained events themselves (read at each hold and append, so a config reload applies to
 * replays under way).
 */
export type ReplayLimits = Pick<SessionLimits, 'maxHeldLiveBytesPerSession' | 'maxWaitingRetainedPerSession'>;

/** Where replays report what they do (the realm's metrics and warnings). */
export interface ReplayMeter {
  /** A session's replay started (1) or finished (-1; it holds nothing any more). */
  running(delta: 1 | -1): void;
  /** Bytes of live events held: more (a hold) or fewer (sent, or dropped with their subscription). */
  held(deltaBytes: number): void;
  /** Retained events waiting: more (a replay) or fewer (sent, or dropped with their subscription). */
  waiting(delta: number): void;
  /** Held live events passed their limit with `event` (of `subscription`); everything waiting went to the transport. */
  overflowed(session: Session, subscription: number, event: Envelope, heldBytes: number, limit: number): void;
  /** Retained events waiting passed max_waiting_retained_per_session with a replay of `subscription`; everything waiting went to the transport. */
  retainedOverflowed(session: Session, subscription: number, waiting: number, limit: number): void;
}

const unmetered: ReplayMeter = { running() {}, held() {}, waiting() {}, overflowed() {}, retainedOverflowed() {} };

/** One EVENT waiting for its turn: a retained one (bytes 0), or a live one held behind them (its estimated bytes). */
interface Waiting {
  readonly subscription: number;
  readonly envelope: Envelope;
  readonly bytes: number;
  readonly retained: boolean;
}

/**
 * The retained events one SUBSCRIBE get_retained sends, paced by the session's transport
 * (Peer.hasRoom / whenRoom): a pattern covering many large retained events would otherwise be
 * queued all at once and pass the slow-consumer limit, so the router's own burst would close a
 * healthy client. Sending stops while the transport has queued half its limit and goes on when
 * it drains.
 *
 * Order, as when every retained event went out at once: they go in the order given, right after
 * SUBSCRIBED, and a live event of a subscription that still has retained events waiting is held
 * and sent after them (retained first, then live, for each subscription). Events of other
 * subscriptions and every other message are not held.
 */
export class RetainedReplays {
  private readonly bySession = new Map<Session, SessionReplay>();

  /**
   * Live events held behind a session's retained ones, at most `limits.maxHeldLiveBytesPerSession`
   * bytes (estimated, payloadBytes; 0 = no limit). Past it, everything waiting goes to the
   * transport at once and its slow-consumer limit decides, as for any burst: a subscriber that
   * does not read is closed by the usual rule, and the router holds no more than this per session.
   */
  constructor(private readonly limits: ReplayLimits, private readonly meter: ReplayMeter = unmetered) {}

  /** Sends `events` (EVENTs of `subscription`) to `session` as its transport takes them. */
  send(session: Session, subscription: number, events: readonly Envelope[]): void {
    if (events.length === 0) return;
    let replay = this.bySession.get(session);
    if (!replay) {
      const made = new SessionReplay(session, this.limits, this.meter, () => {
        if (this.bySession.get(session) !== made) return;
        this.bySession.delete(session);
        this.meter.running(-1);
      });
      this.bySession.set(session, (replay = made));
      this.meter.running(1);
    }
    replay.append(subscription, events);
  }

  /**
   * Holds a live EVENT of `subscription` when retained events of it still wait for `session`;
   * returns false (the caller sends it) otherwise. A map lookup only while some replay runs.
   */
  held(session: Session, subscription: number, event: Envelope): boolean {
    if (this.bySession.size === 0) return false;
    return this.bySession.get(session)?.hold(subscription, event) ?? false;
  }

  /** The session left the subscription (UNSUBSCRIBE, revoked, left): what waits for it is dropped. */
  forget(session: Session, subscription: number): void {
    this.bySession.get(session)?.forget(subscription);
  }

  /**
   * Whether retained events of `subscription` still wait for `session`: then a repeat of its
   * get_retained SUBSCRIBE adds nothing, those waiting go out once (newer retained values came
   * as live events, held behind them). Else a client that does not read could repeat a small
   * SUBSCRIBE and queue the whole replay again each time, without bound.
   */
  waits(session: Session, subscription: number): boolean {
    return this.bySession.get(session)?.waits(subscription) ?? false;
  }

  /** Sessions with events still waiting. */
  get pending(): number {
    return this.bySession.size;
  }
}

class SessionReplay {
  /** Waiting events from `head` on (sent ones are cleared, the array compacted now and then: no shift() per event). */
  private queue: (Waiting | undefined)[] = [];
  private head = 0;
  /** Events waiting, by subscription: a live event is held only behind its own subscription's. */
  private readonly counts = new Map<number, number>();
  /** Retained events waiting, by subscription, and in all. */
  private readonly retained = new Map<number, number>();
  private retainedWaiting = 0;
  /** Bytes of the live events waiting now (a held one counts until it is sent). */
  private heldBytes = 0;
  private waitingForRoom = false;

  constructor(private readonly session: Session, private readonly limits: ReplayLimits, private readonly meter: ReplayMeter,
    private readonly done: () => void) {}

  append(subscription: number, events: readonly Envelope[]): void {
    for (const envelope of events) this.queue.push({ subscription, envelope, bytes: 0, retained: true });
    this.counts.set(subscription, (this.counts.get(subscription) ?? 0) + events.length);
    this.retained.set(subscription, (this.retained.get(subscription) ?? 0) + events.length);
    this.changeWaiting(events.length);
    const max = this.limits.maxWaitingRetainedPerSession;
    if (max > 0 && this.retainedWaiting > max) {
      this.meter.retainedOverflowed(this.session, subscription, this.retainedWaiting, max);
      return this.flush();
    }
    this.pump();
  }

  hold(subscription: number, envelope: Envelope): boolean {
    if (!this.counts.has(subscription)) return false;
    const max = this.limits.maxHeldLiveBytesPerSession;
    const message = envelope.message as { args?: unknown[]; kwargs?: unknown; payload?: Uint8Array };
    const bytes = payloadBytes([message.args, message.kwargs, message.payload], max > 0 ? max : undefined);
    this.queue.push({ subscription, envelope, bytes, retained: false });
    this.counts.set(subscription, this.counts.get(subscription)! + 1);
    this.changeHeld(bytes);
    if (max > 0 && this.heldBytes > max) {
      this.meter.overflowed(this.session, subscription, envelope, this.heldBytes, max);
      this.flush();
    }
    return true;
  }

  waits(subscription: number): boolean {
    return this.retained.has(subscription);
  }

  forget(subscription: number): void {
    if (!this.counts.delete(subscription)) return;
    this.changeWaiting(-(this.retained.get(subscription) ?? 0));
    this.retained.delete(subscription);
    const kept: Waiting[] = [];
    for (const waiting of this.queue.slice(this.head) as Waiting[]) {
      if (waiting.subscription !== subscription) kept.push(waiting);
      else this.changeHeld(-waiting.bytes);
    }
    this.queue = kept;
    this.head = 0;
    if (this.queue.length === 0) this.finish();
  }

  /** Sends while the transport has room; then waits for it to drain. */
  private pump(): void {
    const peer = this.session.peer;
    while (this.head < this.queue.length) {
      if (peer.hasRoom && peer.whenRoom && !peer.hasRoom()) {
        if (!this.waitingForRoom) {
          this.waitingForRoom = true;
          peer.whenRoom(() => {
            this.waitingForRoom = false;
            this.pump();
          });
        }
        return;
      }
      this.sendNext();
    }
    this.finish();
  }

  /** Too much live traffic held: everything goes to the transport now, in order. */
  private flush(): void {
    while (this.head < this.queue.length) this.sendNext();
    this.finish();
  }

  private sendNext(): void {
    const { subscription, envelope, bytes, retained } = this.queue[this.head]!;
    this.queue[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    const left = this.counts.get(subscription)! - 1;
    if (left === 0) this.counts.delete(subscription);
    else this.counts.set(subscription, left);
    if (retained) {
      this.changeWaiting(-1);
      const retainedLeft = this.retained.get(subscription)! - 1;
      if (retainedLeft === 0) this.retained.delete(subscription);
      else this.retained.set(subscription, retainedLeft);
    }
    this.changeHeld(-bytes);
    this.session.sendEnvelope(envelope);
  }

  private changeWaiting(events: number): void {
    if (events === 0) return;
    this.retainedWaiting += events;
    this.meter.waiting(events);
  }

  private changeHeld(bytes: number): void {
    if (bytes === 0) return;
    this.heldBytes += bytes;
    this.meter.held(bytes);
  }

  private finish(): void {
    this.queue = [];
    this.head = 0;
    this.counts.clear();
    this.retained.clear();
    this.changeWaiting(-this.retainedWaiting);
    this.changeHeld(-this.heldBytes);
    this.done();
  }
}
