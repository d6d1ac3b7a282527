/**
 * Batch framing of the batched long-poll protocols (the WAMP spec's batched-WebSocket scheme):
 * JSON messages each end with the ASCII record separator 0x1e; MessagePack and CBOR messages
 * each start with their length as a 32-bit big-endian unsigned integer.
 */

/** The separator the WAMP spec defines for batched JSON. */
export const JSON_RECORD_SEPARATOR = 0x1e;
/**
 * Autobahn|Python (Crossbar's serializer) writes `b"\30"`, which Python reads as octal: 0x18.
 * JSON text never holds a raw control character, so accepting both on input is unambiguous.
 */
const AUTOBAHN_PYTHON_SEPARATOR = 0x18;

const separator = Uint8Array.of(JSON_RECORD_SEPARATOR);

export class BatchFormatError extends Error {}

/** The body of one `receive` answer carrying these encoded messages as a batch. */
export function joinBatch(frames: readonly Uint8Array[], binary: boolean): Buffer {
  const parts: Uint8Array[] = [];
  for (const frame of frames) {
    if (binary) {
      const length = Buffer.allocUnsafe(4);
      length.writeUInt32BE(frame.byteLength, 0);
      parts.push(length, frame);
    } else {
      parts.push(frame, separator);
    }
  }
  return Buffer.concat(parts);
}

/** The messages of a batched `send` body, still encoded. An empty batch is an error (the spec says so). */
export function splitBatch(body: Buffer, binary: boolean): Buffer[] {
  const frames = binary ? splitLengthPrefixed(body) : splitSeparated(body);
  if (frames.length === 0) throw new BatchFormatError('the batch holds no message');
  return frames;
}

function splitSeparated(body: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let start = 0;
  for (let index = 0; index < body.length; index++) {
    const byte = body[index];
    if (byte !== JSON_RECORD_SEPARATOR && byte !== AUTOBAHN_PYTHON_SEPARATOR) continue;
    if (index === start) throw new BatchFormatError(`empty message at byte ${index} of the batch`);
    frames.push(body.subarray(start, index));
    start = index + 1;
  }
  if (start !== body.length) throw new BatchFormatError('the last message of the batch does not end with the record separator 0x1e');
  return frames;
}

function splitLengthPrefixed(body: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    if (offset + 4 > body.length) throw new BatchFormatError(`truncated length prefix at byte ${offset} of the batch`);
    const length = body.readUInt32BE(offset);
    const end = offset + 4 + length;
    if (length === 0) throw new BatchFormatError(`empty message at byte ${offset} of the batch`);
    if (end > body.length) throw new BatchFormatError(`message at byte ${offset} announces ${length} bytes, only ${body.length - offset - 4} follow`);
    frames.push(body.subarray(offset + 4, end));
    offset = end;
  }
  return frames;
}
