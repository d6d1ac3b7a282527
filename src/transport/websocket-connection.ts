import type { WebSocket } from 'ws';
import type { Codec } from '../codec/codec.js';
import type { Counter } from '../metrics/registry.js';
import type { Encoder, Envelope } from '../protocol/envelope.js';
import { boundLogger, type Logger } from '../router/log.js';
import type { Peer, SessionLink, TransportInfo } from '../router/peer.js';
import { decodeMessage } from './decode-message.js';
import type { KeepaliveState, Pingable } from './ping-wheel.js';
import { corkForThisTurn } from './write-coalescing.js';
import { hasRoom, whenDrained, type DrainingSocket } from './outbound-room.js';
import { frameEncoder, payloadOf, sendsQueuedInWs, socketUnder } from './ws-frame.js';

/** Close code sent to a consumer too slow to keep up (policy violation). */
export const SLOW_CONSUMER_CLOSE_CODE = 1008;
/** How long a slow consumer gets to take the close frame before its socket is destroyed. */
const SLOW_CONSUMER_GRACE_MS = 1_000;

export interface TransportCounters {
  oversized: Counter;
  tooFragmented: Counter;
  slowConsumers: Counter;
  deadPeers: Counter;
  refusedHandshakes: Counter;
}

/** What every connection of one service shares (one object): counted, logged and limited the same way. */
export interface ServiceShared {
  readonly counters: TransportCounters;
  /** The service's log; a connection binds its peer label only when it writes (rarely). */
  readonly log: Logger;
  readonly maxMessageSize: number;
  /**
   * Slow-consumer limit: past this many bytes waiting to be written, the connection is closed,
   * and a client's ping is not answered but the connection dropped.
   */
  readonly maxBufferedBytes: number;
  readonly maxNestingDepth: number | undefined;
  readonly pingTimeoutMs: number;
}

/** An open WebSocket connection as the service tracks it: kept alive by the ping wheel, closed at shutdown. */
export class KeptConnection implements Pingable {
  keepaliveSince = 0;
  keepaliveState: KeepaliveState = 0;

  constructor(
    protected readonly ws: WebSocket,
    /** The client's address, as in TransportInfo.peer ("tcp4:1.2.3.4:5678"). */
    protected readonly label: string,
    /** The key of the connection slot it holds (the client's address), given back when it closes. */
    readonly slotKey: string,
    protected readonly shared: ServiceShared,
  ) {}

  /** Bound when something is logged, not kept: a logger per connection would cost about 70 bytes. */
  get log(): Logger {
    return boundLogger(this.shared.log, { peer: this.label });
  }

  /**
   * The client pinged: answered with a pong carrying its data, unless the client does not read
   * what it is sent (its send buffer is over the slow-consumer limit): a ping flood must not make
   * us queue pongs without bound.
   */
  answerPing(data: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const buffered = this.ws.bufferedAmount;
    if (buffered <= this.shared.maxBufferedBytes) return this.ws.pong(data);
    this.shared.counters.slowConsumers.inc();
    this.log.warn({ bufferedBytes: buffered, limitBytes: this.shared.maxBufferedBytes },
      'ping from a client that does not read: send buffer over its limit; dropping the connection');
    this.ws.terminate();
  }

  ping(): void {
    this.ws.ping();
  }

  unresponsive(): void {
    this.shared.counters.deadPeers.inc();
    this.log.warn({ timeoutMs: this.shared.pingTimeoutMs }, 'no pong within auto_ping_timeout; dropping the connection');
    this.ws.terminate();
  }

  /** The connection closed: what it held is let go. */
  closed(): void {}
}

const textFrame = { binary: false } as const;
const binaryFrame = { binary: true } as const;

/**
 * A WAMP v2 WebSocket connection: the Peer the router sends to, and what the service's listeners
 * (shared by all connections, so none is a closure per connection) and the ping wheel see. One
 * object per connection.
 *
 * Outgoing envelopes are encoded and framed once per codec, memoized across subscribers
 * (ws-frame.ts). A connection without permessage-deflate gets those frame bytes written to its
 * socket; one with it, or one whose ws still queues data of its own, gets the payload through
 * `ws.send`. Writes are corked per event-loop turn.
 * Slow-consumer policy: when the bytes queued for this connection exceed `maxBufferedBytes`,
 * nothing more is queued, the connection is closed with 1008 and a reason, and destroyed if it
 * does not take the close frame within a second. Memory per connection is therefore bounded by
 * the limit plus one message.
 */
export class WebSocketConnection extends KeptConnection implements Peer {
  /** Where what the client sends goes: set by the service as soon as the router attached this peer. */
  link!: SessionLink;
  private dropped = false;
  private readonly encoder: Encoder;
  /** No extension (permessage-deflate) negotiated: every frame is the same bytes as any other connection's. */
  private readonly plain: boolean;

  constructor(
    ws: WebSocket,
    private readonly codec: Codec,
    peerLabel: string,
    /** TransportInfo.extra: shared by the connections on the same URL (the service's extraFor). */
    private readonly extra: TransportInfo['extra'],
    slotKey: string,
    shared: ServiceShared,
  ) {
    super(ws, peerLabel, slotKey, shared);
    this.encoder = frameEncoder(codec);
    this.plain = ws.extensions === '';
  }

  /**
   * Made when asked (at HELLO, by the meta API, in a rare warning), not kept: an object of four
   * fields per connection would cost 56 bytes; every fact in it is kept here anyway.
   */
  get transport(): TransportInfo {
    return { type: 'websocket', serializer: this.codec.name, peer: this.label, extra: this.extra };
  }

  // ---- Peer: called by the router ----

  send(envelope: Envelope): void {
    const ws = this.ws;
    if (this.dropped || ws.readyState !== ws.OPEN) return;
    const frame = envelope.encode(this.encoder) as Buffer;
    const raw = socketUnder(ws);
    if (raw) corkForThisTurn(raw);
    if (this.plain && raw && !raw.destroyed && !sendsQueuedInWs(ws)) raw.write(frame);
    else ws.send(payloadOf(frame), this.codec.binary ? binaryFrame : textFrame);
    if (ws.bufferedAmount > this.shared.maxBufferedBytes) this.dropSlowConsumer();
  }

  close(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000);
  }

  /** ws stops reading from the socket; frames it already read are still delivered. */
  pauseReading(): void {
    this.ws.pause();
  }

  /** Room for the router's own bursts (retained events): see outbound-room.ts. */
  hasRoom(): boolean {
    return hasRoom(this.ws.bufferedAmount, this.shared.maxBufferedBytes);
  }

  whenRoom(resume: () => void): void {
    whenDrained(socketUnder(this.ws) as DrainingSocket | undefined, resume);
  }

  resumeReading(): void {
    this.ws.resume();
  }

  // ---- called by the service's listeners ----

  received(data: Buffer, isBinary: boolean): void {
    const codec = this.codec;
    if (codec.binary && !isBinary) {
      this.link.receiveGarbage(`could not decode the message as ${codec.name}: ${codec.subprotocol} needs binary frames, got a text frame`);
      return;
    }
    const decoded = decodeMessage(codec, codec.binary ? data : data.toString('utf8'), this.shared.maxNestingDepth);
    if (decoded.ok) this.link.receive(decoded.message, data.length);
    else this.link.receiveGarbage(decoded.reason);
  }

  failed(error: Error & { code?: string }): void {
    const { counters } = this.shared;
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      counters.oversized.inc();
      this.log.warn({ limitBytes: this.shared.maxMessageSize }, 'message larger than max_message_size; connection closed (1009)');
    } else if (error.code === 'WS_ERR_TOO_MANY_BUFFERED_PARTS') {
      // ws has already sent its close (1008, no reason): it gives us no way to add one.
      counters.tooFragmented.inc();
      this.log.warn({ err: error.message }, 'message in too many fragments (ws caps them at 16384); connection closed (1008)');
    } else {
      this.log.warn({ code: error.code, err: error.message }, 'WebSocket error; connection closed');
    }
  }

  override closed(): void {
    this.link.detach();
  }

  private dropSlowConsumer(): void {
    this.dropped = true;
    const buffered = this.ws.bufferedAmount;
    const limit = this.shared.maxBufferedBytes;
    this.log.warn({ bufferedBytes: buffered, limitBytes: limit }, 'slow consumer: send buffer over its limit; closing the connection (1008)');
    this.shared.counters.slowConsumers.inc();
    this.ws.close(SLOW_CONSUMER_CLOSE_CODE, `slow consumer: more than ${limit} bytes waiting to be sent`);
    const timer = setTimeout(() => this.ws.terminate(), SLOW_CONSUMER_GRACE_MS);
    timer.unref();
  }
}
