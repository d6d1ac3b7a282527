/**
 * MQTT payloads <-> WAMP publications, by the longest WAMP URI prefix in `payload_mapping`:
 *
 * - native: the payload is {"args": [...], "kwargs": {...}} in the named serializer (both keys
 *   optional), both ways; from MQTT it may also carry Crossbar's routing keys (exclude, eligible...).
 *   Anything else is refused (the MQTT 5 client learns why).
 * - passthrough: the payload travels untouched as one binary argument, args = [bytes]. A WAMP
 *   publication reaches MQTT as raw bytes when its args are one binary value or one string
 *   (written as UTF-8) and it has no kwargs; any other shape is sent in the native JSON form.
 * - json (Junction extension): the payload is one JSON value, the single argument, args = [value];
 *   a WAMP publication with exactly one argument and no kwargs is sent as that value's JSON, any
 *   other shape in the native JSON form.
 *
 * In every format a publication without arguments or kwargs reaches MQTT as an empty payload:
 * that is an MQTT clear of a retained topic (an empty retained payload, read as no arguments),
 * which MQTT delivers to live subscribers as it came, zero bytes.
 */

import { codecByName, type Codec } from '../../codec/index.js';
import { nestsDeeperThan, tooDeepMessage } from '../../codec/nesting.js';
import type { MqttPayloadFormat } from '../../config/model.js';
import type { EncodedFrame, Encoder } from '../../protocol/envelope.js';
import type { Args, Dict } from '../../protocol/messages.js';

export interface WampPayload {
  args: Args;
  kwargs?: Dict;
  /** Crossbar's native routing keys (exclude, eligible...): PUBLISH options, checked by the router as a WAMP client's. */
  routing?: Dict;
}

/**
 * Keys a Crossbar native payload (or a dynamic decoder's answer) may carry besides args and kwargs:
 * who receives the publication, as the WAMP PUBLISH options of the same names.
 */
const routingKeys: ReadonlySet<string> = new Set(['exclude', 'exclude_authid', 'exclude_authrole', 'eligible', 'eligible_authid', 'eligible_authrole']);

/** The payload does not read in the topic's format: the text says why (MQTT 5 reason string, log). */
export class PayloadRefusal extends Error {}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const json = codecByName('json');

function bytesOf(frame: EncodedFrame): Uint8Array {
  return typeof frame === 'string' ? utf8.encode(frame) : frame;
}

/**
 * The codecs encode WAMP's wire arrays; a native payload is one object, so it is written as the
 * single element of an array and that array's brackets are taken off (JSON) or read back from
 * its first element (msgpack, cbor decode a one-element array).
 */
function encodeValue(codec: Codec, value: unknown): Uint8Array {
  if (codec.name === 'json') {
    const text = codec.encode([value]) as string;
    return utf8.encode(text.slice(1, -1));
  }
  return encodeBinaryValue(codec, value);
}

function encodeBinaryValue(codec: Codec, value: unknown): Uint8Array {
  // msgpack/cbor: a one-element array is a 1-byte header (0x91 / 0x81) before the element.
  const framed = bytesOf(codec.encode([value]));
  return framed.subarray(1);
}

/** Decodes a payload, refusing one nested deeper than the router's max_nesting_depth (as every door does). */
function decodeValue(codec: Codec, payload: Uint8Array, maxNestingDepth: number): unknown {
  const value = decodeAny(codec, payload);
  if (nestsDeeperThan(value, maxNestingDepth, payload.length)) throw new PayloadRefusal(tooDeepMessage(maxNestingDepth));
  return value;
}

function decodeAny(codec: Codec, payload: Uint8Array): unknown {
  if (codec.name === 'json') {
    let text: string;
    try {
      text = strictUtf8.decode(payload);
    } catch {
      throw new PayloadRefusal('the payload is not valid UTF-8, so it cannot be JSON');
    }
    let values: unknown[];
    try {
      // Wrapped so that the codec's binary convention applies; "1,2" would read as two values.
      values = codec.decode(`[${text}]`) as unknown[];
    } catch {
      throw new PayloadRefusal('the payload is not valid JSON');
    }
    if (values.length !== 1) throw new PayloadRefusal('the payload is not one JSON value');
    return values[0];
  }
  try {
    return codec.decode(payload);
  } catch {
    throw new PayloadRefusal(`the payload is not valid ${codec.name}`);
  }
}

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/**
 * {"args": [...], "kwargs": {...}} -> args/kwargs, with Crossbar's routing keys (each a list, or
 * null for none) as PUBLISH options; any other key or type is refused.
 */
export function readNative(value: unknown, serializer: string): WampPayload {
  if (!isDict(value)) throw new PayloadRefusal(`a native ${serializer} payload must be an object {"args": [...], "kwargs": {...}}`);
  const extra = Object.keys(value).filter((key) => key !== 'args' && key !== 'kwargs' && !routingKeys.has(key));
  if (extra.length > 0) {
    throw new PayloadRefusal(`a native payload has only "args", "kwargs" and the routing keys ${[...routingKeys].join(', ')}, not ${extra.map((key) => `"${key}"`).join(', ')}`);
  }
  const { args = [], kwargs } = value;
  if (!Array.isArray(args)) throw new PayloadRefusal('"args" of a native payload must be an array');
  if (kwargs !== undefined && !isDict(kwargs)) throw new PayloadRefusal('"kwargs" of a native payload must be an object');
  const payload: WampPayload = kwargs === undefined ? { args } : { args, kwargs };
  const routing = routingOf(value);
  if (routing !== undefined) payload.routing = routing;
  return payload;
}

/** The routing keys present (null ones left out, as Crossbar does); undefined when none is. */
function routingOf(value: Dict): Dict | undefined {
  let routing: Dict | undefined;
  for (const key of routingKeys) {
    const list = value[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw new PayloadRefusal(`"${key}" of a native payload must be a list`);
    (routing ??= {})[key] = list;
  }
  return routing;
}

function nativeValue(args: Args | undefined, kwargs: Dict | undefined): Dict {
  const value: Dict = { args: args ?? [] };
  if (kwargs !== undefined && Object.keys(kwargs).length > 0) value.kwargs = kwargs;
  return value;
}

function hasNoKwargs(kwargs: Dict | undefined): boolean {
  return kwargs === undefined || Object.keys(kwargs).length === 0;
}

/** Mapped by procedures that the router calls (dynamic-codec.ts). */
export type DynamicFormat = Extract<MqttPayloadFormat, { type: 'dynamic' }>;

/** The formats mapped here, in the router's turn. */
type StaticFormat = Exclude<MqttPayloadFormat, DynamicFormat>;

/** One format's two directions. */
export interface PayloadCodec {
  readonly format: StaticFormat;
  /** MQTT payload -> WAMP args/kwargs, or PayloadRefusal. */
  toWamp(payload: Uint8Array): WampPayload;
  /** WAMP args/kwargs -> MQTT payload. Never fails: a shape the format cannot carry goes in the native JSON form. */
  toMqtt(args: Args | undefined, kwargs: Dict | undefined): Uint8Array;
}

const EMPTY_PAYLOAD = new Uint8Array(0);

function carriesNothing(args: Args | undefined, kwargs: Dict | undefined): boolean {
  return (args === undefined || args.length === 0) && hasNoKwargs(kwargs);
}

/** The format's codec, with "nothing" (no arguments, no kwargs) written as zero bytes whatever the format. */
function payloadCodec(format: StaticFormat, maxNestingDepth: number): PayloadCodec {
  const codec = formatCodec(format, maxNestingDepth);
  return { format, toWamp: codec.toWamp, toMqtt: (args, kwargs) => (carriesNothing(args, kwargs) ? EMPTY_PAYLOAD : codec.toMqtt(args, kwargs)) };
}

function formatCodec(format: StaticFormat, maxNestingDepth: number): PayloadCodec {
  switch (format.type) {
    case 'native': {
      const codec = codecByName(format.serializer);
      return {
        format,
        toWamp: (payload) => readNative(decodeValue(codec, payload, maxNestingDepth), format.serializer),
        toMqtt: (args, kwargs) => encodeValue(codec, nativeValue(args, kwargs)),
      };
    }
    case 'passthrough':
      return {
        format,
        toWamp: (payload) => ({ args: [payload] }),
        toMqtt: (args, kwargs) => {
          const only = args?.length === 1 && hasNoKwargs(kwargs) ? args[0] : undefined;
          if (ArrayBuffer.isView(only)) return new Uint8Array(only.buffer, only.byteOffset, only.byteLength);
          if (typeof only === 'string') return utf8.encode(only);
          return encodeValue(json, nativeValue(args, kwargs));
        },
      };
    case 'json':
      return {
        format,
        toWamp: (payload) => ({ args: [decodeValue(json, payload, maxNestingDepth)] }),
        toMqtt: (args, kwargs) =>
          encodeValue(json, args?.length === 1 && hasNoKwargs(kwargs) ? args[0] : nativeValue(args, kwargs)),
      };
  }
}

/**
 * `codec.toMqtt`, remembering the bytes by the args list they were made from (and its kwargs) for
 * as long as that list lives. An event's envelope already maps it once for all its subscribers;
 * a retained event reaches each joining subscriber in an envelope of its own, with the args the
 * router keeps for it, and was mapped again for every join: a quarter of the router's CPU for
 * 1,000 retained 2 KiB topics (bench/RESULTS.md). Events are never changed once published.
 */
function mappedOncePerArgs(codec: PayloadCodec): PayloadCodec['toMqtt'] {
  const byArgs = new WeakMap<Args, { kwargs: Dict | undefined; bytes: Uint8Array }>();
  return (args, kwargs) => {
    if (args === undefined) return codec.toMqtt(args, kwargs);
    const known = byArgs.get(args);
    if (known !== undefined && known.kwargs === kwargs) return known.bytes;
    const bytes = codec.toMqtt(args, kwargs);
    byArgs.set(args, { kwargs, bytes });
    return bytes;
  };
}

/** The mapping of one MQTT transport: formats by WAMP URI prefix, the longest prefix first. */
export class PayloadMapping {
  private readonly rules: ({ prefix: string; dynamic: DynamicFormat } | { prefix: string; codec: PayloadCodec; encoder: Encoder })[];

  /**
   * `scope` makes encoder names unique across transports: events memoize their bytes under them.
   * `maxNestingDepth`: the router's limit on decoded payloads (the payload itself is one level).
   */
  constructor(mapping: Record<string, MqttPayloadFormat>, scope: string, maxNestingDepth: number) {
    this.rules = Object.entries(mapping)
      .sort(([a], [b]) => b.length - a.length)
      .map(([prefix, format]) => {
        if (format.type === 'dynamic') return { prefix, dynamic: format };
        const codec = payloadCodec(format, maxNestingDepth);
        const toMqtt = mappedOncePerArgs(codec);
        // An EVENT's wire form is [36, subscription, publication, details, args?, kwargs?].
        const encoder: Encoder = { name: `mqtt:${scope}:${prefix}`, encode: (wire) => toMqtt(wire[4] as Args | undefined, wire[5] as Dict | undefined) };
        return { prefix, codec, encoder };
      });
    if (!this.rules.some((rule) => rule.prefix === '')) throw new Error('a payload mapping needs a format for the prefix ""');
  }

  /** The topic's dynamic format, when procedures map it (then codecFor and encoderFor do not apply). */
  dynamicFor(uri: string): DynamicFormat | undefined {
    const rule = this.ruleFor(uri);
    return 'dynamic' in rule ? rule.dynamic : undefined;
  }

  /** The format of a WAMP topic (its longest matching prefix); a dynamic one is refused (a will is mapped at CONNECT, without a call). */
  codecFor(uri: string): PayloadCodec {
    const rule = this.ruleFor(uri);
    if ('dynamic' in rule) throw new PayloadRefusal(`the topic's payload mapping is dynamic, and a will's payload is not passed to a decoder`);
    return rule.codec;
  }

  /** An encoder for events on `uri`: one event delivered to many MQTT clients is mapped once. Only for topics without a dynamic format. */
  encoderFor(uri: string): Encoder {
    const rule = this.ruleFor(uri);
    if ('dynamic' in rule) throw new Error(`events on "${uri}" are encoded by ${rule.dynamic.encoder}, not in turn`);
    return rule.encoder;
  }

  private ruleFor(uri: string) {
    return this.rules.find((rule) => uri.startsWith(rule.prefix))!;
  }
}
