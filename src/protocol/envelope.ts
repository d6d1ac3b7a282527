import { messageTypeName } from './codes.js';
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
 * A message that one serializer cannot write: a payload nested too deeply for the encoder's
 * recursion, or a value the format cannot carry exactly (a bignum to MessagePack).
 */
export class EncodeError extends Error {
  /** Why, without the message type: "cannot be encoded as msgpack: the payload nests too deeply to encode". */
  readonly reason: string;

  constructor(
    readonly messageType: string,
    readonly serializer: string,
    cause: unknown,
  ) {
    const reason = `cannot be encoded as ${serializer}: ${describeCause(cause)}`;
    super(`${messageType} ${reason}`, { cause });
    this.name = 'EncodeError';
    this.reason = reason;
  }
}

function describeCause(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  return cause instanceof RangeError && text.includes('call stack') ? 'the payload nests too deeply to encode' : text;
}

/**
 * An outgoing message that memoizes its encoding per serializer: when one EVENT goes to a
 * thousand subscribers, the first transport to ask encodes it and the rest reuse the bytes.
 * A failure is memoized too: every asker gets the same EncodeError without encoding again.
 */
export class Envelope {
  private firstCodec: string | undefined;
  private firstFrame: EncodedFrame | undefined;
  private others: Map<string, EncodedFrame | EncodeError> | undefined;
  /**
   * The frame the last `encode` returned: a sender that wants to know what one send cost (session
   * statistics) clears it, hands the envelope to a transport, and reads what that transport encoded.
   */
  lastEncoded: EncodedFrame | undefined;
  /**
   * A session statistics report (wamp.session.on_stats): counted by the receiving session like any
   * message, but never the cause of a report about that session (which would report itself forever).
   */
  statsReport = false;

  constructor(readonly message: WampMessage) {}

  /** The frame in `encoder`'s format; throws EncodeError when the message cannot be written in it. */
  encode(encoder: Encoder): EncodedFrame {
    if (this.firstCodec === encoder.name) return (this.lastEncoded = this.firstFrame!);
    let frame = this.others?.get(encoder.name);
    if (frame === undefined) {
      frame = this.attempt(encoder);
      if (this.firstCodec === undefined && !(frame instanceof EncodeError)) {
        this.firstCodec = encoder.name;
        this.firstFrame = frame;
        return (this.lastEncoded = frame);
      }
      (this.others ??= new Map()).set(encoder.name, frame);
    }
    if (frame instanceof EncodeError) throw frame;
    return (this.lastEncoded = frame);
  }

  private attempt(encoder: Encoder): EncodedFrame | EncodeError {
    try {
      return encoder.encode(toWire(this.message));
    } catch (error) {
      const type = messageTypeName(this.message.type) ?? `message type ${this.message.type}`;
      // Transports memoize framed variants as "<codec>+<variant>" ("json+utf8"): report the codec.
      return new EncodeError(type, encoder.name.split('+')[0]!, error);
    }
  }
}
