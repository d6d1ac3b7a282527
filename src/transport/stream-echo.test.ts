import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MetricsRegistry } from '../metrics/registry.js';
import { StreamEchoService } from './stream-echo.js';

function connected(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Reads from `socket` until `length` bytes have come (bounded by the test's timeout). */
function read(socket: Socket, length: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const take = (chunk: Buffer): void => {
      chunks.push(chunk);
      total += chunk.length;
      if (total < length) return;
      socket.off('data', take);
      resolve(Buffer.concat(chunks));
    };
    socket.on('data', take);
  });
}

describe('stream echo service on a TCP socket', { timeout: 30_000 }, () => {
  let server: Server;
  let port: number;
  let service: StreamEchoService;
  const metrics = new MetricsRegistry();
  const sockets: Socket[] = [];

  before(async () => {
    service = new StreamEchoService(metrics, { transport: 'bytes' }, { maxConnections: 2, idleTimeoutMs: 300 });
    server = createServer((socket) => service.accept(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    await service.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends every byte back as it came, a large amount included', async () => {
    const socket = await connected(port);
    sockets.push(socket);
    const bytes = Buffer.alloc(4 * 1024 * 1024);
    for (let index = 0; index < bytes.length; index += 1) bytes[index] = (index * 7) % 256;
    const back = read(socket, bytes.length);
    socket.write(bytes);
    assert.ok((await back).equals(bytes));
    socket.destroy();
  });

  it('closes a connection idle past its time, and one arriving while the maximum is held', async () => {
    const idle = await connected(port);
    sockets.push(idle);
    const idleClosed = new Promise((resolve) => idle.once('close', resolve));
    const second = await connected(port);
    sockets.push(second);
    await new Promise((wait) => setTimeout(wait, 50));
    const third = await connected(port);
    sockets.push(third);
    await new Promise((resolve) => third.once('close', resolve));
    assert.match(metrics.exposition(), /^junction_stream_testee_refused_total\{transport="bytes"\} 1$/m, 'the third was refused, not timed out');
    await idleClosed;
  });
});
