import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonCodec } from '../../codec/index.js';
import { Envelope } from '../../protocol/envelope.js';
import { MessageType } from '../../protocol/codes.js';
import { chooseProtocol, longPollProtocols } from './protocols.js';

describe('long-poll protocols', () => {
  it('serves a batched and an unbatched protocol per configured serializer', () => {
    assert.deepEqual(longPollProtocols(['cbor', 'json']).map((p) => [p.name, p.batched, p.contentType]), [
      ['wamp.2.cbor.batched', true, 'application/cbor'],
      ['wamp.2.cbor', false, 'application/cbor'],
      ['wamp.2.json.batched', true, 'application/json; charset=utf-8'],
      ['wamp.2.json', false, 'application/json; charset=utf-8'],
    ]);
  });

  it("chooses by the client's order of preference", () => {
    const ours = longPollProtocols(['json', 'msgpack']);
    assert.equal(chooseProtocol(['wamp.2.cbor', 'wamp.2.msgpack', 'wamp.2.json.batched'], ours)?.name, 'wamp.2.msgpack');
    assert.equal(chooseProtocol(['wamp.2.cbor'], ours), undefined);
  });

  it('encodes JSON as UTF-8 bytes', () => {
    const json = longPollProtocols(['json'])[1]!;
    const envelope = new Envelope({ type: MessageType.GOODBYE, details: { message: 'bye é' }, reason: 'wamp.close.normal' });
    const encoded = envelope.encode(json.encoder);
    assert.ok(encoded instanceof Uint8Array);
    assert.deepEqual(jsonCodec.decode(encoded), [6, { message: 'bye é' }, 'wamp.close.normal']);
  });
});
