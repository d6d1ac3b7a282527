import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { silentLogger, type Logger } from '../../router/log.js';
import { recordingLogger, type LogEntry } from '../../../test/support/node.js';
import { waitFor } from '../../../test/support/wait.js';
import type { ParentToWorkerPorts } from './handoff-messages.js';
import { PortOwner, type PortsWorkerChannel } from './handoff-parent.js';

/** A worker's channel as the parent sees it: records what it is sent; `say` is the worker speaking. */
class FakeWorker extends EventEmitter implements PortsWorkerChannel {
  readonly received: ParentToWorkerPorts[] = [];

  send(message: ParentToWorkerPorts, _handle: unknown, callback: (error: Error | null) => void): void {
    this.received.push(message);
    setImmediate(() => callback(null));
  }

  say(message: unknown): void {
    this.emit('message', message);
  }

  connections(): number[] {
    return this.received.flatMap((message) => (message.junction === 'connection' ? [message.seq] : []));
  }
}

const clients: Socket[] = [];
after(() => clients.forEach((client) => client.destroy()));

/** The owner with `names` workers listening on one port-0 endpoint; resolves to them and the port. */
async function owner(names: string[], maxAwaiting = 100, log: Logger = silentLogger): Promise<{ ports: PortOwner; workers: Map<string, FakeWorker>; port: number }> {
  const ports = new PortOwner({ maxAwaiting, log });
  const workers = new Map(names.map((name) => [name, new FakeWorker()]));
  let port = 0;
  for (const [name, worker] of workers) {
    ports.add(name, worker);
    worker.say({ junction: 'listen', id: 1, endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' }, listener: 'transport0' });
    await waitFor(() => worker.received.length > 0, `${name} answered`);
    const answer = worker.received[0]!;
    assert.equal(answer.junction, 'listening');
    if (answer.junction === 'listening' && answer.address.kind === 'tcp') port = answer.address.port;
  }
  after(() => ports.close());
  return { ports, workers, port };
}

function open(port: number): Socket {
  const client = connect({ host: '127.0.0.1', port });
  client.on('error', () => {});
  clients.push(client);
  return client;
}

const handed = (workers: Map<string, FakeWorker>): number =>
  [...workers.values()].reduce((sum, worker) => sum + worker.connections().length, 0);

describe('the --workers parent handing out connections (PortOwner)', () => {
  it('binds an endpoint once for every worker that listens on it', async () => {
    const { workers } = await owner(['w1', 'w2']);
    const [first, second] = [...workers.values()].map((worker) => worker.received[0]);
    assert.deepEqual(first, { ...second, id: 1 });
  });

  it('answers a bind failure with the error, as the worker\'s own bind would have failed, and binds anew on the next ask', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    const ports = new PortOwner({ maxAwaiting: 10, log: silentLogger });
    after(() => ports.close());
    const worker = new FakeWorker();
    ports.add('w1', worker);
    const ask = (id: number): void => worker.say({ junction: 'listen', id, endpoint: { type: 'tcp', port, interface: '127.0.0.1' }, listener: 'transport0' });
    ask(1);
    await waitFor(() => worker.received.length === 1, 'answered');
    assert.deepEqual(worker.received[0], { junction: 'listen-failed', id: 1, error: { message: `listen EADDRINUSE: address already in use 127.0.0.1:${port}`, code: 'EADDRINUSE', address: '127.0.0.1', port } });
    await new Promise((resolve) => blocker.close(resolve));
    ask(2);
    await waitFor(() => worker.received.length === 2, 'answered again');
    assert.equal(worker.received[1]!.junction, 'listening');
  });

  it('hands each connection to the worker with the fewest open ones, counting those it has not answered yet; ties in turn', async () => {
    const { workers, port } = await owner(['w1', 'w2']);
    workers.get('w1')!.say({ junction: 'connections-open', count: 3 });
    for (let index = 0; index < 5; index++) open(port);
    await waitFor(() => handed(workers) === 5, 'five connections handed');
    // w2 (none open) takes three before it is as busy as w1; the next two alternate.
    assert.equal(workers.get('w2')!.connections().length, 4);
    assert.equal(workers.get('w1')!.connections().length, 1);
  });

  it('closes its copy once a worker took a connection, and stops counting it as awaiting', async () => {
    const { ports, workers, port } = await owner(['w1']);
    const client = open(port);
    await waitFor(() => handed(workers) === 1, 'handed');
    assert.equal(ports.awaitingCount, 1);
    const closed = new Promise((resolve) => client.once('close', resolve));
    workers.get('w1')!.say({ junction: 'connection-taken', seq: workers.get('w1')!.connections()[0], open: 1 });
    await closed; // in one process the copies are one descriptor: closing ours ends the connection
    assert.equal(ports.awaitingCount, 0);
  });

  it('gives a connection a worker declined, or had not taken when it was removed, to another; with none left closes it', async () => {
    const { ports, workers, port } = await owner(['w1', 'w2']);
    const client = open(port);
    await waitFor(() => handed(workers) === 1, 'handed');
    const [first, other] = workers.get('w1')!.connections().length === 1 ? ['w1', 'w2'] : ['w2', 'w1'];
    workers.get(first)!.say({ junction: 'connection-declined', seq: workers.get(first)!.connections()[0] });
    await waitFor(() => workers.get(other)!.connections().length === 1, 'the other worker was handed the same connection');
    assert.deepEqual(workers.get(other)!.connections(), workers.get(first)!.connections());
    const closed = new Promise((resolve) => client.once('close', resolve));
    ports.remove(other, workers.get(other)!);
    await closed;
    assert.equal(ports.awaitingCount, 0);
    assert.deepEqual(ports.refused, { queue_full: 0, no_worker: 1 });
  });

  it('holds at most maxAwaiting connections no worker took: past it closes new ones at once and counts them', async () => {
    const { ports, workers, port } = await owner(['w1'], 2);
    open(port);
    open(port);
    await waitFor(() => handed(workers) === 2, 'two handed');
    const refused = open(port);
    await new Promise((resolve) => refused.once('close', resolve));
    assert.equal(handed(workers), 2);
    assert.deepEqual(ports.refused, { queue_full: 1, no_worker: 0 });
    ports.report();
    assert.deepEqual(workers.get('w1')!.received.at(-1), { junction: 'handoff', awaiting: 2, refused: { queue_full: 1, no_worker: 0 } });
  });

  it('warns of a full queue once, however often a client fills it, lets it drain and fills it again', async () => {
    const lines: LogEntry[] = [];
    const { ports, workers, port } = await owner(['w1'], 1, recordingLogger(lines));
    const worker = workers.get('w1')!;
    for (let spell = 1; spell <= 3; spell++) {
      open(port);
      await waitFor(() => worker.connections().length === spell, `connection ${spell} handed`);
      const refused = open(port);
      await new Promise((resolve) => refused.once('close', resolve));
      worker.say({ junction: 'connection-taken', seq: worker.connections().at(-1)!, open: spell });
      await waitFor(() => ports.awaitingCount === 0, `spell ${spell} drained`);
    }
    assert.deepEqual(ports.refused, { queue_full: 3, no_worker: 0 });
    const warnings = lines.filter((line) => line.level === 'warn' && line.msg.startsWith('the workers are not taking their connections'));
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
  });
});
