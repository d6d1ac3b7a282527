import { codecByName, type Codec, type CodecName } from '../../codec/index.js';
import type { Encoder } from '../../protocol/envelope.js';

/**
 * One protocol a long-poll transport can speak: a serializer, unbatched ("wamp.2.json": one
 * message per request or answer) or batched ("wamp.2.json.batched": a request or answer carries a
 * whole batch), as the WAMP spec's long-poll section lists them (json, msgpack, cbor).
 */
export interface LongPollProtocol {
  /** "wamp.2.json", "wamp.2.msgpack.batched"... */
  readonly name: string;
  readonly codec: Codec;
  readonly batched: boolean;
  /** Content-Type of a `receive` answer. */
  readonly contentType: string;
  /** Encodes a message to bytes: binary codecs as they are, JSON as UTF-8. */
  readonly encoder: Encoder;
}

const contentTypes: Record<CodecName, string> = {
  json: 'application/json; charset=utf-8',
  msgpack: 'application/x-msgpack',
  cbor: 'application/cbor',
};

/**
 * JSON as UTF-8 bytes, memoized in the envelope under its own name: an EVENT fanned out to many
 * long-poll subscribers is encoded once. (WebSocket and RawSocket memoize whole frames of their
 * own, so a fan-out across transports encodes once per transport kind.)
 */
const jsonBytes: Encoder = {
  name: 'json+utf8',
  encode: (wire) => Buffer.from(codecByName('json').encode(wire) as string, 'utf8'),
};

function protocol(serializer: CodecName, batched: boolean): LongPollProtocol {
  const codec = codecByName(serializer);
  return {
    name: `${codec.subprotocol}${batched ? '.batched' : ''}`,
    codec,
    batched,
    contentType: contentTypes[serializer],
    encoder: codec.binary ? codec : jsonBytes,
  };
}

/** The protocols served for the configured serializers, batched variants first, in config order. */
export function longPollProtocols(serializers: readonly CodecName[]): LongPollProtocol[] {
  return serializers.flatMap((serializer) => [protocol(serializer, true), protocol(serializer, false)]);
}

/** The first of the client's offers (its order of preference decides) that we speak. */
export function chooseProtocol(offers: readonly string[], available: readonly LongPollProtocol[]): LongPollProtocol | undefined {
  for (const offer of offers) {
    const found = available.find((candidate) => candidate.name === offer);
    if (found) return found;
  }
  return undefined;
}
