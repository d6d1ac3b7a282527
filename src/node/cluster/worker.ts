import cluster from 'node:cluster';
import type { JunctionConfig } from '../../config/model.js';
import type { PortsParentChannel } from './handoff-worker.js';
import { batchedChannel, type RawChannel } from './ipc-batch.js';
import type { ParentChannel } from './ipc-link.js';
import { nodeIdVariable, relayBufferVariable, workerNodeId, type WorkerToParent } from './ipc-messages.js';

/** A worker whose parent is gone stops as on SIGTERM, but exits after this long at most. */
const ORPHANED_STOP_LIMIT_MS = 10_000;

/** This process's part in `--workers`: its name and its channel to the parent; undefined when it runs alone. */
export interface WorkerRole {
  nodeId: string;
  channel: ParentChannel;
  /** The same channel, for the connections the parent hands this worker (handoff-worker.ts). */
  ports: PortsParentChannel;
  /** --relay-buffer, as the parent passed it: the bound on what this worker holds for the parent too. */
  relayBufferBytes: number;
  /** Tells the parent this worker serves (its listeners are bound). */
  ready(): void;
  /** Called once if the parent goes away: a worker never outlives it. */
  onOrphaned(handler: () => void): void;
  /** The worker has stopped: closing the channel to the parent lets the process exit. */
  leave(): void;
}

export function workerRole(): WorkerRole | undefined {
  const nodeId = process.env[nodeIdVariable];
  if (!cluster.isWorker || nodeId === undefined) return undefined;
  const raw = process as unknown as RawChannel<WorkerToParent>;
  const channel = batchedChannel(raw);
  let orphaned: (() => void) | undefined;
  let leaving = false;
  // A parent killed while this worker starts (before its node serves and hands onOrphaned its
  // handler) exits it at once; one gone already, the same.
  const parentGone = (): void => {
    if (leaving) return;
    if (!orphaned) {
      process.stderr.write(`junction worker ${nodeId}: the parent process is gone while this worker was starting; exiting\n`);
      process.exit(1);
    }
    // Nobody waits for this worker any more: its stop may not hang it.
    setTimeout(() => {
      process.stderr.write(`junction worker ${nodeId}: the parent process is gone and stopping took over ${ORPHANED_STOP_LIMIT_MS} ms; exiting\n`);
      process.exit(1);
    }, ORPHANED_STOP_LIMIT_MS).unref();
    orphaned();
  };
  // node:cluster's own listener (there from the process's start) would exit at once with code 0,
  // before ours runs: ours takes its place, so a serving node stops as on SIGTERM.
  process.removeAllListeners('disconnect');
  if (process.connected) process.once('disconnect', parentGone);
  else parentGone();
  return {
    nodeId,
    channel,
    ports: process as unknown as PortsParentChannel,
    relayBufferBytes: Number(process.env[relayBufferVariable]),
    // Not batched: the parent reads it apart from the relay (workers.ts), and nothing depends on its order.
    ready: () => raw.send({ junction: 'ready' }, () => {}),
    onOrphaned: (handler) => void (orphaned = handler),
    leave: () => {
      leaving = true;
      channel.flush();
      if (process.connected) process.disconnect();
    },
  };
}
/**
 * What a worker runs of the config. Pusher apps' webhooks run in the first worker only (one
 * outbox per app; the other workers' channel events reach it through the backplane). A
 * forwarder runs where its lease is (leased-feed.ts); other components (REST callees, programs)
 * serve calls and run in every worker, as do a router worker's Python components (each worker
 * runs its own process of them, as it runs its own bridge components). Guest workers run in none:
 * the parent runs them once.
 */
export function configForWorker(config: JunctionConfig, nodeId: string): JunctionConfig {
  // Guest workers run in the parent, once (parent-guests.ts).
  if (nodeId === workerNodeId(1)) return { ...config, guests: [] };
  return {
    ...config,
    guests: [],
    listeners: config.listeners.map((listener) => listener.pusher
      ? { ...listener, pusher: { ...listener.pusher, apps: listener.pusher.apps.map((app) => ({ ...app, webhooks: [] })) } }
      : listener),
  };
}
