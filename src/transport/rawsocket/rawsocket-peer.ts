import { hasRoom, whenDrained } from '../outbound-room.js';
import type { Codec } from '../../codec/codec.js';
import { messageTypeName } from '../../protocol/codes.js';
import { ErrorUri } from '../../protocol/errors.js';
import { Envelope, type Encoder } from '../../protocol/envelope.js';
import type { WampMessage } from '../../protocol/messages.js';
import type { Logger } from '../../router/log.js';
import type { Peer, TransportInfo } from '../../router/peer.js';
import { corkForThisTurn, type CorkableSocket } from '../write-coalescing.js';
import { encodeFrame, FRAME_HEADER_LENGTH, FrameType, MAX_FRAME_PAYLOAD, writeFrameHeader } from './framing.js';
import { ForgottenCalls, planForUndeliverable } from '../../router/undeliverable.js';

/** How long a closing connection gets to take what was queued for it before it is destroyed. */
const CLOSE_GRACE_MS = 1_000;

/** The part of a socket the peer writes to: a net.Socket or tls.TLSSocket (and fakes in tests). */
export interface FrameSink {
  write(chunk: Uint8Array): boolean;
  /** Real sockets have these (write coalescing); test fakes may not. */
  cork?(): void;
  uncork?(): void;
  end(): void;
  destroy(): void;
  /** Reading side, for backpressure (real sockets have these; test fakes may not). */
  pause?(): unknown;
  resume?(): unknown;
  readonly writableLength: number;
  readonly destroyed: boolean;
  /** Draining, for Peer.whenRoom (real sockets have these; test fakes may not). */
  readonly writableNeedDrain?: boolean;
  once?(event: 'drain', listener: () => void): unknown;
}

export interface RawSocketPeerCounters {
  slowConsumers: { inc(): void };
  /** Messages longer than the client accepts, by message type. */
  tooLongForClient: { inc(labels: { type: string }): void };
}

export interface RawSocketPeerOptions {
  /** The longest payload the client said it receives (its handshake): nothing longer is written. */
  clientMaxLength: number;
  /** Past this many bytes waiting to be written, the connection is dropped (slow-consumer policy). */
  maxBufferedBytes: number;
  log: Logger;
  counters: RawSocketPeerCounters;
  /** Hands a message to the router as if the client had sent it (see router/undeliverable.ts). */
  onBehalfOfClient(wire: unknown[]): void;
}

const frameEncoders = new Map<string, Encoder>();

/**
 * An encoder that yields the whole RawSocket frame, header included, memoized in the envelope
 * under its own name: a fan-out to many RawSocket subscribers encodes and frames once, and each
 * subscriber costs one write. A payload too long for any frame gets no header (it is never sent).
 */
export function frameEncoder(codec: Codec): Encoder {
  let encoder = frameEncoders.get(codec.name);
  if (!encoder) {
    const name = `${codec.name}+rawsocket`;
    encoder = {
      name,
      encode: (wire) => {
        const encoded = codec.encode(wire);
        if (typeof encoded !== 'string') return frameOf(encoded);
        const length = Buffer.byteLength(encoded);
        const frame = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + length);
        frame.write(encoded, FRAME_HEADER_LENGTH, 'utf8');
        if (length <= MAX_FRAME_PAYLOAD) writeFrameHeader(frame, FrameType.message, length);
        return frame;
      },
    };
    frameEncoders.set(codec.name, encoder);
  }
  return encoder;
}

function frameOf(payload: Uint8Array): Buffer {
  if (payload.length <= MAX_FRAME_PAYLOAD) return encodeFrame(FrameType.message, payload);
  const frame = Buffer.alloc(FRAME_HEADER_LENGTH + payload.length);
  frame.set(payload, FRAME_HEADER_LENGTH);
  return frame;
}

/**
 * A RawSocket connection as the router sees it. Outgoing messages never exceed the length the
 * client announced (router/undeliverable.ts decides what happens instead). Slow-consumer policy: when the
 * bytes queued for the socket pass `maxBufferedBytes`, the connection is dropped at once (RawSocket
 * has no close frame to wait for), logged and counted; memory per connection stays bounded by the
 * limit plus one message.
 */
export class RawSocketPeer implements Peer {
  private closing = false;
  private dropped = false;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly encoder: Encoder;
  /** CALL requests whose results are dropped after a progressive result was too long. */
  private readonly forgotten = new ForgottenCalls();

  constructor(
    private readonly socket: FrameSink,
    codec: Codec,
    readonly transport: TransportInfo,
    private readonly options: RawSocketPeerOptions,
  ) {
    this.encoder = frameEncoder(codec);
  }

  /** Our frames carry their header (session statistics count the message without it); on the prototype, not per connection. */
  get frameHeaderBytes(): number {
    return FRAME_HEADER_LENGTH;
  }

  send(envelope: Envelope): void {
    if (this.closing || this.socket.destroyed) return;
    const message = envelope.message;
    if (this.forgotten.drops(message)) return;
    const frame = envelope.encode(this.encoder) as Buffer;
    const length = frame.length - FRAME_HEADER_LENGTH;
    if (length > this.options.clientMaxLength) return this.tooLong(message, length);
    this.write(frame);
  }

  /** A PING or PONG frame (keepalive). */
  sendControl(type: typeof FrameType.ping | typeof FrameType.pong, payload: Uint8Array): void {
    if (this.closing || this.socket.destroyed) return;
    this.write(encodeFrame(type, payload));
  }

  /** Ends the connection once what was queued has been written; destroys it if that takes too long. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.end();
    this.graceTimer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    this.graceTimer.unref?.();
  }

  /** Stops reading from the socket; frames of the chunk already read are still delivered. */
  pauseReading(): void {
    this.socket.pause?.();
  }

  resumeReading(): void {
    this.socket.resume?.();
  }

  /** Room for the router's own bursts (retained events): see outbound-room.ts. */
  hasRoom(): boolean {
    return hasRoom(this.socket.writableLength, this.options.maxBufferedBytes);
  }

  whenRoom(resume: () => void): void {
    whenDrained(this.socket, resume);
  }

  /** The socket is gone: nothing more to wait for. */
  closed(): void {
    this.closing = true;
    if (this.graceTimer) clearTimeout(this.graceTimer);
  }

  private write(frame: Buffer): void {
    if (this.socket.cork) corkForThisTurn(this.socket as CorkableSocket);
    this.socket.write(frame);
    if (this.socket.writableLength > this.options.maxBufferedBytes) this.dropSlowConsumer();
  }

  private tooLong(message: WampMessage, length: number): void {
    const limit = this.options.clientMaxLength;
    const plan = planForUndeliverable(message, `of ${length} octets exceeds the ${limit} octets this RawSocket client accepts`, ErrorUri.payloadSizeExceeded);
    const type = messageTypeName(message.type) ?? String(message.type);
    this.options.counters.tooLongForClient.inc({ type });
    this.options.log.warn({ type, lengthBytes: length, clientLimitBytes: limit, action: plan.what },
      'message longer than the RawSocket client accepts; not sent');
    if (plan.forgetCall !== undefined) this.forgotten.add(plan.forgetCall);
    if (plan.instead) {
      const frame = new Envelope(plan.instead).encode(this.encoder) as Buffer;
      if (frame.length - FRAME_HEADER_LENGTH <= limit) this.write(frame);
    }
    if (plan.onBehalfOfClient) {
      const wire = plan.onBehalfOfClient;
      // Later, not from inside the router's own send: the dealer is in the middle of routing.
      queueMicrotask(() => this.options.onBehalfOfClient(wire));
    }
    if (plan.close) this.close();
  }

  private dropSlowConsumer(): void {
    if (this.dropped) return;
    this.dropped = true;
    this.closing = true;
    this.options.log.warn(
      { bufferedBytes: this.socket.writableLength, limitBytes: this.options.maxBufferedBytes },
      'slow consumer: send buffer over its limit; dropping the RawSocket connection',
    );
    this.options.counters.slowConsumers.inc();
    this.socket.destroy();
  }
}
