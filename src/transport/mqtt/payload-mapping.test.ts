import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cborCodec, msgpackCodec } from '../../codec/index.js';
import { Envelope } from '../../protocol/envelope.js';
import { MessageType } from '../../protocol/codes.js';
import { PayloadMapping, PayloadRefusal } from './payload-mapping.js';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
const bytes = (value: string): Uint8Array => new Uint8Array(Buffer.from(value));

const mapping = new PayloadMapping({
  '': { type: 'native', serializer: 'json' },
  'raw.': { type: 'passthrough' },
  'plain.': { type: 'json' },
  'packed.': { type: 'native', serializer: 'msgpack' },
  'packed.cbor.': { type: 'native', serializer: 'cbor' },
}, 'test', 10);

describe('payload mapping by the longest WAMP URI prefix', () => {
  it('refuses a payload nested deeper than the router\'s max_nesting_depth, in every decoding format, naming the limit', () => {
    const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    // The payload is level 1, its "args" level 2: 8 more lists reach the limit of 10.
    assert.deepEqual(mapping.codecFor('x').toWamp(bytes(`{"args": [${nested(8)}]}`)).args.length, 1);
    for (const [uri, payload] of [
      ['x', bytes(`{"args": [${nested(9)}]}`)],
      ['plain.x', bytes(nested(11))],
      ['packed.x', Uint8Array.from([0x81, 0xa4, ...Buffer.from('args'), ...Array(20).fill(0x91), 0x90])],
      ['packed.cbor.x', Uint8Array.from([0xa1, 0x64, ...Buffer.from('args'), ...Array(20).fill(0x81), 0x80])],
    ] as const) {
      assert.throws(() => mapping.codecFor(uri).toWamp(payload), (error: Error) =>
        error instanceof PayloadRefusal && /more than 10 levels deep \(the router's max_nesting_depth\)/.test(error.message), uri);
    }
    assert.equal(mapping.codecFor('raw.x').toWamp(bytes(nested(50))).args.length, 1, 'passthrough bytes are not decoded');
  });

  it('native JSON: {"args", "kwargs"} both ways, with binary in WAMP\'s JSON convention', () => {
    const codec = mapping.codecFor('sensors.kitchen.temp');
    assert.deepEqual(codec.toWamp(bytes('{"args": [21.5], "kwargs": {"unit": "C"}}')), { args: [21.5], kwargs: { unit: 'C' } });
    assert.deepEqual(codec.toWamp(bytes('{"kwargs": {"on": true}}')), { args: [], kwargs: { on: true } });
    assert.deepEqual(codec.toWamp(bytes('{}')), { args: [] });
    assert.equal(text(codec.toMqtt([20], undefined)), '{"args":[20]}');
    assert.equal(text(codec.toMqtt([], { a: 1 })), '{"args":[],"kwargs":{"a":1}}');
    assert.equal(text(codec.toMqtt([new Uint8Array([1, 2])], undefined)), '{"args":["\\u0000AQI="]}');
  });

  it('native refuses, with the reason, what is not {"args": [...], "kwargs": {...}}', () => {
    const codec = mapping.codecFor('x');
    const refusals: [string, RegExp][] = [
      ['21.5', /must be an object/],
      ['{"args": 1}', /"args" of a native payload must be an array/],
      ['{"kwargs": []}', /"kwargs" of a native payload must be an object/],
      ['{"args": [], "retain": true}', /only "args", "kwargs" and the routing keys exclude, .*, not "retain"/],
      ['{"args": [], "eligible_authrole": "anonymous"}', /"eligible_authrole" of a native payload must be a list/],
      ['{"args": [1]', /not valid JSON/],
      ['1, 2', /not one JSON value/],
      ['', /not one JSON value/],
    ];
    for (const [payload, reason] of refusals) assert.throws(() => codec.toWamp(bytes(payload)), (error) => error instanceof PayloadRefusal && reason.test(error.message), payload);
    assert.throws(() => codec.toWamp(new Uint8Array([0xff, 0xfe])), /not valid UTF-8/);
  });

  it('native: Crossbar\'s routing keys become the publication\'s options, a null one none', () => {
    const codec = mapping.codecFor('x');
    assert.deepEqual(codec.toWamp(bytes('{"args": [1], "eligible_authrole": ["anonymous"], "exclude": [7], "exclude_authid": null}')),
      { args: [1], routing: { eligible_authrole: ['anonymous'], exclude: [7] } });
    assert.deepEqual(mapping.codecFor('packed.x').toWamp((msgpackCodec.encode([{ args: [], exclude_authid: ['bob'] }]) as Uint8Array).subarray(1)),
      { args: [], routing: { exclude_authid: ['bob'] } });
  });

  it('writes a publication without arguments or kwargs as zero bytes in every format: a retained topic\'s clear reaches live subscribers as MQTT sends it', () => {
    for (const uri of ['x', 'raw.x', 'plain.x', 'packed.x', 'packed.cbor.x']) {
      const codec = mapping.codecFor(uri);
      assert.equal(codec.toMqtt([], undefined).byteLength, 0, uri);
      assert.equal(codec.toMqtt(undefined, {}).byteLength, 0, uri);
      assert.ok(codec.toMqtt([], { a: 1 }).byteLength > 0, uri);
    }
  });

  it('native msgpack and cbor by the longest prefix', () => {
    const packed = mapping.codecFor('packed.temp');
    const cbor = mapping.codecFor('packed.cbor.temp');
    assert.notEqual(packed, cbor);
    const payload = packed.toMqtt([1, 'two'], { three: 3 });
    assert.deepEqual(msgpackCodec.decode(payload), { args: [1, 'two'], kwargs: { three: 3 } });
    assert.deepEqual(packed.toWamp(payload), { args: [1, 'two'], kwargs: { three: 3 } });
    const cborPayload = cbor.toMqtt([true], undefined);
    assert.deepEqual(cborCodec.decode(cborPayload), { args: [true] });
    assert.deepEqual(cbor.toWamp(cborPayload), { args: [true] });
    assert.throws(() => packed.toWamp(bytes('not msgpack at all, just text')), PayloadRefusal);
  });

  it('passthrough: the bytes are the single binary argument; one binary or string argument goes back as bytes', () => {
    const codec = mapping.codecFor('raw.camera');
    const raw = new Uint8Array([0, 1, 2, 255]);
    assert.deepEqual(codec.toWamp(raw), { args: [raw] });
    assert.deepEqual([...codec.toMqtt([raw], undefined)], [0, 1, 2, 255]);
    assert.equal(text(codec.toMqtt(['on'], undefined)), 'on');
    assert.equal(text(codec.toMqtt([1, 2], undefined)), '{"args":[1,2]}');
  });

  it('json: a plain JSON value is the single argument; one argument goes back as its JSON', () => {
    const codec = mapping.codecFor('plain.temp');
    assert.deepEqual(codec.toWamp(bytes('21.5')), { args: [21.5] });
    assert.deepEqual(codec.toWamp(bytes('{"args": [1]}')), { args: [{ args: [1] }] });
    assert.equal(text(codec.toMqtt([{ t: 20 }], undefined)), '{"t":20}');
    assert.equal(text(codec.toMqtt([1], { k: 2 })), '{"args":[1],"kwargs":{"k":2}}');
    assert.throws(() => codec.toWamp(bytes('nope')), /not valid JSON/);
  });

  it('an event is mapped once for every MQTT subscriber of the same format', () => {
    const envelope = new Envelope({ type: MessageType.EVENT, subscription: 1, publication: 2, details: {}, args: [20] });
    const encoder = mapping.encoderFor('home.setpoint');
    const first = envelope.encode(encoder);
    assert.equal(envelope.encode(mapping.encoderFor('home.other')), first);
    assert.equal(text(first as Uint8Array), '{"args":[20]}');
  });

  it('a retained event, sent in an envelope per joining subscriber with the same args, is mapped once; other args or kwargs are mapped anew', () => {
    const args = [20, 'x'.repeat(100)];
    const kwargs = { unit: 'C' };
    const event = (withArgs: unknown[] | undefined, withKwargs?: Record<string, unknown>, subscription = 1) => new Envelope({
      type: MessageType.EVENT, subscription, publication: 2, details: { retained: true }, ...(withArgs ? { args: withArgs } : {}), ...(withKwargs ? { kwargs: withKwargs } : {}),
    });
    for (const uri of ['home.setpoint', 'raw.camera', 'plain.reading', 'packed.x']) {
      const encoder = mapping.encoderFor(uri);
      const first = event(args, kwargs, 1).encode(encoder);
      assert.equal(event(args, kwargs, 2).encode(encoder), first, `${uri}: the same bytes for the next join`);
      // Equal content in another list, or other kwargs: mapped on their own, to what they say.
      const copy = event([...args], kwargs).encode(encoder);
      assert.notEqual(copy, first, uri);
      assert.deepEqual(copy, first, uri);
      // Each what the format makes of its own args and kwargs.
      const codec = mapping.codecFor(uri);
      assert.deepEqual(event(args, { unit: 'F' }).encode(encoder), codec.toMqtt(args, { unit: 'F' }), `${uri}: other kwargs`);
      assert.deepEqual(event(args).encode(encoder), codec.toMqtt(args, undefined), `${uri}: without kwargs`);
      assert.deepEqual(event(undefined, kwargs).encode(encoder), codec.toMqtt(undefined, kwargs), `${uri}: kwargs only`);
      assert.deepEqual(event(args, kwargs, 3).encode(encoder), codec.toMqtt(args, kwargs), `${uri}: the remembered bytes are still right`);
    }
  });

  it('a dynamic prefix is named by dynamicFor; its payloads are not mapped in turn (a will on it is refused)', () => {
    const dynamic = { type: 'dynamic' as const, encoder: 'e.x', decoder: 'd.x', realm: 'realm1' };
    const withDynamic = new PayloadMapping({ '': { type: 'native', serializer: 'json' }, 'dyn.': dynamic }, 'test', 10);
    assert.deepEqual(withDynamic.dynamicFor('dyn.a'), dynamic);
    assert.equal(withDynamic.dynamicFor('other.a'), undefined);
    assert.throws(() => withDynamic.codecFor('dyn.a').toWamp(bytes('{}')), (error: Error) =>
      error instanceof PayloadRefusal && /payload mapping is dynamic, and a will's payload is not passed to a decoder/.test(error.message));
    assert.deepEqual(withDynamic.codecFor('other.a').toWamp(bytes('{}')), { args: [] });
  });
});
