import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { TransportError } from '../errors.js';
import type { Frame } from '../transport.js';
import { webSocketTransport, type WebSocketConstructor, type WebSocketLike } from './websocket.js';

const handlers = { message: () => {}, close: () => {} };

describe('WebSocket transport opening', () => {
  // Accepts TCP connections and never answers the upgrade, like a proxy that swallows it.
  const held = new Set<Socket>();
  const silent = createServer((socket) => held.add(socket));
  let url = '';

  before(async () => {
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(silent.address() as { port: number }).port}/ws`;
  });

  after(async () => {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('fails with a TransportError when the upgrade gets no answer in time, so the next transport can be tried', async () => {
    const dial = webSocketTransport(WebSocket as unknown as WebSocketConstructor, 150);
    await assert.rejects(dial(url, ['wamp.2.json'], handlers), (error: unknown) =>
      error instanceof TransportError && /no answer within 150 ms/.test(error.message));
  });

  it('fails with a TransportError when the connection is refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const dial = webSocketTransport(WebSocket as unknown as WebSocketConstructor, 5_000);
    await assert.rejects(dial(`ws://127.0.0.1:${port}/ws`, ['wamp.2.json'], handlers), TransportError);
  });
});

describe('WebSocket transport frames', () => {
  it("takes ws's Buffers as they come, without copying them into ArrayBuffers", async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) => {
      socket.send(Buffer.from([1, 2, 3]));
      socket.send('text');
    });
    const frames: Frame[] = [];
    let received!: () => void;
    const both = new Promise<void>((resolve) => (received = resolve));
    const dial = webSocketTransport(WebSocket as unknown as WebSocketConstructor);
    const { port } = server.address() as { port: number };
    const transport = await dial(`ws://127.0.0.1:${port}/`, ['wamp.2.cbor'], {
      message: (frame) => {
        frames.push(frame);
        if (frames.length === 2) received();
      },
      close: () => {},
    });
    try {
      await both;
      // A Buffer is what ws read; an ArrayBuffer would have been copied out of it first.
      assert.ok(Buffer.isBuffer(frames[0]), 'a binary frame arrives as the Buffer ws read');
      assert.deepEqual([...(frames[0] as Uint8Array)], [1, 2, 3]);
      assert.equal(frames[1], 'text');
    } finally {
      transport.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('asks a browser-like WebSocket, which knows no Buffers, for ArrayBuffers', async () => {
    let socket!: BrowserLikeSocket;
    // Like browsers and undici: binaryType is "blob" or "arraybuffer", other values are not kept.
    class BrowserLikeSocket implements WebSocketLike {
      readonly protocol = 'wamp.2.cbor';
      #binaryType = 'blob';
      onopen: WebSocketLike['onopen'] = null;
      onmessage: WebSocketLike['onmessage'] = null;
      onclose: WebSocketLike['onclose'] = null;
      onerror: WebSocketLike['onerror'] = null;
      constructor() {
        socket = this;
        queueMicrotask(() => this.onopen?.({}));
      }
      get binaryType(): string {
        return this.#binaryType;
      }
      set binaryType(type: string) {
        if (type === 'blob' || type === 'arraybuffer') this.#binaryType = type;
      }
      send(): void {}
      close(): void {}
    }
    const frames: Frame[] = [];
    const dial = webSocketTransport(BrowserLikeSocket as unknown as WebSocketConstructor);
    await dial('ws://example.invalid/', ['wamp.2.cbor'], { message: (frame) => frames.push(frame), close: () => {} });
    assert.equal(socket.binaryType, 'arraybuffer');
    socket.onmessage?.({ data: new Uint8Array([4, 5]).buffer });
    socket.onmessage?.({ data: 'text' });
    assert.ok(frames[0] instanceof Uint8Array);
    assert.deepEqual([...(frames[0] as Uint8Array)], [4, 5]);
    assert.equal(frames[1], 'text');
  });
});
