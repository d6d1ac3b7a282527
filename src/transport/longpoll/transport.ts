import type { Envelope } from '../../protocol/envelope.js';
import type { Logger } from '../../router/log.js';
import type { Peer, SessionLink, TransportInfo } from '../../router/peer.js';
import { decodeMessage } from '../decode-message.js';
import { hasRoom } from '../outbound-room.js';
import { joinBatch, splitBatch } from './framing.js';
import type { PollReply } from './poll-reply.js';
import { Outbox } from './outbox.js';
import type { LongPollProtocol } from './protocols.js';

export interface LongPollTransportOptions {
  protocol: LongPollProtocol;
  /** A held `receive` is answered empty (204) after this many ms. */
  requestTimeoutMs: number;
  /** The transport is closed after this many ms without a request (a held receive counts as one). */
  sessionTimeoutMs: number;
  queueLimitBytes: number;
  queueLimitMessages: number;
  maxNestingDepth?: number | undefined;
  log: Logger;
  onSlowConsumer(): void;
  onSessionTimeout(): void;
  /** Called once, when the transport closes (whatever closed it): its session is gone from then on. */
  onClosed(): void;
  /** The transport may be forgotten: its session timed out, or it was closed long enough ago. */
  onExpired(transport: LongPollTransport): void;
}

export type SendOutcome = { ok: true } | { ok: false; reason: string };

interface HeldReceive {
  reply: PollReply;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * One long-poll transport as the router sees it (a Peer) and as the HTTP side drives it.
 *
 * Outgoing messages are encoded once per codec (memoized in the envelope) and wait in a bounded
 * outbox until the client's next `receive`: one message per answer, or all of them in batched
 * protocols. A receive finding nothing is held until a message comes or request_timeout passes
 * (then 204). One receive is held at a time: a newer one answers the older one empty, since a
 * client only ever polls again once its previous poll is over or has been given up.
 *
 * States: open; closing (the router closed the session: what is queued is still delivered);
 * closed (the session is detached; the transport stays known, answering 410, until the client
 * posts `close` or session_timeout passes, so AutobahnJS's final `close` still gets its 204).
 */
export class LongPollTransport implements Peer {
  private state: 'open' | 'closing' | 'closed' = 'open';
  /** Why the transport closed, for the 410 answers that follow. */
  closedBecause = '';
  private link: SessionLink | undefined;
  private readonly outbox: Outbox;
  private held: HeldReceive | undefined;
  /** Paced bursts (Peer.whenRoom) waiting for a receive to take what waits in the outbox. */
  private roomWaiters: (() => void)[] = [];
  private flushScheduled = false;
  private lastTouched = Date.now();
  private idleTimer: ReturnType<typeof setTimeout>;

  constructor(
    /** The transport's URL part: whoever knows it receives and sends as the session, so it is never logged (the log is bound to the peer). */
    readonly id: string,
    readonly transport: TransportInfo,
    private readonly options: LongPollTransportOptions,
  ) {
    this.outbox = new Outbox({ bytes: options.queueLimitBytes, messages: options.queueLimitMessages });
    this.idleTimer = this.armIdleTimer(options.sessionTimeoutMs);
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** The router's link for this transport's session (attach returns it after the peer exists). */
  connect(link: SessionLink): void {
    this.link = link;
    if (this.state === 'closed') link.detach();
  }

  // ---- Peer: called by the router ----

  send(envelope: Envelope): void {
    if (this.state !== 'open') return;
    const frame = envelope.encode(this.options.protocol.encoder) as Uint8Array;
    if (!this.outbox.push(frame)) {
      this.dropSlowConsumer(frame.byteLength);
      return;
    }
    if (this.held) this.scheduleFlush();
  }

  close(): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    if (this.outbox.size === 0) this.finish('the session is closed');
  }

  /** Room while at most half of either queue limit waits for the next receive (outbound-room.ts). */
  hasRoom(): boolean {
    return hasRoom(this.outbox.bytes, this.options.queueLimitBytes) && hasRoom(this.outbox.size, this.options.queueLimitMessages);
  }

  /** `resume` runs when a receive has taken enough; never if the transport closes first (its session is gone). */
  whenRoom(resume: () => void): void {
    this.roomWaiters.push(resume);
  }

  // ---- HTTP side: called by the long-poll server ----

  /** A `send` body: one message, or a batch in batched protocols. Undecodable bodies abort the session. */
  deliver(body: Buffer): SendOutcome {
    this.touch();
    if (this.state !== 'open') return { ok: true }; // the session is over; late messages are moot
    const { codec, batched, name } = this.options.protocol;
    let frames: Uint8Array[];
    try {
      frames = batched ? splitBatch(body, codec.binary) : [body];
    } catch (error) {
      return this.refuseBody(`could not decode the body as ${name}: ${(error as Error).message}`);
    }
    const messages: { decoded: unknown; bytes: number }[] = [];
    for (const frame of frames) {
      const decoded = decodeMessage(codec, frame, this.options.maxNestingDepth, `the body as ${name}`);
      if (!decoded.ok) return this.refuseBody(decoded.reason);
      messages.push({ decoded: decoded.message, bytes: frame.length });
    }
    // Long-poll cannot stop the client from posting: past the session's queue limits it is aborted.
    for (const { decoded, bytes } of messages) this.link?.receive(decoded, bytes);
    return { ok: true };
  }

  /** A body that is not valid WAMP in this protocol aborts the session; the client is told why. */
  private refuseBody(reason: string): SendOutcome {
    this.link?.receiveGarbage(reason);
    return { ok: false, reason };
  }

  /** A `receive`: answered now when something waits, else held. */
  poll(reply: PollReply): void {
    this.touch();
    if (this.held) this.answerHeldEmpty();
    if (this.outbox.size > 0) {
      this.answer(reply);
      return;
    }
    const held: HeldReceive = {
      reply,
      timer: setTimeout(() => {
        if (this.held === held) this.answerHeldEmpty();
      }, this.options.requestTimeoutMs),
    };
    reply.onGone(() => {
      if (this.held !== held) return;
      // The client gave up on this poll (or its connection died) before we answered.
      clearTimeout(held.timer);
      this.held = undefined;
      this.touch();
    });
    this.held = held;
  }

  /** The client's `close`, a shutdown, or a refused body: detach now; the server forgets the transport. */
  dispose(reason: string): void {
    clearTimeout(this.idleTimer);
    this.finish(reason);
  }

  // ---- internals ----

  private answer(reply: PollReply): void {
    const { batched, codec, contentType } = this.options.protocol;
    const frames = this.outbox.take(batched);
    const body = batched ? joinBatch(frames, codec.binary) : asBuffer(frames[0]!);
    reply.body(body, contentType);
    if (this.state === 'closing' && this.outbox.size === 0) this.finish('the session is closed');
    else if (this.roomWaiters.length > 0 && this.hasRoom()) this.resumeWaiters();
  }

  private resumeWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const resume of waiters) resume();
  }

  private answerHeldEmpty(): void {
    const held = this.held!;
    this.held = undefined;
    clearTimeout(held.timer);
    if (!held.reply.done) held.reply.empty();
    this.touch();
  }

  /** Several messages sent in one turn of the event loop go out in one batch. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const held = this.held;
      if (!held || this.outbox.size === 0) return;
      this.held = undefined;
      clearTimeout(held.timer);
      this.touch();
      // A poll whose connection is already gone keeps the messages for the client's next poll.
      if (held.reply.gone) return;
      this.answer(held.reply);
    });
  }

  private dropSlowConsumer(messageBytes: number): void {
    this.options.log.warn(
      {
        queuedMessages: this.outbox.size, queuedBytes: this.outbox.bytes, messageBytes,
        limitMessages: this.options.queueLimitMessages, limitBytes: this.options.queueLimitBytes,
      },
      'slow consumer: long-poll queue over its limit; closing the transport',
    );
    this.options.onSlowConsumer();
    this.finish(
      `slow consumer: more than ${this.options.queueLimitMessages} messages or ${this.options.queueLimitBytes} bytes waited for a receive`,
    );
  }

  private finish(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closedBecause = reason;
    this.options.onClosed();
    this.outbox.clear();
    this.roomWaiters = [];
    if (this.held) this.answerHeldEmpty();
    const link = this.link;
    // Detach after the current router operation: send() may be running inside a fan-out loop.
    if (link) queueMicrotask(() => link.detach());
  }

  private touch(): void {
    this.lastTouched = Date.now();
  }

  private armIdleTimer(delayMs: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => this.checkIdle(), delayMs);
    timer.unref();
    return timer;
  }

  private checkIdle(): void {
    const { sessionTimeoutMs } = this.options;
    const idleMs = Date.now() - this.lastTouched;
    if (this.held || idleMs < sessionTimeoutMs) {
      this.idleTimer = this.armIdleTimer(this.held ? sessionTimeoutMs : sessionTimeoutMs - idleMs);
      return;
    }
    if (this.state !== 'closed') {
      this.options.log.info({ idleMs }, 'long-poll transport had no request within session_timeout; closing it');
      this.options.onSessionTimeout();
      this.finish('session timeout');
    }
    this.options.onExpired(this);
  }
}

function asBuffer(frame: Uint8Array): Buffer {
  return Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
}
