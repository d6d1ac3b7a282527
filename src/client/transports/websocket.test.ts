import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { TransportError } from '../errors.js';
import { webSocketTransport, type WebSocketConstructor } from './websocket.js';

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
