import assert from 'node:assert/strict';
import type { AddressInfo, Socket } from 'node:net';
import { describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { onCloseFrame } from './ws-close-frame.js';

/**
 * ws-close-frame.ts reaches into ws's internals (websocket._receiver and its 'conclude' event).
 * This pins them against the installed ws with a real connection: if a ws upgrade changes them,
 * it fails here rather than leaving sessions joined for ws's close timeout.
 */

describe('ws-close-frame', () => {
  it('calls back when the close frame arrives, before the TCP connection ends', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    client.on('error', () => undefined);
    await new Promise<void>((resolve) => client.once('open', () => resolve()));
    const server = await accepted;
    let closedEvent = false;
    server.once('close', () => (closedEvent = true));
    const concluded = new Promise<number>((resolve) => assert.equal(onCloseFrame(server, () => resolve(server.readyState)), true));

    // The client reads nothing more and never ends its side: ws's 'close' waits for its close timeout.
    (client as unknown as { _socket: Socket })._socket.pause();
    client.close(1000);
    let timer: NodeJS.Timeout | undefined;
    const readyState = await Promise.race([concluded, new Promise<string>((resolve) => (timer = setTimeout(() => resolve('no conclude within 5 s'), 5_000)))]);
    clearTimeout(timer);
    assert.equal(readyState, server.CLOSING, 'ws has answered the close frame when the listener runs');
    assert.equal(closedEvent, false, 'before ws\'s own close event');

    client.terminate();
    server.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
});
