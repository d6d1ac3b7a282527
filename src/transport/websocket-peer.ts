import type { WebSocket } from 'ws';
import type { Codec } from '../codec/codec.js';
import type { Encoder, Envelope } from '../protocol/envelope.js';
import { boundLogger, type Logger } from '../router/log.js';
import type { Peer, TransportInfo } from '../router/peer.js';
import { corkForThisTurn } from './write-coalescing.js';
import { frameEncoder, payloadOf, sendsQueuedInWs, socketUnder, type WsSocket } from './ws-frame.js';

/** Close code sent to a consumer too slow to keep up (policy violation). */
export const SLOW_CONSUMER_CLOSE_CODE = 1008;
/** How long a slow consumer gets to take the close frame before its socket is destroyed. */
const SLOW_CONSUMER_GRACE_MS = 1_000;

/** The same for every connection of a service: one object, shared. */
export interface WebSocketPeerOptions {
  /** Past this many bytes waiting to be written, the connection is closed (slow-consumer policy). */
  maxBufferedBytes: number;
  /** The service's log: the peer adds its label (transport.peer) when it writes. */
  log: Logger;
  onSlowConsumer(): void;
}

const textFrame = { binary: false } as const;
const binaryFrame = { binary: true } as const;

/**
 * A WebSocket connection as the router sees it. Outgoing envelopes are encoded and framed once
 * per codec, memoized across subscribers (ws-frame.ts). A connection without permessage-deflate
 * gets those frame bytes written to its socket; one with it, or one whose ws still queues data of
 * its own, gets the payload through `ws.send`. Writes are corked per event-loop turn.
 * Slow-consumer policy: when the bytes queued for this connection exceed `maxBufferedBytes`,
 * nothing more is queued, the connection is closed with 1008 and a reason, and destroyed if it
 * does not take the close frame within a second. Memory per connection is therefore bounded by
 * the limit plus one message.
 */
export class WebSocketPeer implements Peer {
  private dropped = false;
  private readonly frameOptions;
  private readonly encoder: Encoder;
  private readonly raw: WsSocket | undefined;
  /** No extension (permessage-deflate) negotiated: every frame is the same bytes as any other connection's. */
  private readonly plain: boolean;

  constructor(
    private readonly socket: WebSocket,
    codec: Codec,
    readonly transport: TransportInfo,
    private readonly options: WebSocketPeerOptions,
  ) {
    this.frameOptions = codec.binary ? binaryFrame : textFrame;
    this.encoder = frameEncoder(codec);
    this.raw = socketUnder(socket);
    this.plain = socket.extensions === '';
  }

  send(envelope: Envelope): void {
    if (this.dropped || this.socket.readyState !== this.socket.OPEN) return;
    const frame = envelope.encode(this.encoder) as Buffer;
    const raw = this.raw;
    if (raw) corkForThisTurn(raw);
    if (this.plain && raw && !raw.destroyed && !sendsQueuedInWs(this.socket)) raw.write(frame);
    else this.socket.send(payloadOf(frame), this.frameOptions);
    if (this.socket.bufferedAmount > this.options.maxBufferedBytes) this.dropSlowConsumer();
  }

  close(): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.close(1000);
  }

  /** ws stops reading from the socket; frames it already read are still delivered. */
  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  private dropSlowConsumer(): void {
    this.dropped = true;
    const buffered = this.socket.bufferedAmount;
    boundLogger(this.options.log, { peer: this.transport.peer }).warn(
      { bufferedBytes: buffered, limitBytes: this.options.maxBufferedBytes },
      'slow consumer: send buffer over its limit; closing the connection (1008)',
    );
    this.options.onSlowConsumer();
    this.socket.close(SLOW_CONSUMER_CLOSE_CODE, `slow consumer: more than ${this.options.maxBufferedBytes} bytes waiting to be sent`);
    const timer = setTimeout(() => this.socket.terminate(), SLOW_CONSUMER_GRACE_MS);
    timer.unref();
  }
}
