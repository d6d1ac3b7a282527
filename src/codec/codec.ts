import type { Encoder, EncodedFrame } from '../protocol/envelope.js';

export type CodecName = 'json' | 'msgpack' | 'cbor';

/** A WAMP serializer: wire array <-> frame. `decode` throws on bytes that are not its format. */
export interface Codec extends Encoder {
  readonly name: CodecName;
  /** The WebSocket subprotocol that selects it, e.g. "wamp.2.json". */
  readonly subprotocol: string;
  /** Whether frames are binary (msgpack, cbor) or text (json). */
  readonly binary: boolean;
  encode(wire: unknown[]): EncodedFrame;
  decode(frame: Uint8Array | string): unknown;
}
