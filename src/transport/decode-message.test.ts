import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cborCodec, jsonCodec, msgpackCodec } from '../codec/index.js';
import { decodeMessage } from './decode-message.js';

const deepJson = (levels: number): string => `${'['.repeat(levels)}1${']'.repeat(levels)}`;

describe('decodeMessage', () => {
  it('decodes a message within the nesting limit', () => {
    assert.deepEqual(decodeMessage(jsonCodec, '[16,1,{},"t",[[1]]]', 4), { ok: true, message: [16, 1, {}, 't', [[1]]] });
    assert.equal(decodeMessage(jsonCodec, '[16,1,{},"t",[[[1]]]]', 4).ok, true);
  });

  it('refuses a message one level deeper than the limit, naming the limit', () => {
    assert.deepEqual(decodeMessage(jsonCodec, '[16,1,{},"t",[[[1]]]]', 3),
      { ok: false, reason: "the message nests lists and dicts more than 3 levels deep (the router's max_nesting_depth)" });
  });

  it('gives the same refusal when the decoder itself overflows its stack', () => {
    const frame = Buffer.concat([Buffer.alloc(400_000, 0x91), Buffer.from([0x01])]);
    assert.deepEqual(decodeMessage(msgpackCodec, frame, 100),
      { ok: false, reason: "the message nests lists and dicts more than 100 levels deep (the router's max_nesting_depth)" });
  });

  it("reports bytes that are not the codec's format as such", () => {
    assert.deepEqual(decodeMessage(cborCodec, Buffer.from([0x82, 0x01]), 100),
      { ok: false, reason: 'could not decode the message as cbor: Unexpected end of CBOR data' });
    const refused = decodeMessage(jsonCodec, deepJson(3).slice(1), 100, 'the body as wamp.2.json');
    assert.equal(refused.ok, false);
    assert.match((refused as { reason: string }).reason, /^could not decode the body as wamp\.2\.json: /);
  });
});
