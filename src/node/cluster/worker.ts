import cluster from 'node:cluster';
import type { ParentChannel } from './ipc-link.js';
import { nodeIdVariable, type WorkerToParent } from './ipc-messages.js';

/** This process's part in `--workers`: its name and its channel to the parent; undefined when it runs alone. */
export interface WorkerRole {
  nodeId: string;
  channel: ParentChannel;
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
  const channel = process as unknown as ParentChannel;
  let orphaned: (() => void) | undefined;
  return {
    nodeId,
    channel,
    ready: () => channel.send({ junction: 'ready' } satisfies WorkerToParent),
    onOrphaned: (handler) => void process.once('disconnect', (orphaned = handler)),
    leave: () => {
      if (orphaned) process.off('disconnect', orphaned);
      if (process.connected) process.disconnect();
    },
  };
}
