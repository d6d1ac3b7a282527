import type { EndpointConfig } from '../../config/model.js';
import type { BoundAddress } from '../socket-server.js';

/**
 * What a worker and its parent say about the ports (handoff-parent.ts, handoff-worker.ts). Like
 * ipc-messages.ts, every message carries the `junction` key; the relay and the link ignore these.
 */

/** What the parent needs of an endpoint to bind it (TLS stays in the worker, which does the handshake). */
export type PortEndpoint = Pick<EndpointConfig, 'type' | 'port' | 'interface' | 'path' | 'backlog'>;

/** A bind failure as the parent saw it: enough for the worker to say why, as if it had bound (listenFailure). */
export interface ListenError {
  message: string;
  code?: string;
  address?: string;
  port?: number;
}

export type WorkerToParentPorts =
  /** Hand me this endpoint's connections (the parent binds it if no worker has yet). Answered by `listening`. */
  | { junction: 'listen'; id: number; endpoint: PortEndpoint; listener: string }
  /** My server for this endpoint closed: hand me no more of its connections. */
  | { junction: 'unlisten'; endpoint: string }
  /**
   * I took connection `seq` (the parent closes its copy), and have `open` connections now, it
   * included. Written before this worker reads a byte of it.
   */
  | { junction: 'connection-taken'; seq: number; open: number }
  /** I have no server for connection `seq` any more: give it to another worker. */
  | { junction: 'connection-declined'; seq: number }
  /** How many of the connections handed to me are open now, after some closed (the parent hands the next one to the least busy). */
  | { junction: 'connections-open'; count: number };

export type ParentToWorkerPorts =
  | { junction: 'listening'; id: number; endpoint: string; address: BoundAddress }
  | { junction: 'listen-failed'; id: number; error: ListenError }
  /** Sent with the connection's handle; the worker answers `connection-taken` or `connection-declined`. */
  | { junction: 'connection'; seq: number; endpoint: string }
  /** Every second, for the worker's metrics: connections the parent holds now, and those it closed for want of a worker. */
  | { junction: 'handoff'; awaiting: number; refused: { queue_full: number; no_worker: number } };

/**
 * One endpoint's name, the same in the parent and every worker: what they agree a connection is
 * for. Port 0 is one port per listener (the transport id), as each listener of one process gets.
 */
export function endpointKey(endpoint: PortEndpoint, listener: string): string {
  if (endpoint.type === 'unix') return `unix:${endpoint.path}`;
  return endpoint.port === 0 ? `tcp:${endpoint.interface}:0:${listener}` : `tcp:${endpoint.interface}:${endpoint.port}`;
}
