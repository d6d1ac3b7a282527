import assert from 'node:assert/strict';
import { Socket, type AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import * as ws from 'ws';
import { WebSocket, WebSocketServer } from 'ws';
import { jsonCodec } from '../codec/json.js';
import { dataFrame, frameEncoder, payloadOf, sendsQueuedInWs, socketUnder } from './ws-frame.js';

/**
 * ws-frame.ts reaches into ws's internals (websocket._socket, websocket._sender) and writes frame
 * headers as ws's Sender does.
 * These tests pin what it relies on against the installed ws, with real connections: if a ws
 * upgrade changes any of it, they fail here rather than in a fan-out.
 */

/** A server and one client connected to it, with the server's side of the connection. */
async function connectedPair(perMessageDeflate: boolean): Promise<{ server: WebSocket; client: WebSocket; stop(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, { perMessageDeflate });
  await new Promise<void>((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('error', reject);
  });
  const server = await accepted;
  return {
    server,
    client,
    stop: async () => {
      client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** What the client receives, in order: messages as { text | bytes }, pings as 'ping'. */
function recorder(client: WebSocket): { seen: unknown[]; until(count: number): Promise<unknown[]> } {
  const seen: unknown[] = [];
  let wake: (() => void) | undefined;
  client.on('message', (data: Buffer, isBinary: boolean) => {
    seen.push(isBinary ? { bytes: [...data] } : { text: data.toString('utf8') });
    wake?.();
  });
  client.on('ping', () => {
    seen.push('ping');
    wake?.();
  });
  return {
    seen,
    async until(count) {
      const deadline = Date.now() + 5_000;
      while (seen.length < count && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
      return seen;
    },
  };
}

describe('ws-frame: data frames', () => {
  for (const length of [0, 1, 125, 126, 65_535, 65_536]) {
    it(`lays out a ${length}-byte payload as RFC 6455 says, and payloadOf gives it back`, () => {
      const payload = Buffer.alloc(length, 0x61);
      const frame = dataFrame(payload, false);
      const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
      assert.equal(frame.length, headerLength + length);
      assert.equal(frame[0], 0x81); // FIN, no RSV bits, opcode 1 (text)
      if (length < 126) assert.equal(frame[1], length); // no MASK bit: a server frame
      else if (length < 65_536) assert.deepEqual([frame[1], frame.readUInt16BE(2)], [126, length]);
      else assert.deepEqual([frame[1], Number(frame.readBigUInt64BE(2))], [127, length]);
      assert.deepEqual(payloadOf(frame), payload);
    });
  }

  it('writes the same header as ws itself (Sender.frame) for text and binary frames', () => {
    const senderFrame = (ws as unknown as { Sender: { frame(data: Buffer, options: object): Buffer[] } }).Sender.frame;
    for (const length of [0, 125, 126, 65_535, 65_536]) {
      for (const binary of [false, true]) {
        const payload = Buffer.alloc(length, 0x62);
        const [header] = senderFrame(payload, { fin: true, opcode: binary ? 2 : 1, mask: false, readOnly: false, rsv1: false });
        assert.deepEqual(dataFrame(payload, binary).subarray(0, header!.length), header, `${length} bytes, binary ${binary}`);
      }
    }
  });

  it('encodes text as UTF-8 straight into the frame, its length in bytes, not characters', () => {
    const text = `["é€😀"${',"x"'.repeat(40)}]`; // 2-, 3- and 4-byte characters, past 125 bytes in all
    const frame = dataFrame(text, false);
    assert.equal(frame[1], 126);
    assert.equal(frame.readUInt16BE(2), Buffer.byteLength(text));
    assert.equal(payloadOf(frame).toString('utf8'), text);
    assert.deepEqual(dataFrame('', false), Buffer.of(0x81, 0));
  });

  it('uses opcode 2 for binary payloads', () => {
    assert.equal(dataFrame(Uint8Array.of(1, 2, 3), true)[0], 0x82);
  });

  it('frames a codec\'s encoding once per envelope encoder name', () => {
    const encoder = frameEncoder(jsonCodec);
    assert.equal(encoder, frameEncoder(jsonCodec));
    const frame = encoder.encode([36, 1, 2, {}, ['é']]) as Buffer;
    assert.equal(payloadOf(frame).toString('utf8'), '[36,1,2,{},["é"]]');
  });
});

describe('ws-frame: the connection internals it relies on', () => {
  const stops: (() => Promise<void>)[] = [];
  after(async () => {
    for (const stop of stops) await stop();
  });

  it('finds the net.Socket under a server-side connection, and an idle sender', async () => {
    const pair = await connectedPair(false);
    stops.push(pair.stop);
    assert.ok(socketUnder(pair.server) instanceof Socket);
    assert.equal(sendsQueuedInWs(pair.server), false);
  });

  it('keeps order between frames written to the socket, ws.send and ws control frames', async () => {
    const pair = await connectedPair(false);
    stops.push(pair.stop);
    const received = recorder(pair.client);
    const socket = socketUnder(pair.server)!;
    socket.write(dataFrame(Buffer.from('one'), false));
    pair.server.send('two');
    pair.server.ping();
    socket.write(dataFrame(Buffer.alloc(70_000, 0x62), false));
    pair.server.send(Uint8Array.of(3), { binary: true });
    socket.write(dataFrame(Uint8Array.of(4, 4), true));
    assert.deepEqual(await received.until(6), [
      { text: 'one' }, { text: 'two' }, 'ping', { text: 'b'.repeat(70_000) }, { bytes: [3] }, { bytes: [4, 4] },
    ]);
  });

  it('says ws queues data of its own while it compresses, and not once it is written', async () => {
    const pair = await connectedPair(true);
    stops.push(pair.stop);
    assert.match(pair.server.extensions, /permessage-deflate/);
    const received = recorder(pair.client);
    const written = new Promise<void>((resolve, reject) => pair.server.send('c'.repeat(100_000), (error) => (error ? reject(error) : resolve())));
    pair.server.send('after');
    assert.equal(sendsQueuedInWs(pair.server), true);
    await written;
    await received.until(2);
    assert.equal(sendsQueuedInWs(pair.server), false);
    assert.deepEqual(received.seen, [{ text: 'c'.repeat(100_000) }, { text: 'after' }]);
  });
});
