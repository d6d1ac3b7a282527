import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../router/log.js';
import { listenOn, releaseEndpoint, type BoundAddress } from '../socket-server.js';
import { isJunctionMessage } from './ipc-messages.js';
import { endpointKey, type ListenError, type ParentToWorkerPorts, type PortEndpoint, type WorkerToParentPorts } from './handoff-messages.js';
import { PerKeyLogThrottle, QuietWarning } from '../../router/limits/warning-throttle.js';

/** The parent's end of one worker's IPC channel, for the ports: a cluster Worker, or a stand-in in tests. */
export interface PortsWorkerChannel {
  send(message: ParentToWorkerPorts, handle: unknown, callback: (error: Error | null) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

export interface PortOwnerOptions {
  /** Connections accepted and not yet taken by a worker, at most; past it a new one is closed at once. */
  maxAwaiting: number;
  log: Logger;
}

/** Why the parent closed a connection without handing it to a worker (the metric's `reason`). */
export type RefusalReason = 'queue_full' | 'no_worker';

interface PortWorker {
  nodeId: string;
  channel: PortsWorkerChannel;
  listener: (message: unknown) => void;
  /** Connections it has taken and not closed, as it last said. */
  open: number;
  /** Connections sent to it and not yet answered. */
  awaiting: number;
}

interface Binding {
  key: string;
  endpoint: PortEndpoint;
  server: Server;
  bound: Promise<BoundAddress>;
  /** The workers that take its connections (they asked to listen on it and were answered). */
  workers: Set<string>;
  /** Workers waiting for it to be bound. */
  asking: number;
}

interface AwaitingConnection {
  socket: Socket;
  binding: Binding;
  nodeId: string;
  /** Workers that declined it or failed to get it: it is not sent to them again. */
  tried: Set<string>;
}

/**
 * The `--workers` parent's ports: it binds each endpoint its workers listen on, accepts every
 * connection without reading it (pauseOnConnect), and hands it to the worker with the fewest open
 * connections (ties in turn), keeping its own copy until that worker says it took it. A worker that
 * dies or declines before that leaves the connection, unread, to another worker; with none left,
 * it is closed (the client sees the close at once, not a silence). It keeps no other state per
 * connection, and what it holds while workers have not answered is bounded (`maxAwaiting`).
 *
 * Why the fewest open connections rather than plain turns: a worker that restarts comes back
 * empty, and clients (which mostly stay connected) then go to it until the workers are even again.
 */
export class PortOwner {
  private readonly workers = new Map<string, PortWorker>();
  private readonly bindings = new Map<string, Binding>();
  private readonly awaiting = new Map<number, AwaitingConnection>();
  private lastSeq = 0;
  private turn = 0;
  /** Warned once per full spell, and at most once per interval: a client that fills the queue, lets it drain and fills it again must not flood the log. */
  private warnedFull = false;
  private readonly fullWarning: QuietWarning;
  private closed = false;
  /** An accept that fails (out of descriptors) fails again at once: said once a minute per endpoint. */
  private readonly acceptFailures = new PerKeyLogThrottle(60_000);
  readonly refused: Record<RefusalReason, number> = { queue_full: 0, no_worker: 0 };

  constructor(private readonly options: PortOwnerOptions) {
    this.fullWarning = new QuietWarning(options.log);
  }

  add(nodeId: string, channel: PortsWorkerChannel): void {
    const previous = this.workers.get(nodeId);
    if (previous) this.remove(nodeId, previous.channel);
    const listener = (raw: unknown): void => this.received(nodeId, raw);
    this.workers.set(nodeId, { nodeId, channel, listener, open: 0, awaiting: 0 });
    channel.on('message', listener);
  }

  /**
   * The worker has exited and its channel was read to the end: every answer it wrote has been read. Its
   * endpoints lose it (an endpoint no worker takes is closed: clients are refused by the OS), and
   * the connections it had not taken go to the others.
   */
  remove(nodeId: string, channel: PortsWorkerChannel): void {
    const worker = this.workers.get(nodeId);
    if (worker?.channel !== channel) return; // already replaced by a worker started again under its name
    worker.channel.off('message', worker.listener);
    this.workers.delete(nodeId);
    for (const binding of [...this.bindings.values()]) this.unlisten(binding, nodeId);
    for (const [seq, connection] of this.awaiting) if (connection.nodeId === nodeId) this.retry(seq, connection);
  }

  /** Connections accepted and not yet taken by a worker. */
  get awaitingCount(): number {
    return this.awaiting.size;
  }

  /** Tells each worker what the parent holds and has refused, for its metrics. */
  report(): void {
    const message: ParentToWorkerPorts = { junction: 'handoff', awaiting: this.awaiting.size, refused: { ...this.refused } };
    for (const worker of this.workers.values()) worker.channel.send(message, undefined, () => {});
  }

  /** Stops accepting: every endpoint is closed, and connections no worker took yet are closed. */
  close(): void {
    this.closed = true;
    for (const binding of [...this.bindings.values()]) this.closeBinding(binding);
    for (const { socket } of this.awaiting.values()) socket.destroy();
    this.awaiting.clear();
  }

  private received(nodeId: string, raw: unknown): void {
    if (isJunctionMessage<Extract<WorkerToParentPorts, { junction: 'connection-taken' }>>(raw, 'connection-taken')) {
      const connection = this.take(raw.seq, nodeId);
      if (!connection) return;
      // The worker holds its own descriptor of the connection now; ours only kept it alive meanwhile.
      connection.socket.destroy();
      const worker = this.workers.get(nodeId);
      if (worker) worker.open = raw.open;
    } else if (isJunctionMessage<Extract<WorkerToParentPorts, { junction: 'connection-declined' }>>(raw, 'connection-declined')) {
      const connection = this.awaiting.get(raw.seq);
      if (connection?.nodeId === nodeId) this.retry(raw.seq, connection);
    } else if (isJunctionMessage<Extract<WorkerToParentPorts, { junction: 'connections-open' }>>(raw, 'connections-open')) {
      // Sent after its `connection-taken` answers on the same channel: the count is as recent.
      const worker = this.workers.get(nodeId);
      if (worker) worker.open = raw.count;
    } else if (isJunctionMessage<Extract<WorkerToParentPorts, { junction: 'listen' }>>(raw, 'listen')) {
      void this.listen(nodeId, raw.id, raw.endpoint, raw.listener);
    } else if (isJunctionMessage<Extract<WorkerToParentPorts, { junction: 'unlisten' }>>(raw, 'unlisten')) {
      const binding = this.bindings.get(raw.endpoint);
      if (binding) this.unlisten(binding, nodeId);
    }
  }

  private async listen(nodeId: string, id: number, endpoint: PortEndpoint, listener: string): Promise<void> {
    const key = endpointKey(endpoint, listener);
    if (this.closed) {
      const stopping: ParentToWorkerPorts = { junction: 'listen-failed', id, error: { message: 'the --workers parent is stopping' } };
      return void this.workers.get(nodeId)?.channel.send(stopping, undefined, () => {});
    }
    const binding = this.bindings.get(key) ?? this.bind(key, endpoint);
    binding.asking++;
    let answer: ParentToWorkerPorts;
    try {
      const address = await binding.bound;
      answer = { junction: 'listening', id, endpoint: key, address };
    } catch (error) {
      answer = { junction: 'listen-failed', id, error: listenError(error) };
    } finally {
      binding.asking--;
    }
    const worker = this.workers.get(nodeId);
    if (!worker) {
      // It died while the port was being bound: a port no worker serves is not kept open.
      if (binding.workers.size === 0 && binding.asking === 0) this.closeBinding(binding);
      return;
    }
    if (answer.junction === 'listening') {
      // Closed meanwhile (its last worker left): bound again for this one.
      if (this.bindings.get(key) !== binding) return this.listen(nodeId, id, endpoint, listener);
      // Taken into the turns before the answer leaves: the worker registers its server as it reads the answer.
      binding.workers.add(nodeId);
    }
    worker.channel.send(answer, undefined, () => {});
  }

  private bind(key: string, endpoint: PortEndpoint): Binding {
    const server = createServer({ pauseOnConnect: true });
    const binding: Binding = { key, endpoint, server, bound: listenOn(server, endpoint), workers: new Set(), asking: 0 };
    this.bindings.set(key, binding);
    server.on('connection', (socket: Socket) => this.accepted(binding, socket));
    binding.bound.then(() => {
      // Once bound, an error is a failed accept (a failed bind is the asking worker's answer).
      server.on('error', (error: NodeJS.ErrnoException) => {
        if (!this.acceptFailures.allow(key)) return;
        this.options.log.warn({ endpoint: key, code: error.code, err: error.message }, 'the --workers parent could not accept a connection');
      });
    }, () => {
      if (this.bindings.get(key) === binding) this.bindings.delete(key);
    });
    return binding;
  }

  private unlisten(binding: Binding, nodeId: string): void {
    binding.workers.delete(nodeId);
    if (binding.workers.size === 0 && binding.asking === 0) this.closeBinding(binding);
  }

  private closeBinding(binding: Binding): void {
    if (this.bindings.get(binding.key) !== binding) return;
    this.bindings.delete(binding.key);
    binding.server.close(() => {
      // A worker may have asked for the same Unix socket again meanwhile: its file is the new binding's.
      if (!this.bindings.has(binding.key)) void releaseEndpoint(binding.endpoint);
    });
  }

  private accepted(binding: Binding, socket: Socket): void {
    // Unread and never written: an error here only means the client went away; the close follows.
    socket.on('error', () => {});
    if (this.closed) return void socket.destroy();
    if (this.awaiting.size >= this.options.maxAwaiting) {
      this.refuse(socket, 'queue_full');
      if (!this.warnedFull) {
        this.warnedFull = true;
        this.fullWarning.warn({ awaiting: this.awaiting.size, maxAwaiting: this.options.maxAwaiting },
          'the workers are not taking their connections: new connections are closed until they catch up');
      }
      return;
    }
    this.warnedFull = false;
    this.handOff(++this.lastSeq, { socket, binding, nodeId: '', tried: new Set() });
  }

  /** Sends the connection to the least busy worker of its endpoint that has not had it yet; with none, closes it. */
  private handOff(seq: number, connection: AwaitingConnection): void {
    const worker = this.leastBusy(connection);
    if (!worker) {
      this.awaiting.delete(seq);
      return this.refuse(connection.socket, 'no_worker');
    }
    connection.nodeId = worker.nodeId;
    connection.tried.add(worker.nodeId);
    worker.awaiting++;
    this.awaiting.set(seq, connection);
    const message: ParentToWorkerPorts = { junction: 'connection', seq, endpoint: connection.binding.key };
    worker.channel.send(message, nativeHandle(connection.socket), (error) => {
      // The channel closed under it (the worker is dying): another worker takes it, unless it was answered for.
      if (error && this.awaiting.get(seq)?.nodeId === worker.nodeId) this.retry(seq, connection);
    });
  }

  private retry(seq: number, connection: AwaitingConnection): void {
    const worker = this.workers.get(connection.nodeId);
    if (worker) worker.awaiting--;
    this.handOff(seq, connection);
  }

  private take(seq: number, nodeId: string): AwaitingConnection | undefined {
    const connection = this.awaiting.get(seq);
    if (connection?.nodeId !== nodeId) return undefined;
    this.awaiting.delete(seq);
    const worker = this.workers.get(nodeId);
    if (worker) worker.awaiting--;
    return connection;
  }

  private leastBusy(connection: AwaitingConnection): PortWorker | undefined {
    const candidates: PortWorker[] = [];
    let least = Infinity;
    for (const nodeId of connection.binding.workers) {
      const worker = this.workers.get(nodeId);
      if (!worker || connection.tried.has(nodeId)) continue;
      const load = worker.open + worker.awaiting;
      if (load < least) {
        least = load;
        candidates.length = 0;
      }
      if (load === least) candidates.push(worker);
    }
    if (candidates.length === 0) return undefined;
    return candidates[this.turn++ % candidates.length];
  }

  private refuse(socket: Socket, reason: RefusalReason): void {
    this.refused[reason]++;
    socket.destroy();
  }
}

/**
 * The connection's libuv handle. Sent as it is, the worker gets the bare handle and starts reading
 * only once it has told us it took it; a net.Socket would be read from the moment it arrived, and
 * a worker killed then would take bytes of the client's handshake with it.
 */
function nativeHandle(socket: Socket): unknown {
  return (socket as unknown as { _handle: unknown })._handle;
}

function listenError(error: unknown): ListenError {
  const err = error as NodeJS.ErrnoException & { address?: string; port?: number };
  return {
    message: err.message ?? String(error),
    ...(err.code !== undefined && { code: err.code }),
    ...(err.address !== undefined && { address: err.address }),
    ...(err.port !== undefined && { port: err.port }),
  };
}
