import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonCodec } from '../codec/json.js';
import { authenticator } from './auth/index.js';
import { TransportError } from './errors.js';
import { establish } from './handshake.js';
import type { Frame } from './transport.js';

describe('the client handshake', () => {
  it('with handshakeTimeoutMs, a router that never answers HELLO is left: the attempt fails and the connection is closed', async () => {
    const sent: Frame[] = [];
    let closed = false;
    const silent = async () => ({ protocol: jsonCodec.subprotocol, send: (frame: Frame) => sent.push(frame), close: () => void (closed = true) });
    const attempt = establish({ url: 'ws://silent/ws', realm: 'realm1', codecs: [jsonCodec], transport: silent, authenticator: await authenticator(undefined), handshakeTimeoutMs: 50 });
    await assert.rejects(attempt, (error: Error) => error instanceof TransportError && /no WELCOME within 50 ms/.test(error.message));
    assert.equal(sent.length, 1, 'HELLO was sent');
    assert.ok(closed, 'the connection was closed');
  });
});
