import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { waitFor } from '../../test/support/wait.js';
import { MetricsRegistry } from '../metrics/registry.js';
import { StreamEchoService, streamEchoLimits } from './stream-echo.js';

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

/** A stream echo service with `limits` behind a loopback TCP server of its own. */
async function echoServer(metrics: MetricsRegistry, limits: typeof streamEchoLimits): Promise<{ service: StreamEchoService; port: number; close(): Promise<void> }> {
  const service = new StreamEchoService(metrics, { transport: 'bytes' }, limits);
  const server = createServer((socket) => service.accept(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    service,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      await service.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A gauge's or counter's value in an exposition (0 when the series is absent). */
function metricValue(metrics: MetricsRegistry, name: string): number {
  const line = metrics.exposition().split('\n').find((candidate) => candidate.startsWith(`${name}{transport="bytes"} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('stream echo service on a TCP socket', { timeout: 30_000 }, () => {
  const sockets: Socket[] = [];
  const servers: { close(): Promise<void> }[] = [];

  /** A client connection, destroyed after the suite if the test has not. */
  async function client(port: number): Promise<Socket> {
    const socket = await connected(port);
    sockets.push(socket);
    return socket;
  }

  async function started(metrics: MetricsRegistry, limits: typeof streamEchoLimits) {
    const echo = await echoServer(metrics, limits);
    servers.push(echo);
    return echo;
  }

  after(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((server) => server.close()));
  });

  it('sends every byte back as it came, a large amount included', async () => {
    const { port } = await started(new MetricsRegistry(), streamEchoLimits);
    const socket = await client(port);
    const bytes = Buffer.alloc(4 * 1024 * 1024);
    for (let index = 0; index < bytes.length; index += 1) bytes[index] = (index * 7) % 256;
    const back = read(socket, bytes.length);
    socket.write(bytes);
    assert.ok((await back).equals(bytes));
    socket.destroy();
  });

  it('closes a connection idle past its time', async () => {
    const metrics = new MetricsRegistry();
    const { port } = await started(metrics, { maxConnections: 2, idleTimeoutMs: 300 });
    const idle = await client(port);
    await new Promise((resolve) => idle.once('close', resolve));
    await waitFor(() => metricValue(metrics, 'junction_stream_testee_connections') === 0, 'the idle connection to be let go');
    assert.equal(metricValue(metrics, 'junction_stream_testee_refused_total'), 0, 'closed as idle, not refused');
  });

  it('closes one arriving while the maximum is held', async () => {
    // Idle connections are kept long here: one closed for idleness before the third arrived would free its place.
    const metrics = new MetricsRegistry();
    const { port } = await started(metrics, { maxConnections: 2, idleTimeoutMs: 60_000 });
    const held = [await client(port), await client(port)];
    // The client's connect completes before the server has taken the connection: the third must come after both are held.
    await waitFor(() => metricValue(metrics, 'junction_stream_testee_connections') === 2, 'both connections to be held');
    const third = await client(port);
    await new Promise((resolve) => third.once('close', resolve));
    assert.equal(metricValue(metrics, 'junction_stream_testee_refused_total'), 1, 'the third was refused');
    assert.ok(held.every((socket) => !socket.destroyed), 'the two held stay open');
  });
});
