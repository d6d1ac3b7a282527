import type { Codec, CodecName } from './codec.js';
import { jsonCodec } from './json.js';
import { msgpackCodec } from './msgpack.js';
import { cborCodec, TaggedUint8Array } from './cbor.js';

export type { Codec, CodecName } from './codec.js';
export { jsonCodec, msgpackCodec, cborCodec, TaggedUint8Array };
export { jsonText } from './json.js';

export const allCodecs: readonly Codec[] = [jsonCodec, msgpackCodec, cborCodec];

export function codecByName(name: CodecName): Codec {
  return allCodecs.find((codec) => codec.name === name)!;
}

export function codecBySubprotocol(subprotocol: string): Codec | undefined {
  return allCodecs.find((codec) => codec.subprotocol === subprotocol);
}
