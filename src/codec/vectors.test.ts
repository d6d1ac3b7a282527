/**
 * The WAMP project's conformance vectors (test/fixtures/wamp-test-vectors): every sample's bytes,
 * in each serializer we support, must decode and parse to the message the vector describes,
 * survive re-encoding in all three of our codecs, and our own encoding must be one of the listed
 * byte representations.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { allCodecs, codecByName, type Codec, type CodecName } from './index.js';
import { MessageType, parseMessage, toWire, type MessageTypeName, type WampMessage } from '../protocol/index.js';
import { plainBytes } from '../../test/support/bytes.js';
import {
  isSerializationSample,
  loadVectors,
  representationBytes,
  type SerializationSample,
  type SerializedBytes,
  type ValidationSample,
} from '../../test/support/vectors.js';

const { single, multi } = loadVectors();
const ourSerializers = new Set<string>(allCodecs.map((codec) => codec.name));

/** Vector attribute names (Autobahn's) that differ from our typed message fields. */
const fieldNames: Record<string, string> = {
  request_id: 'request',
  publication_id: 'publication',
  subscription_id: 'subscription',
  registration_id: 'registration',
  session_id: 'session',
  request_type: 'requestType',
  method: 'authMethod',
};
/** Attributes that are our field names already. */
const sameNames = new Set([
  'realm', 'details', 'options', 'extra', 'reason', 'error', 'topic', 'procedure', 'signature',
  'subscription', 'publication', 'args', 'kwargs', 'payload',
]);

/**
 * Message types in the vectors that Junction does not implement, with their wire layout: the
 * codecs must still carry them faithfully, and the parser must refuse them by their code.
 */
const unimplemented: Record<string, { why: string; fields: string[] }> = {
  EVENT_RECEIVED: { why: 'provisional (code 337), not in the spec yet', fields: ['publication_id'] },
};

/** The typed message a vector describes, from its type name and attributes; unknown attributes fail loudly. */
function describedMessage(typeName: string, attributes: Record<string, unknown>): WampMessage {
  const type = MessageType[typeName as MessageTypeName];
  assert.ok(type !== undefined, `unknown message type ${typeName}`);
  const message: Record<string, unknown> = { type };
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'message_type' || name === 'type') continue;
    if (value === null) continue; // "args": null and the like: the element is absent
    if (name === 'roles') {
      // HELLO/WELCOME: Autobahn exposes Details.roles as an attribute of the message.
      message.details = { ...(message.details as object | undefined), roles: value };
    } else if (name === 'payload') {
      message.payload = new Uint8Array(Buffer.from(value as string, 'hex'));
    } else if (fieldNames[name]) {
      message[fieldNames[name]] = value;
    } else if (sameNames.has(name)) {
      message[name] = name === 'details' ? { ...(value as object), ...(message.details as object | undefined) } : value;
    } else {
      assert.fail(`attribute "${name}" of ${typeName} has no field in our messages`);
    }
  }
  if (attributes.message_type !== undefined) assert.equal(attributes.message_type, type, 'message_type');
  return message as unknown as WampMessage;
}


function frameOf(codec: Codec, representation: SerializedBytes): string | Uint8Array {
  const bytes = representationBytes(representation);
  if (codec.binary) return bytes;
  const text = new TextDecoder().decode(bytes);
  if (representation.bytes !== undefined) assert.equal(text, representation.bytes, 'bytes and bytes_hex disagree');
  return text;
}

function bytesOf(frame: string | Uint8Array): Uint8Array {
  return typeof frame === 'string' ? new TextEncoder().encode(frame) : frame;
}

/**
 * Byte equality, except that msgpackr writes positive 64-bit integers as int64 (0xd3) where
 * msgpack-python writes uint64 (0xcf); for values below 2^63 both mean the same number to any decoder.
 */
function sameBytes(codec: CodecName, ours: Uint8Array, theirs: Uint8Array): boolean {
  if (ours.length !== theirs.length) return false;
  for (let i = 0; i < ours.length; i++) {
    if (ours[i] === theirs[i]) continue;
    if (codec === 'msgpack' && ours[i] === 0xd3 && theirs[i] === 0xcf && ours[i + 1]! < 0x80) continue;
    return false;
  }
  return true;
}

/** Checks one serialization sample; returns how many byte representations were checked. */
function checkSerializationSample(typeName: string, sample: SerializationSample): number {
  const expected = describedMessage(typeName, sample.expected_attributes);
  let checked = 0;
  for (const [serializer, representations] of Object.entries(sample.serializers)) {
    if (!ourSerializers.has(serializer)) continue; // ubjson, flatbuffers: not ours
    const codec = codecByName(serializer as CodecName);
    // Serializing, our bytes must be one of those listed. Encode what we parsed, not the expected
    // attributes, since those may list dict keys in another order than the bytes do.
    let reproduced = false;
    const ourFrames: string[] = [];
    for (const representation of representations) {
      const where = `${serializer} ${representation.note ?? ''}`;
      const parsed = parseMessage(codec.decode(frameOf(codec, representation)));
      assert.ok(parsed.ok, `${where}: ${!parsed.ok && parsed.error}`);
      assert.deepStrictEqual(plainBytes(parsed.message), plainBytes(expected), where);
      for (const other of allCodecs) {
        const again = parseMessage(other.decode(other.encode(toWire(parsed.message))));
        assert.ok(again.ok, `${where} re-encoded as ${other.name}: ${!again.ok && again.error}`);
        assert.deepStrictEqual(plainBytes(again.message), plainBytes(expected), `${where} re-encoded as ${other.name}`);
      }
      const ours = bytesOf(codec.encode(toWire(parsed.message)));
      reproduced ||= representations.some((listed) => sameBytes(codec.name, ours, representationBytes(listed)));
      ourFrames.push(Buffer.from(ours).toString('hex'));
      checked++;
    }
    assert.ok(reproduced, `${serializer}: our bytes (${ourFrames.join(', ')}) are none of the listed ones`);
  }
  return checked;
}

/** For a type we do not implement: every codec carries the wire array, and the parser refuses it by code. */
function checkUnimplementedSample(typeName: string, sample: SerializationSample): number {
  const { fields } = unimplemented[typeName]!;
  const code = sample.expected_attributes.message_type;
  const wire = [code, ...fields.map((field) => sample.expected_attributes[field])];
  let checked = 0;
  for (const [serializer, representations] of Object.entries(sample.serializers)) {
    if (!ourSerializers.has(serializer)) continue;
    const codec = codecByName(serializer as CodecName);
    for (const representation of representations) {
      const decoded = codec.decode(frameOf(codec, representation));
      assert.deepStrictEqual(decoded, wire, serializer);
      for (const other of allCodecs) assert.deepStrictEqual(other.decode(other.encode(wire)), wire, `${serializer} via ${other.name}`);
      const parsed = parseMessage(decoded);
      assert.ok(!parsed.ok && parsed.error.includes(String(code)), `${typeName} was not refused by its code`);
      checked++;
    }
  }
  return checked;
}

/**
 * Validation samples write binary payloads as hex text (their wmsg is JSON); in a passthru
 * message, turn the payload back into the bytes it stands for.
 */
function wireOfValidationSample(sample: ValidationSample): unknown[] {
  const wire = sample.wmsg.slice();
  const last = wire[wire.length - 1];
  const dict = wire.find((element) => element !== null && typeof element === 'object' && !Array.isArray(element)) as
    | Record<string, unknown>
    | undefined;
  if (typeof last === 'string' && dict && (typeof dict.enc_algo === 'string' || typeof dict.ppt_scheme === 'string')) {
    wire[wire.length - 1] = new Uint8Array(Buffer.from(last, 'hex'));
  }
  return wire;
}

for (const vector of single) {
  describe(vector.file, () => {
    let checked = 0;
    const serialization = vector.samples.filter(isSerializationSample);
    const validation = vector.samples.filter((sample): sample is ValidationSample => !isSerializationSample(sample));
    const why = unimplemented[vector.wamp_message_type]?.why;

    for (const sample of serialization) {
      test(why ? `${sample.description} (refused: ${why})` : sample.description, () => {
        checked += why
          ? checkUnimplementedSample(vector.wamp_message_type, sample)
          : checkSerializationSample(vector.wamp_message_type, sample);
      });
    }

    // Samples that must be accepted must parse. Samples that must be rejected test the types of
    // individual Options/Details keys (e.g. "acknowledge" must be a bool): parseMessage checks the
    // message's shape only, so those are for whoever reads the options (the router's broker/dealer).
    const accepted = validation.filter((sample) => !sample.expected_error);
    if (accepted.length > 0) {
      test(`${accepted.length} validation samples that must be accepted parse`, () => {
        for (const sample of accepted) {
          const wire = wireOfValidationSample(sample);
          const parsed = parseMessage(wire);
          assert.ok(parsed.ok, `${sample.description}: ${!parsed.ok && parsed.error}`);
          assert.deepStrictEqual(toWire(parsed.message), wire, sample.description);
          checked++;
        }
      });
    }

    test('yields checked samples', (t) => {
      const rejected = validation.length - accepted.length;
      if (rejected > 0) t.diagnostic(`${rejected} option-validation samples are left to the router`);
      assert.ok(checked > 0, `${vector.file}: no sample was checked`);
    });
  });
}

for (const vector of multi) {
  describe(vector.file, () => {
    let checked = 0;
    for (const { step, description, message } of vector.sequence) {
      test(`step ${step}: ${description}`, () => {
        const expected = describedMessage(message.type, message);
        for (const codec of allCodecs) {
          const parsed = parseMessage(codec.decode(codec.encode(toWire(expected))));
          assert.ok(parsed.ok, `${codec.name}: ${!parsed.ok && parsed.error}`);
          assert.deepStrictEqual(parsed.message, expected, codec.name);
        }
        checked++;
      });
    }

    test('yields checked samples', () => {
      assert.ok(checked > 0, `${vector.file}: no step was checked`);
    });
  });
}

test('the vectors cover every message type we implement', () => {
  const covered = new Set(single.map((vector) => vector.wamp_message_type));
  for (const name of Object.keys(MessageType)) assert.ok(covered.has(name), `no vector for ${name}`);
});
