import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import type { Frame, TransportHandlers } from '../../client/transport.js';
import { encodeFrame, FrameType } from '../../transport/rawsocket/framing.js';
import { linkDialer } from './dial.js';

const maxMessageSize = 1024;
const timeoutMs = 5_000;

/** Handlers that keep what the link's transport hands over: frames, and how it closed. */
function recorder() {
  const frames: Frame[] = [];
  let closed!: (end: { code: number; reason: string }) => void;
  const ended = new Promise<{ code: number; reason: string }>((resolve) => (closed = resolve));
  const handlers: TransportHandlers = { message: (frame) => frames.push(frame), close: (code, reason) => closed({ code, reason }) };
  return { frames, ended, handlers };
}

const closers: (() => void)[] = [];
after(() => closers.forEach((close) => close()));

/** A fake other router over RawSocket: accepts the handshake (keeping its second octet), then sends `frames`. */
async function rawsocketRouter(frames: Buffer[]): Promise<{ port: number; handshake: Promise<number> }> {
  let heard!: (octet: number) => void;
  const handshake = new Promise<number>((resolve) => (heard = resolve));
  const server: Server = createServer((socket: Socket) => {
    socket.once('data', (chunk) => {
      heard(chunk[1]!);
      socket.write(Buffer.from([0x7f, chunk[1]!, 0, 0]));
      for (const frame of frames) socket.write(encodeFrame(FrameType.message, frame));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  return { port: (server.address() as AddressInfo).port, handshake };
}

describe("a router link's connection: messages from the other router are bounded", () => {
  it('WebSocket: a message at the bound arrives; a larger one closes the connection with 1009, saying so', { timeout: 20_000 }, async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'wamp.2.json' });
    closers.push(() => server.close());
    await new Promise((resolve) => server.on('listening', resolve));
    server.on('connection', (socket) => {
      socket.on('error', () => undefined);
      socket.send('a'.repeat(maxMessageSize));
      socket.send('b'.repeat(maxMessageSize + 1));
    });
    const { port } = server.address() as AddressInfo;
    const { factory } = linkDialer({ kind: 'websocket', endpoint: { kind: 'tcp', host: '127.0.0.1', port, timeoutMs }, url: `ws://127.0.0.1:${port}/`, serializers: ['json'] }, { maxMessageSize, maxBufferedBytes: 0 }, 'test link');
    const { frames, ended, handlers } = recorder();
    await factory(`ws://127.0.0.1:${port}/`, ['wamp.2.json'], handlers);
    assert.deepEqual(await ended, { code: 1009, reason: `the other router sent a message larger than ${maxMessageSize} bytes (limits.max_message_size)` });
    assert.deepEqual(frames, ['a'.repeat(maxMessageSize)]);
  });

  it('RawSocket: the handshake asks for messages up to the bound; a larger one closes the connection with 1009, saying so', { timeout: 20_000 }, async () => {
    const router = await rawsocketRouter([Buffer.from('a'.repeat(maxMessageSize)), Buffer.from('b'.repeat(maxMessageSize + 1))]);
    const { factory } = linkDialer({ kind: 'rawsocket', endpoint: { kind: 'tcp', host: '127.0.0.1', port: router.port, timeoutMs }, serializer: 'json' }, { maxMessageSize, maxBufferedBytes: 0 }, 'test link');
    const { frames, ended, handlers } = recorder();
    await factory('rs://ignored', [], handlers);
    // 1024 bytes is 2^(9+1): exponent 1, beside serializer 1 (JSON).
    assert.equal(await router.handshake, 0x11);
    assert.deepEqual(await ended, { code: 1009, reason: `the other router sent a message larger than ${maxMessageSize} bytes (limits.max_message_size)` });
    assert.deepEqual(frames, ['a'.repeat(maxMessageSize)]);
  });
});

describe("a router link's connection: what waits to be sent to the other router is bounded", () => {
  const maxBufferedBytes = 1024 * 1024;
  const notReading = { code: 1008, reason: `the other router does not read what the link sends: more than ${maxBufferedBytes} bytes waiting to be sent to it (limits.max_buffered_bytes)` };

  /** Sends 64 KiB frames (at most 256 MiB: far more than loopback's kernel buffers and the bound together) until the connection ends. */
  async function sendUntilClosed(transport: { send(frame: Frame): void }, ended: Promise<unknown>): Promise<void> {
    let closed = false;
    void ended.then(() => (closed = true));
    const frame = 'x'.repeat(64 * 1024);
    for (let sent = 0; sent < 4096 && !closed; sent++) {
      transport.send(frame);
      if (sent % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it('WebSocket: a router that reads nothing: past max_buffered_bytes waiting the connection is closed (1008), saying so', { timeout: 30_000 }, async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'wamp.2.json' });
    closers.push(() => server.close());
    await new Promise((resolve) => server.on('listening', resolve));
    server.on('connection', (socket, request) => {
      socket.on('error', () => undefined);
      request.socket.pause();
    });
    const { port } = server.address() as AddressInfo;
    const { factory } = linkDialer({ kind: 'websocket', endpoint: { kind: 'tcp', host: '127.0.0.1', port, timeoutMs }, url: `ws://127.0.0.1:${port}/`, serializers: ['json'] }, { maxMessageSize, maxBufferedBytes }, 'test link');
    const { ended, handlers } = recorder();
    await sendUntilClosed(await factory(`ws://127.0.0.1:${port}/`, ['wamp.2.json'], handlers), ended);
    assert.deepEqual(await ended, notReading);
  });

  it('RawSocket: the same', { timeout: 30_000 }, async () => {
    const server: Server = createServer((socket: Socket) => {
      socket.once('data', (chunk) => {
        socket.write(Buffer.from([0x7f, chunk[1]!, 0, 0]));
        socket.pause();
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => server.close());
    const { port } = server.address() as AddressInfo;
    const { factory } = linkDialer({ kind: 'rawsocket', endpoint: { kind: 'tcp', host: '127.0.0.1', port, timeoutMs }, serializer: 'json' }, { maxMessageSize, maxBufferedBytes }, 'test link');
    const { ended, handlers } = recorder();
    await sendUntilClosed(await factory('rs://ignored', [], handlers), ended);
    assert.deepEqual(await ended, notReading);
  });
});
