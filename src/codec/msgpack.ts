import { Packr } from 'msgpackr';
import type { Codec } from './codec.js';
import { widenLargeIntegers } from './widen.js';

const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: 'number',
  encodeUndefinedAsNil: true,
  // Smallest map header (fixmap for < 16 keys), as other WAMP peers and the WAMP test vectors
  // write it; without it msgpackr always writes map16 and throws on dicts of 65536+ keys.
  variableMapSize: true,
});

export const msgpackCodec: Codec = {
  name: 'msgpack',
  subprotocol: 'wamp.2.msgpack',
  binary: true,
  encode(wire) {
    return packr.pack(widenLargeIntegers(wire));
  },
  decode(frame) {
    if (typeof frame === 'string') throw new TypeError('MessagePack frames must be binary, got a text frame');
    return packr.unpack(frame);
  },
};
