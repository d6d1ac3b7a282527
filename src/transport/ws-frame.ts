import * as ws from 'ws';
import type { WebSocket } from 'ws';
import type { Codec } from '../codec/codec.js';
import type { Encoder } from '../protocol/envelope.js';

/**
 * The one place that reaches into `ws`'s internals, so that a fan-out frames each message once:
 * a server frame without compression is the same bytes for every subscriber, so it is built once
 * per message and codec (memoized in the envelope) and written to each connection's socket,
 * instead of `ws.send` building a header and a two-buffer write per subscriber.
 *
 * What it relies on (ws-frame.test.ts fails if any of it changes under us):
 * - `Sender.frame(data, options)`, exported by `ws` but undocumented: builds the frame header;
 * - `websocket._socket`: the net.Socket under a connection;
 * - `websocket._sender._state` (0 when idle) and `._queue`: whether `ws` still holds data of its
 *   own to write (a message being compressed, a queued send behind it). Writing past it would
 *   overtake that data, so then the caller must use `ws.send` (sendsQueuedInWs).
 * Everything else (handshake, parsing, control frames, close, compression) stays with `ws`.
 */

type FrameOptions = { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean };
type FrameFunction = (data: Buffer, options: FrameOptions) => Buffer[];

const senderFrame = (ws as unknown as { Sender?: { frame?: FrameFunction } }).Sender?.frame;
if (typeof senderFrame !== 'function') {
  throw new Error('ws no longer exports Sender.frame, which src/transport/ws-frame.ts relies on: adapt that module to this ws version');
}
const frameOf: FrameFunction = senderFrame;

const TEXT_OPCODE = 0x1;
const BINARY_OPCODE = 0x2;
/** The sender's idle state (ws/lib/sender.js: DEFAULT); busy otherwise (deflating, reading a blob). */
const SENDER_IDLE = 0;

/** The parts of the socket under a WebSocket this needs: write coalescing and writes. */
export interface WsSocket {
  cork(): void;
  uncork(): void;
  write(chunk: Uint8Array): boolean;
  readonly destroyed: boolean;
}

interface WsInternals {
  _socket?: WsSocket | null;
  _sender?: { _state?: unknown; _queue?: unknown } | null;
}

/** A whole unmasked, final data frame (header and payload in one buffer) carrying `payload`. */
export function dataFrame(payload: Uint8Array, binary: boolean): Buffer {
  const data = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const [header] = frameOf(data, { fin: true, opcode: binary ? BINARY_OPCODE : TEXT_OPCODE, mask: false, readOnly: false, rsv1: false });
  const frame = Buffer.allocUnsafe(header!.length + data.length);
  frame.set(header!, 0);
  frame.set(data, header!.length);
  return frame;
}

/** The payload of a frame made by dataFrame (a view, no copy): for connections that take `ws.send`. */
export function payloadOf(frame: Buffer): Buffer {
  const length = frame[1]! & 0x7f;
  const headerLength = length < 126 ? 2 : length === 126 ? 4 : 10;
  return frame.subarray(headerLength);
}

const frameEncoders = new Map<string, Encoder>();

/**
 * An encoder that yields the whole WebSocket data frame, memoized in the envelope under its own
 * name: the first connection that sends a message frames it, the others reuse the bytes.
 */
export function frameEncoder(codec: Codec): Encoder {
  let encoder = frameEncoders.get(codec.name);
  if (!encoder) {
    encoder = {
      name: `${codec.name}+websocket`,
      encode: (wire) => {
        const encoded = codec.encode(wire);
        return dataFrame(typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : encoded, codec.binary);
      },
    };
    frameEncoders.set(codec.name, encoder);
  }
  return encoder;
}

/** The socket under `websocket` (undefined before it is set up, or if ws keeps it elsewhere). */
export function socketUnder(websocket: WebSocket): WsSocket | undefined {
  return (websocket as unknown as WsInternals)._socket ?? undefined;
}

/**
 * Whether ws may still hold data of its own for this connection, or we cannot tell: then a frame
 * written straight to the socket could overtake it, and the message must go through `ws.send`.
 */
export function sendsQueuedInWs(websocket: WebSocket): boolean {
  const sender = (websocket as unknown as WsInternals)._sender;
  return !sender || sender._state !== SENDER_IDLE || !Array.isArray(sender._queue) || sender._queue.length > 0;
}
