/**
 * The WAMP RawSocket opening handshake: 4 octets each way.
 *
 *   client -> router   0x7F | LLLL SSSS | 0x00 | 0x00   (L: largest message the client receives, S: serializer)
 *   router -> client   0x7F | LLLL SSSS | 0x00 | 0x00   (accept: the router's own L, S echoed)
 *   router -> client   0x7F | EEEE 0000 | 0x00 | 0x00   (refuse: E is the error code)
 *
 * A length field n means 2^(9+n) octets: 512 B (n = 0) to 16 MiB (n = 15).
 */

export const MAGIC = 0x7f;
export const HANDSHAKE_LENGTH = 4;
export const MIN_LENGTH_EXPONENT = 0;
export const MAX_LENGTH_EXPONENT = 15;

/** Serializer ids of the spec's table (4 = UBJSON, 5 = FlatBuffers are not served by Junction). */
export const SerializerId = { json: 1, msgpack: 2, cbor: 3 } as const;
export type SerializerName = keyof typeof SerializerId;

/** The spec's handshake error codes (0 is illegal, 5-15 reserved). */
export const HandshakeError = {
  serializerUnsupported: 1,
  maxLengthUnacceptable: 2,
  reservedBitsUsed: 3,
  maxConnectionsReached: 4,
} as const;
export type HandshakeErrorCode = (typeof HandshakeError)[keyof typeof HandshakeError];

const errorNames: Record<HandshakeErrorCode, string> = {
  1: 'serializer unsupported',
  2: 'maximum message length unacceptable',
  3: 'use of reserved bits',
  4: 'maximum connection count reached',
};

export function handshakeErrorName(code: number): string {
  return errorNames[code as HandshakeErrorCode] ?? `undefined error ${code}`;
}

/** Octets that exponent n stands for: 2^(9+n). */
export function lengthOfExponent(exponent: number): number {
  return 2 ** (9 + exponent);
}

/** The largest exponent whose length does not exceed `maxMessageSize` (clamped to 0..15). */
export function exponentFor(maxMessageSize: number): number {
  let exponent = MIN_LENGTH_EXPONENT;
  while (exponent < MAX_LENGTH_EXPONENT && lengthOfExponent(exponent + 1) <= maxMessageSize) exponent++;
  return exponent;
}

export interface ClientHandshake {
  /** The raw serializer field (1..15); whether it is served is the caller's decision. */
  serializerId: number;
  /** The client's length exponent: the router must never send it a longer message. */
  lengthExponent: number;
  maxReceiveLength: number;
}

export type ParsedHandshake =
  | { ok: true; handshake: ClientHandshake }
  /** Not RawSocket at all: the connection is failed without a reply, as the spec says. */
  | { ok: false; reply: undefined; reason: string }
  /** RawSocket, but refused: the router answers with this error code, then closes. */
  | { ok: false; reply: HandshakeErrorCode; reason: string };

/** Reads the client's 4 octets (`bytes` must hold at least HANDSHAKE_LENGTH). */
export function parseClientHandshake(bytes: Uint8Array): ParsedHandshake {
  if (bytes[0] !== MAGIC) {
    return { ok: false, reply: undefined, reason: `first octet is 0x${hex(bytes[0]!)}, not the RawSocket magic 0x7f` };
  }
  if (bytes[2] !== 0 || bytes[3] !== 0) {
    return {
      ok: false, reply: HandshakeError.reservedBitsUsed,
      reason: `reserved octets must be zero, got 0x${hex(bytes[2]!)} 0x${hex(bytes[3]!)}`,
    };
  }
  const serializerId = bytes[1]! & 0x0f;
  const lengthExponent = bytes[1]! >> 4;
  if (serializerId === 0) {
    return { ok: false, reply: HandshakeError.serializerUnsupported, reason: 'serializer 0 is illegal' };
  }
  return { ok: true, handshake: { serializerId, lengthExponent, maxReceiveLength: lengthOfExponent(lengthExponent) } };
}

/** The router's accepting reply: its own length exponent, the client's serializer echoed. */
export function acceptReply(lengthExponent: number, serializerId: number): Buffer {
  if (lengthExponent < MIN_LENGTH_EXPONENT || lengthExponent > MAX_LENGTH_EXPONENT) throw new RangeError(`length exponent ${lengthExponent} outside 0..15`);
  if (serializerId < 1 || serializerId > 15) throw new RangeError(`serializer id ${serializerId} outside 1..15`);
  return Buffer.from([MAGIC, (lengthExponent << 4) | serializerId, 0, 0]);
}

/** The router's refusal: the error code in the high nibble, a zero serializer in the low one. */
export function errorReply(code: HandshakeErrorCode): Buffer {
  return Buffer.from([MAGIC, code << 4, 0, 0]);
}

/** A client's view of the router's reply (used by tests and any future RawSocket client). */
export type RouterReply =
  | { ok: true; serializerId: number; lengthExponent: number; maxReceiveLength: number }
  | { ok: false; error: number; reason: string };

export function parseRouterReply(bytes: Uint8Array): RouterReply {
  if (bytes[0] !== MAGIC) return { ok: false, error: 0, reason: `first octet is 0x${hex(bytes[0]!)}, not 0x7f` };
  const serializerId = bytes[1]! & 0x0f;
  const high = bytes[1]! >> 4;
  if (serializerId === 0) return { ok: false, error: high, reason: handshakeErrorName(high) };
  return { ok: true, serializerId, lengthExponent: high, maxReceiveLength: lengthOfExponent(high) };
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
