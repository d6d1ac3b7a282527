/**
 * RawSocket framing: every transport message is prefixed by 4 octets, big-endian.
 *
 *   RRRR XTTT | LLLLLLLL LLLLLLLL LLLLLLLL
 *
 * R: reserved (must be zero). T: type (0 = WAMP message, 1 = PING, 2 = PONG, 3-7 reserved).
 * L: payload length (24 bits). X: the 25th length bit, set only for a payload of exactly 2^24
 * octets (then every L bit is zero).
 */

export const FrameType = { message: 0, ping: 1, pong: 2 } as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const FRAME_HEADER_LENGTH = 4;
/** The longest payload a header can describe: 16 MiB (the X bit alone). */
export const MAX_FRAME_PAYLOAD = 2 ** 24;

/** A complete frame (header and payload) in one buffer, so one write puts it on the wire. */
export function encodeFrame(type: FrameType, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + payload.length);
  writeFrameHeader(frame, type, payload.length);
  frame.set(payload, FRAME_HEADER_LENGTH);
  return frame;
}

/** Writes the 4-octet header for a payload of `length` octets at the start of `target`. */
export function writeFrameHeader(target: Uint8Array, type: FrameType, length: number): void {
  if (!Number.isInteger(length) || length < 0 || length > MAX_FRAME_PAYLOAD) {
    throw new RangeError(`a RawSocket frame carries 0..${MAX_FRAME_PAYLOAD} octets, not ${length}`);
  }
  const extraBit = length === MAX_FRAME_PAYLOAD ? 0x08 : 0;
  target[0] = extraBit | type;
  target[1] = (length >>> 16) & 0xff;
  target[2] = (length >>> 8) & 0xff;
  target[3] = length & 0xff;
}

export type FrameErrorKind = 'reserved-bits' | 'unknown-type' | 'bad-length' | 'too-long';

export interface FrameError {
  kind: FrameErrorKind;
  message: string;
  /** The length the header announced (for 'too-long'). */
  length?: number;
}

export type FrameHandler = (type: FrameType, payload: Buffer) => void;

/**
 * A streaming frame parser: feed it TCP chunks as they come, split or coalesced, and it calls
 * `onFrame` once per complete frame. A payload within one chunk is handed over as a view (no
 * copy); one spread over several chunks is gathered once, when its last octet arrives, so the
 * work is linear in the bytes received and memory grows only with what the peer actually sent.
 * The first bad header stops the parser for good: the connection must then be failed.
 */
export class FrameParser {
  private readonly header = Buffer.alloc(FRAME_HEADER_LENGTH);
  private headerFilled = 0;
  private type: FrameType = FrameType.message;
  /** Payload length of the frame being read; -1 while its header is incomplete. */
  private length = -1;
  private readonly parts: Buffer[] = [];
  private partsLength = 0;
  private stopped = false;

  /** @param maxPayload the longest payload accepted; a longer frame is an error before any of it is buffered. */
  constructor(private readonly maxPayload: number, private readonly onFrame: FrameHandler) {}

  /** Consumes a chunk. Returns the error that stopped the parser, if this chunk caused one. */
  push(chunk: Buffer): FrameError | undefined {
    let offset = 0;
    while (offset < chunk.length && !this.stopped) {
      if (this.length < 0) {
        const take = Math.min(FRAME_HEADER_LENGTH - this.headerFilled, chunk.length - offset);
        chunk.copy(this.header, this.headerFilled, offset, offset + take);
        this.headerFilled += take;
        offset += take;
        if (this.headerFilled < FRAME_HEADER_LENGTH) break;
        const error = this.readHeader();
        if (error) {
          this.stop();
          return error;
        }
        if (this.length === 0) this.complete(Buffer.alloc(0));
        continue;
      }
      const missing = this.length - this.partsLength;
      const available = chunk.length - offset;
      if (this.parts.length === 0 && available >= missing) {
        // The whole payload is in this chunk: hand over a view.
        const payload = chunk.subarray(offset, offset + missing);
        offset += missing;
        this.complete(payload);
        continue;
      }
      const take = Math.min(missing, available);
      this.parts.push(chunk.subarray(offset, offset + take));
      this.partsLength += take;
      offset += take;
      if (this.partsLength === this.length) this.complete(Buffer.concat(this.parts, this.length));
    }
    return undefined;
  }

  /** Stops parsing for good (the connection is being closed); later chunks are ignored. */
  stop(): void {
    this.stopped = true;
    this.parts.length = 0;
    this.partsLength = 0;
  }

  /** Octets held for an incomplete frame. */
  get bufferedLength(): number {
    return this.partsLength + (this.length < 0 ? this.headerFilled : FRAME_HEADER_LENGTH);
  }

  private readHeader(): FrameError | undefined {
    const first = this.header[0]!;
    if ((first & 0xf0) !== 0) {
      return { kind: 'reserved-bits', message: `frame header uses reserved bits (first octet 0x${first.toString(16).padStart(2, '0')})` };
    }
    const type = first & 0x07;
    if (type > FrameType.pong) return { kind: 'unknown-type', message: `frame type ${type} is reserved (0 = message, 1 = PING, 2 = PONG)` };
    const low = (this.header[1]! << 16) | (this.header[2]! << 8) | this.header[3]!;
    let length = low;
    if ((first & 0x08) !== 0) {
      if (low !== 0) return { kind: 'bad-length', message: 'the 25th length bit is set but the other length bits are not all zero' };
      length = MAX_FRAME_PAYLOAD;
    }
    if (length > this.maxPayload) {
      return { kind: 'too-long', length, message: `frame of ${length} octets exceeds the ${this.maxPayload} octets this router accepts` };
    }
    this.type = type as FrameType;
    this.length = length;
    return undefined;
  }

  private complete(payload: Buffer): void {
    const type = this.type;
    this.length = -1;
    this.headerFilled = 0;
    this.parts.length = 0;
    this.partsLength = 0;
    this.onFrame(type, payload);
  }
}
