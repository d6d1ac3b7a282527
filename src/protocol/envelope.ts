import { toWire, type WampMessage } from './messages.js';

/** A frame ready for a transport: text for text-based serializers, bytes for binary ones. */
export type EncodedFrame = string | Uint8Array;

/** The part of a serializer an envelope needs; codecs implement it, the router never imports them. */
export interface Encoder {
  /** Unique serializer name ("json", "msgpack", "cbor"): the key under which bytes are memoized. */
  readonly name: string;
  encode(wire: unknown[]): EncodedFrame;
}

/**
 * An outgoing message that memoizes its encoding per serializer: when one EVENT goes to a
 * thousand subscribers, the first transport to ask encodes it and the rest reuse the bytes.
 */
export class Envelope {
  private firstCodec: string | undefined;
  private firstFrame: EncodedFrame | undefined;
  private others: Map<string, EncodedFrame> | undefined;

  constructor(readonly message: WampMessage) {}

  encode(encoder: Encoder): EncodedFrame {
    if (this.firstCodec === encoder.name) return this.firstFrame!;
    if (this.firstCodec === undefined) {
      this.firstFrame = encoder.encode(toWire(this.message));
      this.firstCodec = encoder.name;
      return this.firstFrame;
    }
    this.others ??= new Map();
    let frame = this.others.get(encoder.name);
    if (frame === undefined) {
      frame = encoder.encode(toWire(this.message));
      this.others.set(encoder.name, frame);
    }
    return frame;
  }
}
