import type { WebSocket } from 'ws';
import type { Codec } from '../codec/codec.js';
import type { Encoder, Envelope } from '../protocol/envelope.js';
import type { Logger } from '../router/log.js';
import type { Peer, TransportInfo } from '../router/peer.js';
import { corkForThisTurn, type CorkableSocket } from './write-coalescing.js';

/** Close code sent to a consumer too slow to keep up (policy violation). */
export const SLOW_CONSUMER_CLOSE_CODE = 1008;
/** How long a slow consumer gets to take the close frame before its socket is destroyed. */
const SLOW_CONSUMER_GRACE_MS = 1_000;

export interface WebSocketPeerOptions {
  /** Past this many bytes waiting to be written, the connection is closed (slow-consumer policy). */
  maxBufferedBytes: number;
  log: Logger;
  onSlowConsumer(): void;
}

const textFrame = { binary: false } as const;
const binaryFrame = { binary: true } as const;

const utf8Encoders = new Map<string, Encoder>();

/**
 * For text codecs, an encoder that yields UTF-8 bytes instead of a string, memoized in the
 * envelope under its own name: `ws` would otherwise measure and convert the string again for
 * every subscriber of a fan-out.
 */
function bytesEncoder(codec: Codec): Encoder {
  if (codec.binary) return codec;
  let encoder = utf8Encoders.get(codec.name);
  if (!encoder) {
    const name = `${codec.name}+utf8`;
    encoder = { name, encode: (wire) => Buffer.from(codec.encode(wire) as string, 'utf8') };
    utf8Encoders.set(codec.name, encoder);
  }
  return encoder;
}

/**
 * A WebSocket connection as the router sees it. Outgoing envelopes are encoded in the negotiated
 * codec (memoized across subscribers). Slow-consumer policy: when the bytes queued for this
 * connection exceed `maxBufferedBytes`, nothing more is queued, the connection is closed with
 * 1008 and a reason, and destroyed if it does not take the close frame within a second. Memory
 * per connection is therefore bounded by the limit plus one message.
 */
export class WebSocketPeer implements Peer {
  private dropped = false;
  private readonly frameOptions;
  private readonly encoder: Encoder;

  constructor(
    private readonly socket: WebSocket,
    codec: Codec,
    readonly transport: TransportInfo,
    private readonly options: WebSocketPeerOptions,
  ) {
    this.frameOptions = codec.binary ? binaryFrame : textFrame;
    this.encoder = bytesEncoder(codec);
  }

  send(envelope: Envelope): void {
    if (this.dropped || this.socket.readyState !== this.socket.OPEN) return;
    // ws has no public cork; its underlying net.Socket (`_socket`) has.
    const raw = (this.socket as unknown as { _socket?: CorkableSocket })._socket;
    if (raw) corkForThisTurn(raw);
    this.socket.send(envelope.encode(this.encoder), this.frameOptions);
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
    this.options.log.warn(
      { bufferedBytes: buffered, limitBytes: this.options.maxBufferedBytes },
      'slow consumer: send buffer over its limit; closing the connection (1008)',
    );
    this.options.onSlowConsumer();
    this.socket.close(SLOW_CONSUMER_CLOSE_CODE, `slow consumer: more than ${this.options.maxBufferedBytes} bytes waiting to be sent`);
    const timer = setTimeout(() => this.socket.terminate(), SLOW_CONSUMER_GRACE_MS);
    timer.unref();
  }
}
