import { Socket, type Server, type SocketConstructorOpts } from 'node:net';
import type { EndpointConfig } from '../../config/model.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import type { BoundAddress, PortSource } from '../socket-server.js';
import { isJunctionMessage } from './ipc-messages.js';
import { endpointKey, type ListenError, type ParentToWorkerPorts, type WorkerToParentPorts } from './handoff-messages.js';

/** The worker's end of its IPC channel, for the ports: `process` in a worker, a stand-in in tests. */
export interface PortsParentChannel {
  send(message: WorkerToParentPorts, callback?: (error: Error | null) => void): unknown;
  on(event: 'message', listener: (message: unknown, handle?: unknown) => void): unknown;
}

/** What net.Server sets on each socket it accepts, read from the server as net.Server's own accept does. */
interface AcceptSettings {
  allowHalfOpen?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  /** In seconds, as net.Server keeps it. */
  keepAliveInitialDelay?: number;
}

interface PendingListen {
  key: string;
  server: Server;
  resolve(address: BoundAddress): void;
  reject(error: Error): void;
}

/**
 * A `--workers` worker's ports: its listeners' servers do not bind; the parent (handoff-parent.ts)
 * binds each endpoint once and hands this worker connections, which it passes to the endpoint's
 * server as if that server had accepted them ('connection'). Each is confirmed to the parent before
 * a byte of it is read. The parent's counts (connections it holds, refused) become this worker's
 * metrics, so /metrics of any worker shows them.
 */
export function portsFromParent(channel: PortsParentChannel, metrics: MetricsRegistry): PortSource {
  const servers = new Map<string, Server>();
  const listening = new Map<number, PendingListen>();
  const awaiting = metrics.gauge('junction_workers_connections_awaiting',
    'Connections the --workers parent accepted and no worker has taken yet (bounded; see docs/cluster.md)');
  const refused = metrics.counter('junction_workers_connections_refused_total',
    'Connections the --workers parent closed without handing them to a worker, by reason (queue_full, no_worker)');
  let lastListen = 0;
  let open = 0;
  let reportPending = false;

  const send = (message: WorkerToParentPorts, written: (error: Error | null) => void = () => {}): void => {
    channel.send(message, written);
  };
  // A connection taken tells the count itself; closes are told in the next turn of the event loop
  // (all of that turn's in one message). A count that lags behind the clients' closes skews
  // the next burst of connections toward the other workers: measured, a 10 ms delay did.
  const closed = (): void => {
    open--;
    if (reportPending) return;
    reportPending = true;
    setImmediate(() => {
      reportPending = false;
      send({ junction: 'connections-open', count: open });
    });
  };

  const take = (message: Extract<ParentToWorkerPorts, { junction: 'connection' }>, handle: NativeHandle): void => {
    const server = servers.get(message.endpoint);
    if (!server) {
      handle.close();
      return send({ junction: 'connection-declined', seq: message.seq });
    }
    // Read from only once the parent is sure to hear that we took it: if this worker dies before
    // the answer is written, the parent gives the same, unread connection to another worker.
    open++;
    send({ junction: 'connection-taken', seq: message.seq, open }, (error) => {
      if (error || servers.get(message.endpoint) !== server) {
        handle.close();
        return closed();
      }
      const settings = server as unknown as AcceptSettings;
      const options = { handle, readable: true, writable: true, allowHalfOpen: settings.allowHalfOpen } as SocketConstructorOpts;
      const socket = new Socket(options);
      if (settings.noDelay) socket.setNoDelay(true);
      if (settings.keepAlive) socket.setKeepAlive(true, (settings.keepAliveInitialDelay ?? 0) * 1000);
      socket.once('close', closed);
      server.emit('connection', socket);
    });
  };

  channel.on('message', (raw, handle) => {
    if (isJunctionMessage<Extract<ParentToWorkerPorts, { junction: 'connection' }>>(raw, 'connection')) {
      take(raw, handle as NativeHandle);
    } else if (isJunctionMessage<Extract<ParentToWorkerPorts, { junction: 'listening' }>>(raw, 'listening')) {
      const pending = listening.get(raw.id);
      if (!pending) return;
      listening.delete(raw.id);
      // Registered before the next message is read: the parent may send a connection right after.
      servers.set(pending.key, pending.server);
      pending.resolve(raw.address);
    } else if (isJunctionMessage<Extract<ParentToWorkerPorts, { junction: 'listen-failed' }>>(raw, 'listen-failed')) {
      listening.get(raw.id)?.reject(bindError(raw.error));
      listening.delete(raw.id);
    } else if (isJunctionMessage<Extract<ParentToWorkerPorts, { junction: 'handoff' }>>(raw, 'handoff')) {
      awaiting.set(raw.awaiting);
      for (const [reason, count] of Object.entries(raw.refused)) refused.setTotal(count, { reason });
    }
  });

  return {
    listen(server: Server, endpoint: EndpointConfig, listener: string): Promise<BoundAddress> {
      const key = endpointKey(endpoint, listener);
      if (servers.has(key) || [...listening.values()].some((pending) => pending.key === key)) {
        return Promise.reject(bindError({ message: `${key} is already served by this worker`, code: 'EADDRINUSE', address: endpoint.interface, port: endpoint.port }));
      }
      const id = ++lastListen;
      const { type, port, interface: host, path, backlog } = endpoint;
      return new Promise<BoundAddress>((resolve, reject) => {
        listening.set(id, { key, server, resolve, reject });
        send({ junction: 'listen', id, endpoint: { type, port, interface: host, path, backlog }, listener });
      }).then((address) => {
        server.once('close', () => {
          if (servers.get(key) !== server) return;
          servers.delete(key);
          send({ junction: 'unlisten', endpoint: key });
        });
        // What a server that bound would say: node:http starts its request timeout checks on it.
        server.emit('listening');
        return address;
      });
    },
    // The parent owns the endpoint: it removes a Unix socket file when no worker serves it any more.
    release: async () => {},
  };
}

/** A connection's bare libuv handle, as the parent sent it. */
interface NativeHandle {
  close(): void;
}

/** The parent's bind failure as the error the worker's own bind would have thrown. */
function bindError(error: ListenError): Error {
  return Object.assign(new Error(error.message), error);
}
