import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { WebSocketAsMqttSocket } from './websocket-socket.js';

describe('WebSocketAsMqttSocket', () => {
  it('end() completes the closing handshake while reading is paused (a CONNECT refused during sign-in)', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      server.once('connection', (ws) => {
        const socket = new WebSocketAsMqttSocket(ws);
        // As a connection does with a CONNECT: reading paused while it is signed in, then refused.
        socket.on('data', () => {
          socket.pause();
          socket.end();
        });
      });
      const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, 'mqtt');
      client.once('open', () => client.send(Buffer.from([0x10, 0x00])));
      const closed = new Promise<number>((resolve) => client.once('close', resolve));
      // Paused, the server never read the client's answering close frame: both ends waited for ws's 30 s close timeout.
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the closing handshake never completed')), 5_000).unref());
      assert.equal(await Promise.race([closed, timeout]), 1000);
    } finally {
      server.close();
    }
  });
});
