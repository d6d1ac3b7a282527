import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IdSequence, RandomIdSource, randomId } from './ids.js';
import { Envelope, type Encoder } from './envelope.js';
import { toWire, type WampMessage } from './messages.js';

const MAX_ID = 2 ** 53;

describe('randomId', () => {
  test('gives integers in 1..2^53, across several refills of the pool', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const id = randomId();
      assert.ok(Number.isInteger(id) && id >= 1 && id <= MAX_ID, `${id}`);
      seen.add(id);
    }
    // 53 random bits: 5000 draws collide with probability ~1e-9, and stay below 2^32 with ~0.
    assert.equal(seen.size, 5000);
    assert.ok([...seen].some((id) => id > 2 ** 32), 'the high 21 bits are never used');
  });

  test('maps the all-zero draw to 1 and the all-ones draw to 2^53 - 1', (t) => {
    const fill = (value: number) =>
      t.mock.method(globalThis.crypto, 'getRandomValues', <T extends ArrayBufferView>(array: T): T => {
        (array as unknown as Uint32Array).fill(value);
        return array;
      });
    fill(0);
    assert.equal(new RandomIdSource().nextId(), 1);
    t.mock.restoreAll();
    fill(0xffffffff);
    assert.equal(new RandomIdSource().nextId(), MAX_ID - 1);
  });
});

describe('IdSequence', () => {
  test('counts 1, 2, 3 ...', () => {
    const sequence = new IdSequence();
    assert.deepEqual([sequence.nextId(), sequence.nextId(), sequence.nextId()], [1, 2, 3]);
  });

  test('reaches 2^53 and wraps to 1', () => {
    const sequence = new IdSequence();
    // Counting to 2^53 takes years; start just below it instead.
    (sequence as unknown as { last: number }).last = MAX_ID - 1;
    assert.equal(sequence.nextId(), MAX_ID);
    assert.equal(sequence.nextId(), 1);
    assert.equal(sequence.nextId(), 2);
  });
});

/** An encoder that records each call and tags its output with its own name. */
function countingEncoder(name: string): Encoder & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    name,
    calls,
    encode(wire) {
      calls.push(wire);
      return `${name}:${JSON.stringify(wire)}`;
    },
  };
}

describe('Envelope', () => {
  const event: WampMessage = { type: 36, subscription: 1, publication: 2, details: {}, args: ['hi'] };

  test('encodes once per codec however often each codec asks', () => {
    const envelope = new Envelope(event);
    const json = countingEncoder('json');
    const msgpack = countingEncoder('msgpack');
    const cbor = countingEncoder('cbor');
    for (let round = 0; round < 3; round++) {
      for (const encoder of [json, msgpack, cbor]) envelope.encode(encoder);
    }
    assert.equal(json.calls.length, 1);
    assert.equal(msgpack.calls.length, 1);
    assert.equal(cbor.calls.length, 1);
  });

  test('hands each codec its own bytes, built from the wire array of the message', () => {
    const envelope = new Envelope(event);
    const encoders = [countingEncoder('json'), countingEncoder('msgpack'), countingEncoder('cbor')];
    const first = encoders.map((encoder) => envelope.encode(encoder));
    const again = encoders.map((encoder) => envelope.encode(encoder));
    assert.deepEqual(again, first);
    assert.equal(new Set(first).size, 3);
    for (const encoder of encoders) {
      assert.deepEqual(encoder.calls, [toWire(event)]);
      assert.equal(envelope.encode(encoder), `${encoder.name}:${JSON.stringify(toWire(event))}`);
    }
  });

  test('keeps the first frame when another codec asks in between', () => {
    const envelope = new Envelope(event);
    const json = countingEncoder('json');
    const cbor = countingEncoder('cbor');
    const jsonFrame = envelope.encode(json);
    envelope.encode(cbor);
    assert.equal(envelope.encode(json), jsonFrame);
    assert.equal(json.calls.length, 1);
  });
});
