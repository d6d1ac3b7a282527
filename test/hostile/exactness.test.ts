/**
 * Integers and bytes travel unchanged (issue 11, item 2), through the real router over WebSocket,
 * for every pair of codecs that can carry them; where a codec cannot, the rule of
 * docs/payloads.md applies the same way for events and calls:
 *
 * - integers beyond ±2^53 (int64, uint64) travel exactly between CBOR and MessagePack peers, and
 *   reach JSON peers as their exact digits; bignums (beyond 64 bits) travel between CBOR peers and
 *   reach JSON peers as digits; MessagePack has no form for them: a message carrying one is not
 *   sent to a MessagePack peer (an event is dropped for it, a call ends in ERROR);
 * - byte strings travel between all three (JSON by its NUL + base64 convention);
 * - a CBOR typed array (tag 64) stays tagged between CBOR peers and is plain bytes to the others.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TaggedUint8Array, type CodecName } from '../../src/codec/index.js';
import type { RunningNode } from '../../src/node/node.js';
import { openAutobahn } from '../support/autobahn.js';
import { plainBytes } from '../support/bytes.js';
import { startTestNode, testConfig } from '../support/node.js';
import { RawClient } from '../support/raw-client.js';

const codecs: CodecName[] = ['json', 'msgpack', 'cbor'];

const int64s = [1558266424841951553n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 53n + 1n];
const bignum = 2n ** 128n - 1n;
const bytes = Buffer.from([0, 1, 2, 254, 255]);
const typed = (): TaggedUint8Array => new TaggedUint8Array([0, 1, 2, 3, 4, 5, 6, 7]);

/** What a sender in `codec` can put on the wire exactly. */
function sendable(codec: CodecName): { ints: boolean; bignum: boolean } {
  // A JSON peer's integers are read as JavaScript numbers; MessagePack has no bignum.
  return { ints: codec !== 'json', bignum: codec === 'cbor' };
}

interface Peer {
  client: RawClient;
  /** JSON frames as text, before any parsing: where exact digits can be seen. */
  texts: string[];
  /** Binary frames as received. */
  frames: Buffer[];
}

async function peer(url: string, codec: CodecName): Promise<Peer> {
  const client = await RawClient.open(url, [`wamp.2.${codec}`]);
  const texts: string[] = [];
  const frames: Buffer[] = [];
  client.ws.on('message', (data: Buffer, isBinary: boolean) => (isBinary ? frames.push(data) : texts.push(data.toString())));
  await client.hello();
  return { client, texts, frames };
}

const argsOf = (message: unknown[], index: number): unknown[] => message[index] as unknown[];

describe('exact integers and bytes across codecs', { timeout: 60_000 }, () => {
  let node: RunningNode & { url: string };
  const unencodable = (type: string, serializer: string): number =>
    node.metrics.counter('junction_messages_unencodable_total', '').value({ type, serializer });

  before(async () => {
    node = await startTestNode(testConfig());
  });

  after(async () => {
    await node.stop();
  });

  for (const from of codecs) {
    it(`events from a ${from} publisher reach json, msgpack and cbor subscribers unchanged`, async () => {
      const topic = `exact.events.${from}`;
      const subscribers = new Map<CodecName, Peer>();
      for (const to of codecs) {
        const subscriber = await peer(node.url, to);
        subscriber.client.send([32, 1, {}, topic]);
        await subscriber.client.next((m) => m[0] === 33);
        subscribers.set(to, subscriber);
      }
      const publisher = await peer(node.url, from);
      const can = sendable(from);
      const payload: unknown[] = [...(can.ints ? int64s : []), bytes, typed()];
      publisher.client.send([16, 2, { acknowledge: true }, topic, payload, { nested: { bytes } }]);
      assert.equal((await publisher.client.next())[0], 17);
      if (can.bignum) {
        publisher.client.send([16, 3, { acknowledge: true }, topic, ['bignum', bignum]]);
        assert.equal((await publisher.client.next())[0], 17);
      }
      publisher.client.send([16, 4, { acknowledge: true }, topic, ['last']]);
      assert.equal((await publisher.client.next())[0], 17);

      for (const [to, subscriber] of subscribers) {
        const event = await subscriber.client.next((m) => m[0] === 36);
        const args = argsOf(event, 4);
        // A JSON peer reads the exact digits the router wrote as JavaScript numbers (checked as text below).
        const ints = to === 'json' ? int64s.map(Number) : int64s;
        const expected = [...(can.ints ? ints : []), bytes, typed()];
        assert.deepStrictEqual(plainBytes(args), plainBytes(expected), `${from} -> ${to}`);
        assert.deepStrictEqual(plainBytes(event[5]), plainBytes({ nested: { bytes } }));
        const tagged = args.at(-1);
        assert.equal(tagged instanceof TaggedUint8Array, from === 'cbor' && to === 'cbor', `${from} -> ${to}: tag 64 kept only between CBOR peers`);
        assert.equal(args.at(-2) instanceof TaggedUint8Array, false, `${from} -> ${to}: a byte string stays a byte string`);
        if (to === 'json' && can.ints) {
          const text = subscriber.texts.find((frame) => frame.startsWith('[36,'))!;
          for (const value of int64s) assert.match(text, new RegExp(`[[,]${value}[,\\]]`), `${from} -> json: ${value} written exactly`);
        }
        if (can.bignum) {
          const next = await subscriber.client.next((m) => m[0] === 36);
          if (to === 'msgpack') {
            assert.deepEqual(argsOf(next, 4), ['last'], 'a bignum event is not sent to a MessagePack subscriber');
            assert.ok(unencodable('EVENT', 'msgpack') >= 1);
            continue;
          }
          if (to === 'json') assert.ok(subscriber.texts.some((frame) => frame.includes(`"bignum",${bignum}]`)));
          else assert.deepStrictEqual(argsOf(next, 4), ['bignum', bignum]);
        }
        assert.deepEqual(argsOf(await subscriber.client.next((m) => m[0] === 36), 4), ['last']);
      }
      for (const subscriber of subscribers.values()) subscriber.client.close();
      publisher.client.close();
    });
  }

  for (const calleeCodec of codecs) {
    for (const callerCodec of codecs) {
      it(`a ${callerCodec} caller and a ${calleeCodec} echo callee get back exactly what was sent`, async () => {
        const procedure = `exact.echo.${callerCodec}.${calleeCodec}`;
        const callee = await peer(node.url, calleeCodec);
        callee.client.send([64, 1, {}, procedure]);
        await callee.client.next((m) => m[0] === 65);
        const caller = await peer(node.url, callerCodec);
        // Only what both can carry: the echo re-encodes what the callee decoded.
        const ints = sendable(callerCodec).ints && sendable(calleeCodec).ints;
        const payload: unknown[] = [...(ints ? int64s : []), bytes, typed()];
        caller.client.send([48, 2, {}, procedure, payload]);
        const invocation = await callee.client.next((m) => m[0] === 68);
        callee.client.send([70, invocation[1], {}, invocation[4]]);
        const result = await caller.client.next((m) => m[0] === 50 || m[0] === 8);
        assert.equal(result[0], 50, JSON.stringify(result, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value)));
        assert.deepStrictEqual(plainBytes(argsOf(result, 3)), plainBytes(payload));
        const bothCbor = callerCodec === 'cbor' && calleeCodec === 'cbor';
        assert.equal(argsOf(result, 3).at(-1) instanceof TaggedUint8Array, bothCbor);

        if (callerCodec === 'cbor') {
          // A bignum: exact to a CBOR callee; a MessagePack callee cannot be sent it, so the call ends in ERROR.
          caller.client.send([48, 3, {}, procedure, [bignum]]);
          if (calleeCodec === 'msgpack') {
            const error = await caller.client.next((m) => m[0] === 8);
            assert.deepEqual(error.slice(0, 5), [8, 48, 3, {}, 'junction.error.unencodable_payload']);
            assert.equal(argsOf(error, 5)[0], `INVOCATION cannot be encoded as msgpack: the integer ${bignum} is beyond 64 bits, which MessagePack cannot carry`);
          } else {
            const echoed = await callee.client.next((m) => m[0] === 68);
            if (calleeCodec === 'json') assert.ok(callee.texts.some((text) => text.includes(`[${bignum}]`)), 'the JSON callee sees the exact digits');
            else assert.deepStrictEqual(argsOf(echoed, 4), [bignum]);
            callee.client.send([70, echoed[1], {}, argsOf(echoed, 4)]);
            const answer = await caller.client.next((m) => m[0] === 50);
            // What the JSON callee parsed and echoed is its own (rounded) number; a CBOR callee's echo is exact.
            if (calleeCodec === 'cbor') assert.deepStrictEqual(argsOf(answer, 3), [bignum]);
          }
        }
        caller.client.close();
        callee.client.close();
      });
    }
  }

  it('AutobahnJS over CBOR (its own test_binary values): an echo through the router returns them exactly', async () => {
    const callee = await openAutobahn(node.url, 'cbor');
    const caller = await openAutobahn(node.url, 'cbor');
    try {
      await callee.session.register('exact.autobahn.echo', (args: unknown[]) => args[0]);
      const values: unknown[] = [
        BigInt('1558266424841951553'), BigInt('340282366920938463463374607431768211455'), -(2n ** 63n), 2n ** 64n - 1n,
        Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]), Buffer.from([9, 8, 7]), [-9007199254740991, 9007199254740991],
      ];
      for (const value of values) {
        const back: unknown = await caller.session.call('exact.autobahn.echo', [value]);
        assert.deepStrictEqual(back, value, `${String(value)} came back as ${String(back)}`);
      }
    } finally {
      await caller.close();
      await callee.close();
    }
  });
});
