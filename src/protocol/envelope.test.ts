import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EncodeError, Envelope, type Encoder } from './envelope.js';
import { MessageType } from './codes.js';

/** An encoder that counts its calls and fails on demand. */
function encoder(name: string, fail?: () => Error): Encoder & { calls: number } {
  const counting = {
    name,
    calls: 0,
    encode(wire: unknown[]) {
      counting.calls++;
      if (fail) throw fail();
      return JSON.stringify(wire);
    },
  };
  return counting;
}

const event = (): Envelope => new Envelope({ type: MessageType.EVENT, subscription: 1, publication: 2, details: {}, args: ['x'] });

describe('Envelope', () => {
  it('encodes once per serializer and hands the same frame to every asker', () => {
    const envelope = event();
    const json = encoder('json');
    const other = encoder('other');
    const first = envelope.encode(json);
    assert.equal(envelope.encode(json), first);
    envelope.encode(other);
    envelope.encode(other);
    assert.deepEqual([json.calls, other.calls], [1, 1]);
  });

  it('a failure is an EncodeError naming the message type, the codec (not its framed variant) and why; it is memoized', () => {
    const envelope = event();
    const failing = encoder('msgpack+rawsocket', () => new RangeError('Maximum call stack size exceeded'));
    for (let i = 0; i < 3; i++) {
      assert.throws(() => envelope.encode(failing), (error: EncodeError) => {
        assert.ok(error instanceof EncodeError);
        assert.equal(error.message, 'EVENT cannot be encoded as msgpack: the payload nests too deeply to encode');
        assert.equal(error.reason, 'cannot be encoded as msgpack: the payload nests too deeply to encode');
        assert.deepEqual([error.messageType, error.serializer], ['EVENT', 'msgpack']);
        return true;
      });
    }
    assert.equal(failing.calls, 1);
  });

  it('a failure in one serializer does not affect another, whichever asks first', () => {
    const envelope = event();
    assert.throws(() => envelope.encode(encoder('msgpack', () => new RangeError('too large'))), /EVENT cannot be encoded as msgpack: too large/);
    assert.equal(envelope.encode(encoder('json')), '[36,1,2,{},["x"]]');
  });
});
