import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  acceptReply, errorReply, exponentFor, HandshakeError, handshakeErrorName, lengthOfExponent, parseClientHandshake, parseRouterReply,
} from './handshake.js';

describe('RawSocket handshake', () => {
  it('reads the serializer and the client maximum length from the second octet', () => {
    const parsed = parseClientHandshake(Buffer.from([0x7f, 0xf2, 0, 0]));
    assert.deepEqual(parsed, { ok: true, handshake: { serializerId: 2, lengthExponent: 15, maxReceiveLength: 16_777_216 } });
    const smallest = parseClientHandshake(Buffer.from([0x7f, 0x01, 0, 0]));
    assert.deepEqual(smallest, { ok: true, handshake: { serializerId: 1, lengthExponent: 0, maxReceiveLength: 512 } });
  });

  it('fails a connection whose first octet is not the magic 0x7F, without a reply', () => {
    const parsed = parseClientHandshake(Buffer.from('GET '));
    assert.equal(parsed.ok, false);
    assert.equal(!parsed.ok && parsed.reply, undefined);
    assert.match(!parsed.ok ? parsed.reason : '', /0x47, not the RawSocket magic 0x7f/);
  });

  it('answers error 3 when a reserved octet is not zero', () => {
    for (const bytes of [[0x7f, 0xf1, 1, 0], [0x7f, 0xf1, 0, 0x80]]) {
      const parsed = parseClientHandshake(Buffer.from(bytes));
      assert.equal(!parsed.ok && parsed.reply, HandshakeError.reservedBitsUsed);
    }
  });

  it('answers error 1 to the illegal serializer 0', () => {
    const parsed = parseClientHandshake(Buffer.from([0x7f, 0xf0, 0, 0]));
    assert.equal(!parsed.ok && parsed.reply, HandshakeError.serializerUnsupported);
  });

  it('leaves serializers 4..15 to the caller (the service refuses those it does not serve)', () => {
    const parsed = parseClientHandshake(Buffer.from([0x7f, 0xf4, 0, 0]));
    assert.equal(parsed.ok && parsed.handshake.serializerId, 4);
  });

  it('builds the accepting reply: our exponent, the serializer echoed, reserved octets zero', () => {
    assert.deepEqual([...acceptReply(11, 3)], [0x7f, 0xb3, 0, 0]);
    assert.throws(() => acceptReply(16, 1), RangeError);
    assert.throws(() => acceptReply(1, 0), RangeError);
  });

  it('builds error replies with the code in the high nibble and a zero serializer', () => {
    assert.deepEqual([...errorReply(HandshakeError.serializerUnsupported)], [0x7f, 0x10, 0, 0]);
    assert.deepEqual([...errorReply(HandshakeError.maxLengthUnacceptable)], [0x7f, 0x20, 0, 0]);
    assert.deepEqual([...errorReply(HandshakeError.reservedBitsUsed)], [0x7f, 0x30, 0, 0]);
    assert.deepEqual([...errorReply(HandshakeError.maxConnectionsReached)], [0x7f, 0x40, 0, 0]);
  });

  it('parses the router reply as a client does', () => {
    assert.deepEqual(parseRouterReply(acceptReply(11, 1)), { ok: true, serializerId: 1, lengthExponent: 11, maxReceiveLength: 1_048_576 });
    assert.deepEqual(parseRouterReply(errorReply(HandshakeError.maxConnectionsReached)),
      { ok: false, error: 4, reason: 'maximum connection count reached' });
    assert.equal(handshakeErrorName(9), 'undefined error 9');
  });

  it('announces the largest 2^(9+n) that does not exceed max_message_size', () => {
    assert.equal(exponentFor(512), 0);
    assert.equal(exponentFor(1_000), 0);
    assert.equal(exponentFor(1_024), 1);
    assert.equal(exponentFor(1_048_576), 11);
    assert.equal(exponentFor(1_048_575), 10);
    assert.equal(exponentFor(16 * 1024 * 1024), 15);
    assert.equal(exponentFor(1e12), 15);
    assert.equal(exponentFor(10), 0); // below the smallest length: the smallest the spec allows
    assert.equal(lengthOfExponent(exponentFor(100_000)), 65_536);
  });
});
