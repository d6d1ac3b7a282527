import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { allCodecs, cborCodec, codecByName, codecBySubprotocol, jsonCodec, msgpackCodec, TaggedUint8Array, type Codec } from './index.js';
import { mayHoldWideInt64 } from './integers.js';
import { widenLargeIntegers } from './widen.js';
import { parseMessage, toWire, type WampMessage } from '../protocol/index.js';
import { plainBytes } from '../../test/support/bytes.js';

const MAX_ID = 2 ** 53;


function hex(frame: string | Uint8Array): string {
  assert.ok(frame instanceof Uint8Array, 'expected a binary frame');
  return Buffer.from(frame).toString('hex');
}

function roundTrip(codec: Codec, wire: unknown[]): unknown {
  return codec.decode(codec.encode(wire));
}

const bytes = (...values: number[]) => new Uint8Array(values);

/** One message of every type, with the payload shapes that matter to serializers. */
const messages: WampMessage[] = [
  { type: 1, realm: 'realm1', details: { roles: { caller: { features: { progressive_call_results: true } } } } },
  { type: 2, session: MAX_ID, details: { authid: 'alice', roles: { broker: {}, dealer: {} } } },
  { type: 3, details: { message: 'bye' }, reason: 'wamp.error.no_such_realm' },
  { type: 4, authMethod: 'wampcra', extra: { challenge: 'x', salt: 'y', iterations: 1000, keylen: 32 } },
  { type: 5, signature: 'c2ln', extra: {} },
  { type: 6, details: {}, reason: 'wamp.close.normal' },
  { type: 8, requestType: 48, request: 2 ** 32, details: {}, error: 'app.error', args: ['why'], kwargs: { code: -1 } },
  { type: 16, request: 1, options: { acknowledge: true, exclude: [2 ** 40, 5] }, topic: 'com.app.topic' },
  { type: 16, request: 2, options: {}, topic: 'com.app.topic', args: [1, 2.5, -3, null, true, 'x', [], {}] },
  { type: 16, request: 3, options: { ppt_scheme: 'wamp', ppt_serializer: 'cbor' }, topic: 'com.app.e2e', payload: bytes(1, 2, 3) },
  { type: 17, request: 1, publication: MAX_ID - 1 },
  { type: 32, request: 4, options: { match: 'prefix' }, topic: 'com.app' },
  { type: 33, request: 4, subscription: 0xffffffff },
  { type: 34, request: 5, subscription: 0xffffffff + 1 },
  { type: 35, request: 5 },
  { type: 35, request: 0, details: { subscription: 7, reason: 'revoked' } },
  { type: 36, subscription: 7, publication: 9007199254740000, details: { topic: 'com.app.x' }, args: ['ü€😀'], kwargs: { n: 1 } },
  { type: 48, request: 6, options: { receive_progress: true }, procedure: 'com.app.add', args: [2, 3] },
  { type: 49, request: 6, options: { mode: 'kill' } },
  { type: 50, request: 6, details: {}, args: [5] },
  { type: 64, request: 7, options: { invoke: 'roundrobin' }, procedure: 'com.app.add' },
  { type: 65, request: 7, registration: 2 ** 31 },
  { type: 66, request: 8, registration: 2 ** 31 },
  { type: 67, request: 8 },
  { type: 68, request: 9, registration: 2 ** 31, details: { caller: MAX_ID }, args: [bytes(0, 255)], kwargs: { blob: bytes() } },
  { type: 69, request: 9, options: { mode: 'killnowait' } },
  { type: 70, request: 9, options: { progress: true }, args: [{ nested: [{ deeper: bytes(7) }] }] },
];

/** Bytes the binary codecs must write for an unsigned integer: msgpack uint/int64 or CBOR major type 0. */
const integerEncodings: [value: number, msgpack: string[], cbor: string][] = [
  [0xffffffff, ['ceffffffff'], '1affffffff'],
  [2 ** 32, ['cf0000000100000000', 'd30000000100000000'], '1b0000000100000000'],
  [5512315355, ['cf00000001488f41db', 'd300000001488f41db'], '1b00000001488f41db'],
  [MAX_ID - 1, ['cf001fffffffffffff', 'd3001fffffffffffff'], '1b001fffffffffffff'],
  [MAX_ID, ['cf0020000000000000', 'd30020000000000000'], '1b0020000000000000'],
];

/** Bytes that are not a frame of the codec's format. */
const garbage: Record<Codec['name'], (string | Uint8Array)[]> = {
  json: ['not json', '[16, 1, {}', '[1] [2]', bytes(0xff, 0xfe, 0x5b, 0x5d)],
  msgpack: [bytes(), bytes(0x92, 0x01), bytes(0x91, 0x01, 0x02), bytes(0xa5, 0x61), bytes(0xd4, 0x05, 0x01)],
  cbor: [bytes(), bytes(0x82, 0x01), bytes(0x81, 0x01, 0x02), bytes(0x1c), bytes(0x65, 0x61)],
};

/** The behaviour every codec must share, run once per codec (one suite, three implementations). */
function codecSuite(codec: Codec): void {
  describe(`${codec.name} codec`, () => {
    test('every message type survives encode, decode and parse', () => {
      for (const message of messages) {
        const parsed = parseMessage(roundTrip(codec, toWire(message)));
        assert.ok(parsed.ok, `${JSON.stringify(toWire(message), (_k, v) => (v instanceof Uint8Array ? [...v] : v))}: ${!parsed.ok && parsed.error}`);
        assert.deepStrictEqual(plainBytes(parsed.message), plainBytes(message));
      }
    });

    test('frames are text or binary as announced', () => {
      for (const message of messages) {
        const frame = codec.encode(toWire(message));
        assert.equal(typeof frame === 'string', !codec.binary);
      }
    });

    test('binary values come back as bytes in args, kwargs and nested containers', () => {
      const wire = [36, 1, 2, {}, [bytes(1, 2, 3), [bytes(4)], { deep: bytes() }], { k: bytes(250, 251), list: [bytes(9)] }];
      const back = roundTrip(codec, wire) as unknown[];
      const args = back[4] as unknown[];
      const kwargs = back[5] as Record<string, unknown>;
      assert.ok(args[0] instanceof Uint8Array && kwargs.k instanceof Uint8Array);
      assert.deepStrictEqual(plainBytes(back), wire);
    });

    test('a view into a larger buffer sends only its own bytes', () => {
      const backing = bytes(0, 1, 2, 3, 4, 5, 6, 7);
      const view = backing.subarray(2, 5);
      const nodeBuffer = Buffer.from([8, 9]);
      const back = roundTrip(codec, [50, 1, {}, [view, nodeBuffer]]) as unknown[];
      assert.deepStrictEqual(plainBytes(back[3]), [bytes(2, 3, 4), bytes(8, 9)]);
    });

    test('IDs up to 2^53 come back as the same numbers', () => {
      for (const [id] of integerEncodings) {
        const back = roundTrip(codec, [17, id, id]) as unknown[];
        assert.deepStrictEqual(back, [17, id, id]);
      }
    });

    test('non-integers and negative integers keep their values', () => {
      const values = [0.5, -1.25, 1e300, -1, -(2 ** 31), -(2 ** 40), -MAX_ID, 0];
      assert.deepStrictEqual(roundTrip(codec, [50, 1, {}, values]), [50, 1, {}, values]);
    });

    test('text survives: unicode, a NUL inside a string, an empty string', () => {
      const texts = ['ü€😀', 'a\u0000b', '', '\\u0000AQID'];
      assert.deepStrictEqual(roundTrip(codec, [50, 1, {}, texts]), [50, 1, {}, texts]);
    });

    test('a dict of 70000 keys round-trips', () => {
      const big = Object.fromEntries(Array.from({ length: 70_000 }, (_, i) => [`k${i}`, i]));
      assert.deepStrictEqual(roundTrip(codec, [50, 1, {}, [], big]), [50, 1, {}, [], big]);
    });

    test('decoding garbage throws', () => {
      for (const frame of garbage[codec.name]) {
        assert.throws(() => codec.decode(frame), Error, `accepted ${typeof frame === 'string' ? frame : hex(frame)}`);
      }
    });

    test('encoding does not modify the message', () => {
      const wire = [36, 1, MAX_ID, { publisher: 2 ** 40 }, [2 ** 33, bytes(1)], { n: [MAX_ID] }];
      const snapshot = [36, 1, MAX_ID, { publisher: 2 ** 40 }, [2 ** 33, bytes(1)], { n: [MAX_ID] }];
      codec.encode(wire);
      assert.deepStrictEqual(wire, snapshot);
    });
  });
}

for (const codec of allCodecs) codecSuite(codec);

describe('codec lookup', () => {
  test('by WebSocket subprotocol and by name', () => {
    assert.equal(codecBySubprotocol('wamp.2.json'), jsonCodec);
    assert.equal(codecBySubprotocol('wamp.2.msgpack'), msgpackCodec);
    assert.equal(codecBySubprotocol('wamp.2.cbor'), cborCodec);
    assert.equal(codecBySubprotocol('wamp.2.ubjson'), undefined);
    assert.equal(codecByName('cbor'), cborCodec);
    assert.deepEqual(allCodecs.map((codec) => [codec.name, codec.binary]), [['json', false], ['msgpack', true], ['cbor', true]]);
  });
});

describe('json codec: WAMP binary convention', () => {
  test('writes bytes as a NUL followed by base64', () => {
    const frame = jsonCodec.encode([16, 1, {}, 'com.app.topic', [bytes(1, 2, 3)], { b: bytes(0xff) }]);
    assert.equal(frame, '[16,1,{},"com.app.topic",["\\u0000AQID"],{"b":"\\u0000/w=="}]');
  });

  test('reads NUL-prefixed strings as bytes and leaves other strings alone', () => {
    const back = jsonCodec.decode('[50,1,{},["\\u0000AQID","a\\u0000b","plain"]]') as unknown[];
    assert.deepStrictEqual(back, [50, 1, {}, [bytes(1, 2, 3), 'a\u0000b', 'plain']]);
  });

  test('reads a UTF-8 binary frame like a text frame', () => {
    assert.deepStrictEqual(jsonCodec.decode(new TextEncoder().encode('[6,{},"wamp.close.normal"]')), [6, {}, 'wamp.close.normal']);
  });
});

describe('binary codecs: integers are written as integers', () => {
  // Autobahn|Python rejects an ID that arrives as a float (msgpack 0xcb, CBOR 0xfb).
  for (const [value, msgpack, cbor] of integerEncodings) {
    test(`${value}`, () => {
      const packed = hex(msgpackCodec.encode([17, 1, value]));
      assert.equal(packed.slice(0, 6), '931101');
      assert.ok(msgpack.includes(packed.slice(6)), `msgpack wrote ${packed.slice(6)}`);
      assert.equal(hex(cborCodec.encode([17, 1, value])), `831101${cbor}`);
    });
  }

  test('a number beyond 64 bits (a double) is written as a float', () => {
    assert.deepStrictEqual(roundTrip(msgpackCodec, [50, 1, {}, [2 ** 70]]), [50, 1, {}, [2 ** 70]]);
    assert.deepStrictEqual(roundTrip(cborCodec, [50, 1, {}, [2 ** 70]]), [50, 1, {}, [2 ** 70]]);
  });

  test('maps get the smallest header', () => {
    assert.equal(hex(msgpackCodec.encode([6, {}, 'a'])), '9306' + '80' + 'a161');
    assert.equal(hex(cborCodec.encode([6, { k: 1 }, 'a'])), '8306' + 'a1616b01' + '6161');
  });

  test('a text frame is refused', () => {
    assert.throws(() => msgpackCodec.decode('[1,"realm1",{}]'), /binary/);
    assert.throws(() => cborCodec.decode('[1,"realm1",{}]'), /binary/);
  });
});

describe('cbor codec: integers other peers write', () => {
  const decodeHex = (text: string) => cborCodec.decode(Buffer.from(text, 'hex'));

  test('a negative 64-bit integer (major type 1, 0x3b) keeps its value', () => {
    // [-62654812000] as Python's cbor2 writes it.
    assert.deepStrictEqual(decodeHex('813b0000000e96848f5f'), [-62654812000]);
    assert.deepStrictEqual(decodeHex('813b001fffffffffffff'), [-MAX_ID]);
  });

  test('bignums (tags 2 and 3) come back exactly, as BigInt beyond 2^53 and as numbers within', () => {
    // 2^64 and -2^64 - 1
    assert.deepStrictEqual(decodeHex('82c249010000000000000000c349010000000000000000'), [2n ** 64n, -(2n ** 64n) - 1n]);
    // 1558266424841951553 as AutobahnJS (node-cbor) writes it: a bignum of 8 octets; and 5 as a bignum.
    assert.deepStrictEqual(decodeHex('82c24815a0130eae1f5941c24105'), [1558266424841951553n, 5]);
  });

  test('64-bit integers beyond 2^53 come back as BigInt; 2^53 itself (the largest ID) as a number', () => {
    assert.deepStrictEqual(decodeHex('831b0020000000000001' + '3b7fffffffffffffff' + '1b0020000000000000'), [2n ** 53n + 1n, -(2n ** 63n), MAX_ID]);
  });

  test('a typed array (tag 64) stays tagged; a byte string stays untagged', () => {
    const back = decodeHex('82d84043000102430a0b0c') as Uint8Array[];
    assert.ok(back[0] instanceof TaggedUint8Array);
    assert.ok(!(back[1] instanceof TaggedUint8Array));
    assert.equal(hex(cborCodec.encode(back)), '82d84043000102430a0b0c');
  });

  test('a 64-bit ID next to text that contains the same bytes decodes exactly', () => {
    // ";" is 0x3b and "é" is c3 a9 in UTF-8: the frame takes the exact path, with the same result.
    const wire = [36, MAX_ID, 2 ** 40, { topic: 'a;é' }, [-(2 ** 40)], { list: [MAX_ID, 'x'] }];
    assert.deepStrictEqual(roundTrip(cborCodec, wire), wire);
  });
});

describe('exact integers across codecs', () => {
  const exact = [1558266424841951553n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 53n + 1n];

  test('msgpack and cbor carry 64-bit integers exactly', () => {
    for (const codec of [msgpackCodec, cborCodec]) {
      assert.deepStrictEqual(roundTrip(codec, [50, 1, {}, exact, { n: exact[0] }]), [50, 1, {}, exact, { n: exact[0] }], codec.name);
    }
  });

  test('cbor carries bignums exactly; msgpack has no form for them and refuses to encode', () => {
    const bignums = [2n ** 128n - 1n, -(2n ** 128n)];
    assert.deepStrictEqual(roundTrip(cborCodec, [50, 1, {}, bignums]), [50, 1, {}, bignums]);
    assert.throws(() => msgpackCodec.encode([50, 1, {}, [2n ** 64n]]),
      { name: 'RangeError', message: 'the integer 18446744073709551616 is beyond 64 bits, which MessagePack cannot carry' });
  });

  test('json writes BigInts as their exact digits, next to bytes', () => {
    assert.equal(jsonCodec.encode([50, 1, {}, [2n ** 128n - 1n, -(2n ** 63n), bytes(1, 2, 3)], { n: 1558266424841951553n }]),
      '[50,1,{},[340282366920938463463374607431768211455,-9223372036854775808,"\\u0000AQID"],{"n":1558266424841951553}]');
  });

  test('json writes what JSON.stringify writes for everything else, when a BigInt forces the exact writer', () => {
    const rest = [null, true, 1.5, 'a"\\u0000', [undefined, () => 1], { u: undefined, d: new Date(0), nested: { e: [] } }, NaN];
    assert.equal(jsonCodec.encode([1n, ...rest]), `[1,${JSON.stringify(rest).slice(1)}`);
  });

  test('tagged typed arrays travel as plain bytes through msgpack and json', () => {
    const tagged = new TaggedUint8Array([7, 8]);
    for (const codec of [msgpackCodec, jsonCodec]) {
      const back = (roundTrip(codec, [50, 1, {}, [tagged]]) as unknown[])[3] as unknown[];
      assert.deepStrictEqual(plainBytes(back), [bytes(7, 8)], codec.name);
      assert.ok(!(back[0] instanceof TaggedUint8Array));
    }
  });
});

describe('widenLargeIntegers', () => {
  test('turns integers beyond 32 bits into BigInt, up to 2^53 and down to -2^53', () => {
    assert.deepStrictEqual(widenLargeIntegers([2 ** 32, MAX_ID, -(2 ** 31) - 1, -MAX_ID]), [2n ** 32n, 2n ** 53n, -(2n ** 31n) - 1n, -(2n ** 53n)]);
  });

  test('leaves 32-bit integers, fractions and numbers beyond 64 bits alone', () => {
    const values = [0xffffffff, -(2 ** 31), 2 ** 40 + 0.5, 2 ** 70, -(2 ** 70), Infinity, NaN];
    assert.deepStrictEqual(widenLargeIntegers(values), values);
  });

  test('returns the same object when nothing needs widening', () => {
    const wire = [36, 1, 2, { a: [1, 2] }, [bytes(1)]];
    assert.equal(widenLargeIntegers(wire), wire);
  });

  test('copies only the containers on the path to a change, and never mutates the input', () => {
    const untouched = { c: [1] };
    const list = [3];
    const dict = { a: 2 ** 40, b: untouched };
    const wire = [36, dict, list];
    const widened = widenLargeIntegers(wire) as [number, Record<string, unknown>, number[]];
    assert.deepStrictEqual(wire, [36, { a: 2 ** 40, b: { c: [1] } }, [3]]);
    assert.notEqual(widened, wire);
    assert.notEqual(widened[1], dict);
    assert.equal(widened[1].a, 2n ** 40n);
    assert.equal(widened[1].b, untouched);
    assert.equal(widened[2], list);
  });

  test('does not look inside bytes or class instances', () => {
    const when = new Date(0);
    const blob = bytes(1, 2);
    const wire = [when, blob];
    assert.equal(widenLargeIntegers(wire), wire);
  });
});

describe('mayHoldWideInt64: which frames take the exact (BigInt) decoding', () => {
  const frame = (...octets: number[]): Uint8Array => new Uint8Array(octets);

  test('an unsigned 64-bit integer within 2^53 does not; 2^53 and beyond do', () => {
    assert.equal(mayHoldWideInt64(frame(0x93, 0xcf, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 0xcf, false), false);
    assert.equal(mayHoldWideInt64(frame(0xcf, 0x00, 0x20, 0, 0, 0, 0, 0, 0), 0xcf, false), true);
    assert.equal(mayHoldWideInt64(frame(0xcf, 0x01, 0, 0, 0, 0, 0, 0, 0), 0xcf, false), true);
  });

  test('a signed one: within ±2^53 does not, below -2^53 does', () => {
    assert.equal(mayHoldWideInt64(frame(0xd3, 0xff, 0xe0, 0, 0, 0, 0, 0, 0), 0xd3, true), false);
    assert.equal(mayHoldWideInt64(frame(0xd3, 0xff, 0xdf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 0xd3, true), true);
    assert.equal(mayHoldWideInt64(frame(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0), 0xd3, true), true);
  });

  test('every occurrence counts: a narrow one first does not hide a wide one later', () => {
    assert.equal(mayHoldWideInt64(frame(0xcf, 0, 0, 0, 0, 0, 0, 0, 1, 0xcf, 0x15, 0xa0, 0x13, 0x0e, 0xae, 0x1f, 0x59, 0x41), 0xcf, false), true);
  });

  test('frames decode the same whichever way they take', () => {
    const wide = [50, 1, {}, [9007199254740993n, MAX_ID, 5]];
    assert.deepStrictEqual(msgpackCodec.decode(msgpackCodec.encode(wide)), wide);
    assert.deepStrictEqual(cborCodec.decode(cborCodec.encode(wide)), wide);
  });
});
