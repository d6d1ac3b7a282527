import assert from 'node:assert/strict';
import type { AddressInfo, Socket } from 'node:net';
import { describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { onCloseFrame, onCloseFrameShared } from './ws-close-frame.js';

/**
 * ws-close-frame.ts reaches into ws's internals (websocket._receiver, its 'conclude' event, its
 * key back to the WebSocket). This pins them against the installed ws with real connections: if a
 * ws upgrade changes them, it fails here rather than leaving sessions joined for ws's close timeout.
 */

/** Two connections; each client sends its close frame and then reads nothing, nor ends its side. */
async function closingPairs(watch: (server: WebSocket) => Promise<unknown>): Promise<unknown[]> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const results: unknown[] = [];
  const clients: WebSocket[] = [];
  try {
    for (let pair = 0; pair < 2; pair++) {
      const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
      const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
      clients.push(client);
      client.on('error', () => undefined);
      await new Promise<void>((resolve) => client.once('open', () => resolve()));
      const server = await accepted;
      let closedEvent = false;
      server.once('close', () => (closedEvent = true));
      const watched = watch(server);
      (client as unknown as { _socket: Socket })._socket.pause();
      client.close(1000);
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([watched, new Promise<string>((resolve) => (timer = setTimeout(() => resolve('no close frame seen within 5 s'), 5_000)))]);
      clearTimeout(timer);
      assert.equal(closedEvent, false, 'seen before ws\'s own close event');
      results.push(outcome);
    }
  } finally {
    for (const client of clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
  return results;
}

describe('ws-close-frame', () => {
  it('onCloseFrame calls back when the close frame arrives, ws having answered it', async () => {
    const states = await closingPairs((server) => new Promise((resolve) => assert.equal(onCloseFrame(server, () => resolve(server.readyState)), true)));
    assert.deepEqual(states, [WebSocket.CLOSING, WebSocket.CLOSING]);
  });

  it('onCloseFrameShared calls one listener with each connection\'s own WebSocket as this', async () => {
    const waiting = new Map<WebSocket, (seen: boolean) => void>();
    function shared(this: WebSocket): void {
      waiting.get(this)?.(this.readyState === WebSocket.CLOSING);
    }
    const seen = await closingPairs((server) => new Promise((resolve) => {
      waiting.set(server, resolve);
      assert.equal(onCloseFrameShared(server, shared), true);
    }));
    assert.deepEqual(seen, [true, true]);
  });
});
