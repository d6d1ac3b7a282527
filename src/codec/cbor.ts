import { Encoder } from 'cbor-x';
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

export const cborCodec: Codec = {
  name: 'cbor',
  subprotocol: 'wamp.2.cbor',
  binary: true,
  encode(wire) {
    return encoder.encode(widenLargeIntegers(wire));
  },
  decode(frame) {
    if (typeof frame === 'string') throw new TypeError('CBOR frames must be binary, got a text frame');
    return encoder.decode(frame);
  },
};
