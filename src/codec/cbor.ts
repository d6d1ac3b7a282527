import { Decoder, Encoder } from 'cbor-x';
import type { Codec } from './codec.js';
import { widenLargeIntegers } from './widen.js';

// int64AsNumber is honoured by cbor-x's decoder but missing from its type declarations.
const options = {
  useRecords: false,
  mapsAsObjects: true,
  int64AsNumber: true,
  tagUint8Array: false,
  // Smallest map header (a1 for one key), as other WAMP peers and the WAMP test vectors write it;
  // without it cbor-x always writes a 16-bit map length.
  variableMapSize: true,
};
const encoder = new Encoder(options);
/** Decodes 64-bit integers and bignums as BigInt, exactly; its results are narrowed to numbers. */
const exactOptions = { ...options, int64AsNumber: false };
const exactDecoder = new Decoder(exactOptions);

const NEGATIVE_INT64 = 0x3b;
const BIGNUM_TAG = 0xc2;
const NEGATIVE_BIGNUM_TAG = 0xc3;

/**
 * Whether a frame may hold what the fast decoder gets wrong: cbor-x's int64AsNumber mangles
 * negative 64-bit integers (-2^40 decodes as 0; kriszyp/cbor-x#143), and bignums come out as
 * BigInt, which the JSON codec cannot write when the router forwards them. The bytes may also
 * be text (";", UTF-8 "é"); such frames only take the slower exact path.
 */
function mayHoldBigIntegers(frame: Uint8Array): boolean {
  return frame.includes(NEGATIVE_INT64) || frame.includes(BIGNUM_TAG) || frame.includes(NEGATIVE_BIGNUM_TAG);
}

/** Replaces BigInts by numbers, in place (the decoded value is ours); the same rounding as int64AsNumber. */
function narrowBigIntegers(value: unknown, depth = 0): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value === null || typeof value !== 'object' || depth > 64 || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = narrowBigIntegers(value[i], depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    const dict = value as Record<string, unknown>;
    for (const key in dict) dict[key] = narrowBigIntegers(dict[key], depth + 1);
  }
  return value;
}

export const cborCodec: Codec = {
  name: 'cbor',
  subprotocol: 'wamp.2.cbor',
  binary: true,
  encode(wire) {
    return encoder.encode(widenLargeIntegers(wire));
  },
  decode(frame) {
    if (typeof frame === 'string') throw new TypeError('CBOR frames must be binary, got a text frame');
    if (mayHoldBigIntegers(frame)) return narrowBigIntegers(exactDecoder.decode(frame));
    return encoder.decode(frame);
  },
};
