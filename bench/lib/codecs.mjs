import { Packr } from 'msgpackr';
import { Encoder as CborEncoder } from 'cbor-x';

/**
 * The three serializers the load generators speak, built on the same libraries the router uses.
 * `encode` returns what ws.send takes; `decode` takes what ws delivers (a Buffer). The bench
 * payloads hold no binary values, so JSON needs no WAMP binary convention here.
 */

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });
// Routers may send integral values beyond 32 bits (here: whole-millisecond timestamps) as 64-bit
// integers; decode those as numbers, not BigInt, like the router itself does.
const cbor = new CborEncoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, int64AsNumber: true });

export const codecs = {
  json: {
    name: 'json',
    binary: false,
    encode: (value) => JSON.stringify(value),
    decode: (data) => JSON.parse(data.toString()),
  },
  msgpack: {
    name: 'msgpack',
    binary: true,
    encode: (value) => packr.pack(value),
    decode: (data) => packr.unpack(data),
  },
  cbor: {
    name: 'cbor',
    binary: true,
    encode: (value) => cbor.encode(value),
    decode: (data) => cbor.decode(data),
  },
};

export function codecNamed(name) {
  const codec = codecs[name];
  if (!codec) throw new Error(`unknown serializer "${name}" (expected json, msgpack or cbor)`);
  return codec;
}
