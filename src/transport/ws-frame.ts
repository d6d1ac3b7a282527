import type { WebSocket } from 'ws';
import type { Codec } from '../codec/codec.js';
import type { Encoder } from '../protocol/envelope.js';

/**
 * One of the two places that reach into `ws`'s internals (ws-close-frame.ts is the other), so that a fan-out frames each message once:
 * a server frame without compression is the same bytes for every subscriber, so it is built once
 * per message and codec (memoized in the envelope) and written to each connection's socket,
 * instead of `ws.send` building a header and a two-buffer write per subscriber.
 *
 * The frame is one buffer: a header written here (RFC 6455 section 5.2: final, unmasked, no
 * extension bits) and the payload, a codec's text encoded straight into it, with no buffer of
 * its own first (the RPC path's allocation per message is what its GC pauses come from).
 *
 * What it relies on (ws-frame.test.ts fails if any of it changes under us):
 * - `websocket._socket`: the net.Socket under a connection;
 * - `websocket._sender._state` (0 when idle) and `._queue`: whether `ws` still holds data of its
 *   own to write (a message being compressed, a queued send behind it). Writing past it would
 *   overtake that data, so then the caller must use `ws.send` (sendsQueuedInWs).
 * Everything else (handshake, parsing, control frames, close, compression) stays with `ws`.
 */

const FINAL_TEXT = 0x81;
const FINAL_BINARY = 0x82;
/** Payload lengths from here on take 2 more bytes in the header (126), from the next step 8 (127). */
const TWO_BYTE_LENGTH = 126;
const EIGHT_BYTE_LENGTH = 0x1_0000;
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

/** A whole unmasked, final data frame (header and payload in one buffer) carrying `payload` (text as UTF-8). */
export function dataFrame(payload: Uint8Array | string, binary: boolean): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength;
  const offset = length < TWO_BYTE_LENGTH ? 2 : length < EIGHT_BYTE_LENGTH ? 4 : 10;
  const frame = Buffer.allocUnsafe(offset + length);
  frame[0] = binary ? FINAL_BINARY : FINAL_TEXT;
  if (offset === 2) {
    frame[1] = length;
  } else if (offset === 4) {
    frame[1] = TWO_BYTE_LENGTH;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  if (typeof payload === 'string') frame.write(payload, offset, 'utf8');
  else frame.set(payload, offset);
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
      encode: (wire) => dataFrame(codec.encode(wire), codec.binary),
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
