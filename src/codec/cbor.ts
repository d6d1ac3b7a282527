import { addExtension, Encoder } from 'cbor-x';
import type { Codec } from './codec.js';
import { mayHoldWideInt64, narrowSmallBigInts } from './integers.js';
import { widenLargeIntegers } from './widen.js';

/**
 * Bytes a CBOR peer sent as a typed array (tag 64, RFC 8746) rather than as a byte string: CBOR
 * peers get them back tagged, exactly as sent; other serializers carry them as plain bytes.
 */
export class TaggedUint8Array extends Uint8Array {}

const TYPED_UINT8_ARRAY_TAG = 64;

// cbor-x's extensions are process-wide; this one only concerns our own class. cbor-x writes the
// tag, then calls `encode` to write the content (its declared return type is not used).
addExtension({
  Class: TaggedUint8Array,
  tag: TYPED_UINT8_ARRAY_TAG,
  encode(value: TaggedUint8Array, encode: (content: unknown) => Uint8Array) {
    return encode(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  },
  decode(bytes: Uint8Array) {
    return new TaggedUint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
  },
});

const options = {
  useRecords: false,
  mapsAsObjects: true,
  // Exact only for unsigned integers within 2^53; the frames that may hold others use `exact`.
  int64AsNumber: true,
  // Byte strings stay byte strings; only TaggedUint8Array is written with tag 64.
  tagUint8Array: false,
  // Smallest map header (a1 for one key), as other WAMP peers and the WAMP test vectors write it;
  // without it cbor-x always writes a 16-bit map length.
  variableMapSize: true,
};
// int64AsNumber is honoured by cbor-x but missing from its type declarations.
const codec = new Encoder(options as ConstructorParameters<typeof Encoder>[0]);
/** 64-bit integers and bignums decode as BigInt, exactly (then narrowed to numbers within ±2^53). */
const exact = new Encoder({ ...options, int64AsNumber: false } as ConstructorParameters<typeof Encoder>[0]);

const UNSIGNED_INT64 = 0x1b;
const NEGATIVE_INT64 = 0x3b;
const BIGNUM_TAG = 0xc2;
const NEGATIVE_BIGNUM_TAG = 0xc3;

/**
 * Whether a frame needs the exact decoder: an unsigned 64-bit integer beyond 2^53, any negative
 * 64-bit integer (cbor-x's int64AsNumber mangles them: -2^40 decodes as 0, kriszyp/cbor-x#143),
 * or a bignum. The octets may also be other data (text such as ";" or UTF-8 "é"), which only
 * costs the exact path.
 */
function needsExactDecoding(frame: Uint8Array): boolean {
  return frame.includes(NEGATIVE_INT64) || frame.includes(BIGNUM_TAG) || frame.includes(NEGATIVE_BIGNUM_TAG) ||
    mayHoldWideInt64(frame, UNSIGNED_INT64, false);
}

export const cborCodec: Codec = {
  name: 'cbor',
  subprotocol: 'wamp.2.cbor',
  binary: true,
  encode(wire) {
    return codec.encode(widenLargeIntegers(wire));
  },
  decode(frame) {
    if (typeof frame === 'string') throw new TypeError('CBOR frames must be binary, got a text frame');
    return needsExactDecoding(frame) ? narrowSmallBigInts(exact.decode(frame)) : codec.decode(frame);
  },
};
