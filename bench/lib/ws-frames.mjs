import { randomFillSync } from 'node:crypto';

/**
 * The few pieces of RFC 6455 the lean subscriber (clients/lean-subscriber.mjs) needs to read a
 * server's frames without ws's per-frame Receiver, and to find an event's sequence number
 * without JSON.parse:
 *
 *   FrameReader   walks the frame headers of each chunk read from the socket; a frame split
 *                 across chunks is kept until the rest arrives. Server frames are never masked.
 *   maskedFrame   one client frame (clients must mask what they send).
 *   scanEventArgs reads the subscription id and args[0] (the sequence number) of a JSON event by
 *                 walking bytes; it gives up (returns false) on anything it does not
 *                 expect, and the caller then parses the message in full.
 */

export const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 };
// Larger frames than this are refused: the bench's largest message is 1 MiB of padding.
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export class FrameReader {
  /** onFrame(opcode, fin, buffer, start, end): the payload is buffer[start, end), valid only during the call. */
  constructor(onFrame) {
    this.onFrame = onFrame;
    this.carry = null; // the start of a frame whose rest has not arrived yet (a copy)
  }

  /** Reads every whole frame of `chunk` (whose memory may be reused once this returns). */
  push(chunk) {
    let buffer = chunk;
    if (this.carry) {
      buffer = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    const length = buffer.length;
    let at = 0;
    while (length - at >= 2) {
      const first = buffer[at];
      const second = buffer[at + 1];
      if (first & 0x70) throw new Error('a frame has RSV bits set, but no extension was negotiated');
      if (second & 0x80) throw new Error('a server frame is masked (RFC 6455 section 5.1 forbids it)');
      let size = second & 0x7f;
      let header = 2;
      if (size === 126) {
        if (length - at < 4) break;
        size = buffer.readUInt16BE(at + 2);
        header = 4;
      } else if (size === 127) {
        if (length - at < 10) break;
        size = buffer.readUInt32BE(at + 2) * 2 ** 32 + buffer.readUInt32BE(at + 6);
        header = 10;
      }
      if (size > MAX_FRAME_BYTES) throw new Error(`a frame of ${size} bytes is larger than the lean subscriber's ${MAX_FRAME_BYTES}`);
      if (length - at - header < size) break;
      this.onFrame(first & 0x0f, (first & 0x80) !== 0, buffer, at + header, at + header + size);
      at += header + size;
    }
    if (at < length) this.carry = Buffer.from(buffer.subarray(at)); // a copy: the chunk is reused
  }
}

/** A whole (FIN) client frame with a random mask, as RFC 6455 requires of clients. */
export function maskedFrame(opcode, payload) {
  const size = payload.length;
  const header = size < 126 ? 2 : size < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + 4 + size);
  frame[0] = 0x80 | opcode;
  if (header === 2) frame[1] = 0x80 | size;
  else if (header === 4) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(size, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(size / 2 ** 32), 2);
    frame.writeUInt32BE(size % 2 ** 32, 6);
  }
  const mask = frame.subarray(header, header + 4);
  randomFillSync(mask);
  for (let i = 0; i < size; i++) frame[header + 4 + i] = payload[i] ^ mask[i & 3];
  return frame;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const ZERO = 0x30;
const NINE = 0x39;

/** The index just past the string whose opening quote is at `at`, or -1. */
function skipString(buffer, at, end) {
  let quote = at;
  for (;;) {
    quote = buffer.indexOf(QUOTE, quote + 1);
    if (quote < 0 || quote >= end) return -1;
    let backslashes = 0;
    while (buffer[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
  }
}

/** The index just past the JSON value starting at `at` (no whitespace expected), or -1. */
function skipValue(buffer, at, end) {
  const first = buffer[at];
  if (first === QUOTE) return skipString(buffer, at, end);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    let depth = 0;
    for (let i = at; i < end; i++) {
      const byte = buffer[i];
      if (byte === QUOTE) {
        i = skipString(buffer, i, end) - 1;
        if (i < 0) return -1;
      } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) depth++;
      else if ((byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) && --depth === 0) return i + 1;
    }
    return -1;
  }
  // A number or a literal (true, false, null): up to the next comma or closing bracket.
  let i = at;
  while (i < end && buffer[i] !== COMMA && buffer[i] !== CLOSE_ARRAY && buffer[i] !== CLOSE_OBJECT) i++;
  return i > at ? i : -1;
}

/** The non-negative integer at `at` (ending at a comma or bracket) into scanned.integer; the index past it, or -1. */
function readInteger(buffer, at, end, scanned) {
  let value = 0;
  let i = at;
  while (i < end && buffer[i] >= ZERO && buffer[i] <= NINE) value = value * 10 + buffer[i++] - ZERO;
  if (i === at || i === end || (buffer[i] !== COMMA && buffer[i] !== CLOSE_ARRAY)) return -1;
  scanned.integer = value;
  return i;
}

/**
 * For a JSON event buffer[start, end) that begins with the bytes `prefix` (`[36,` for a WAMP
 * EVENT) followed by `before` values and then the args array: sets scanned.key to the first of
 * those values (the WAMP subscription id; -1 when it is not an integer) and scanned.seq to
 * args[0]. Returns false when the message is not in that shape (whitespace, a non-integer
 * sequence number...): the caller then parses it with JSON.parse, so an odd message is slower,
 * never misread. Only args[0] is read: the rest of the event (timestamp, padding) is not walked.
 */
export function scanEventArgs(buffer, start, end, prefix, before, scanned) {
  if (end - start < prefix.length + 2) return false;
  for (let i = 0; i < prefix.length; i++) if (buffer[start + i] !== prefix[i]) return false;
  let at = start + prefix.length;
  scanned.key = -1;
  for (let value = 0; value < before; value++) {
    let next = value === 0 ? readInteger(buffer, at, end, scanned) : -1;
    if (next >= 0) scanned.key = scanned.integer;
    else next = skipValue(buffer, at, end);
    if (next < 0 || buffer[next] !== COMMA) return false;
    at = next + 1;
  }
  if (buffer[at] !== OPEN_ARRAY || readInteger(buffer, at + 1, end, scanned) < 0) return false;
  scanned.seq = scanned.integer;
  return true;
}
