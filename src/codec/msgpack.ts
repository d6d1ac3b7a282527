import { Packr } from 'msgpackr';
import type { Codec } from './codec.js';
import { mayHoldWideInt64 } from './integers.js';
import { widenLargeIntegers } from './widen.js';

const options = {
  useRecords: false,
  mapsAsObjects: true,
  // Exact only for integers within ±2^53; the frames that may hold wider ones use `exact`.
  int64AsType: 'number',
  encodeUndefinedAsNil: true,
  // Smallest map header (fixmap for < 16 keys), as other WAMP peers and the WAMP test vectors
  // write it; without it msgpackr always writes map16 and throws on dicts of 65536+ keys.
  variableMapSize: true,
} as const;
// A BigInt beyond 64 bits has no MessagePack form: pack throws, and the message is not sent.
const packr = new Packr(options);
/** 64-bit integers beyond ±2^53 decode as BigInt, the rest as numbers (integers.ts). */
const exact = new Packr({ ...options, int64AsType: 'auto' } as unknown as ConstructorParameters<typeof Packr>[0]);

const UINT64 = 0xcf;
const INT64 = 0xd3;

export const msgpackCodec: Codec = {
  name: 'msgpack',
  subprotocol: 'wamp.2.msgpack',
  binary: true,
  encode(wire) {
    try {
      return packr.pack(widenLargeIntegers(wire));
    } catch (error) {
      // msgpackr's own text suggests its options; peers and logs need the reason.
      const tooLarge = error instanceof RangeError && /^(-?\d+) was too large to fit in MessagePack/.exec(error.message);
      if (tooLarge) throw new RangeError(`the integer ${tooLarge[1]} is beyond 64 bits, which MessagePack cannot carry`);
      throw error;
    }
  },
  decode(frame) {
    if (typeof frame === 'string') throw new TypeError('MessagePack frames must be binary, got a text frame');
    const wide = mayHoldWideInt64(frame, UINT64, false) || mayHoldWideInt64(frame, INT64, true);
    return (wide ? exact : packr).unpack(frame);
  },
};
