import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { MetricsRegistry } from '../../metrics/registry.js';
import { waitFor } from '../../../test/support/wait.js';
import type { EndpointConfig } from '../../config/model.js';
import type { WorkerToParentPorts } from './handoff-messages.js';
import { portsFromParent, type PortsParentChannel } from './handoff-worker.js';

/** The worker's channel to its parent: records what the worker says; `tell` is the parent speaking (with a handle). */
class FakeParent extends EventEmitter implements PortsParentChannel {
  readonly said: WorkerToParentPorts[] = [];

  send(message: WorkerToParentPorts, callback?: (error: Error | null) => void): void {
    this.said.push(message);
    setImmediate(() => callback?.(null));
  }

  tell(message: unknown, handle?: unknown): void {
    this.emit('message', message, handle);
  }
}

const endpoint: EndpointConfig = { type: 'tcp', port: 0, interface: '127.0.0.1' };
const closing: (() => void)[] = [];
after(() => closing.forEach((close) => close()));

/**
 * A connection as the parent holds it: accepted unread from a real loopback server, and its bare
 * handle, which is what a worker receives.
 */
async function acceptedHandle(): Promise<{ client: Socket; handle: unknown }> {
  const acceptor = createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve) => acceptor.listen(0, '127.0.0.1', resolve));
  closing.push(() => acceptor.close());
  const accepted = new Promise<Socket>((resolve) => acceptor.once('connection', resolve));
  const client = connect((acceptor.address() as { port: number }).port, '127.0.0.1');
  client.on('error', () => {});
  closing.push(() => client.destroy());
  const socket = await accepted;
  return { client, handle: (socket as unknown as { _handle: unknown })._handle };
}

async function listening(parent: FakeParent, server: Server, metrics = new MetricsRegistry()): Promise<void> {
  const ports = portsFromParent(parent, metrics);
  const listened = new Promise((resolve) => server.once('listening', resolve));
  const bound = ports.listen(server, endpoint, 'transport0');
  const ask = parent.said.at(-1)!;
  assert.equal(ask.junction, 'listen');
  if (ask.junction !== 'listen') return;
  assert.deepEqual(ask.endpoint, { type: 'tcp', port: 0, interface: '127.0.0.1', path: undefined, backlog: undefined });
  parent.tell({ junction: 'listening', id: ask.id, endpoint: 'tcp:127.0.0.1:0:transport0', address: { kind: 'tcp', host: '127.0.0.1', port: 4321 } });
  assert.deepEqual(await bound, { kind: 'tcp', host: '127.0.0.1', port: 4321 });
  await listened; // node:http starts its request timeout checks on 'listening'
}

describe('a --workers worker taking connections from its parent (portsFromParent)', () => {
  it('says it took a connection before it reads from it, then gives it to the server; tells the parent when it closes', async () => {
    const parent = new FakeParent();
    const server = createServer();
    await listening(parent, server);
    const { client, handle } = await acceptedHandle();
    const received: string[] = [];
    const served = new Promise<Socket>((resolve) => server.once('connection', (socket: Socket) => {
      received.push(JSON.stringify(parent.said.at(-1)));
      resolve(socket);
    }));
    client.write('hello');
    parent.tell({ junction: 'connection', seq: 7, endpoint: 'tcp:127.0.0.1:0:transport0' }, handle);
    const socket = await served;
    assert.deepEqual(received, [JSON.stringify({ junction: 'connection-taken', seq: 7, open: 1 })], 'taken was said before the server got it');
    const data = await new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    assert.equal(data, 'hello');
    client.destroy();
    await waitFor(() => parent.said.some((message) => message.junction === 'connections-open'), 'the close told');
    assert.deepEqual(parent.said.at(-1), { junction: 'connections-open', count: 0 });
  });

  it('declines a connection for an endpoint it does not serve, and closes its copy', async () => {
    const parent = new FakeParent();
    const server = createServer();
    await listening(parent, server);
    const { handle } = await acceptedHandle();
    let served = false;
    server.on('connection', () => (served = true));
    parent.tell({ junction: 'connection', seq: 3, endpoint: 'tcp:127.0.0.1:9:other' }, handle);
    assert.deepEqual(parent.said.at(-1), { junction: 'connection-declined', seq: 3 });
    assert.equal(served, false);
  });

  it('asks the parent to stop handing it an endpoint once its server closed', async () => {
    const parent = new FakeParent();
    const server = createServer();
    await listening(parent, server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    assert.deepEqual(parent.said.at(-1), { junction: 'unlisten', endpoint: 'tcp:127.0.0.1:0:transport0' });
  });

  it('fails to listen with the parent\'s bind error, as its own bind would have', async () => {
    const parent = new FakeParent();
    const ports = portsFromParent(parent, new MetricsRegistry());
    const bound = ports.listen(createServer(), { ...endpoint, port: 80 }, 'transport0');
    const ask = parent.said.at(-1)!;
    parent.tell({ junction: 'listen-failed', id: ask.junction === 'listen' ? ask.id : 0, error: { message: 'listen EACCES', code: 'EACCES', address: '127.0.0.1', port: 80 } });
    await assert.rejects(bound, { message: 'listen EACCES', code: 'EACCES', address: '127.0.0.1', port: 80 });
  });

  it('shows the parent\'s counts in its metrics', async () => {
    const parent = new FakeParent();
    const metrics = new MetricsRegistry();
    portsFromParent(parent, metrics);
    parent.tell({ junction: 'handoff', awaiting: 4, refused: { queue_full: 2, no_worker: 1 } });
    const text = metrics.exposition();
    assert.match(text, /^junction_workers_connections_awaiting 4$/m);
    assert.match(text, /^junction_workers_connections_refused_total\{reason="queue_full"\} 2$/m);
    assert.match(text, /^junction_workers_connections_refused_total\{reason="no_worker"\} 1$/m);
  });
});
