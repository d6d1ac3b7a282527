import type { MeshMessage } from '../../router/backplane-mesh.js';

/**
 * What a worker and its parent say over the IPC channel. Every message carries the `junction`
 * key, so anything else on the channel (node:cluster's own messages) is left alone.
 */
export type WorkerToParent =
  | { junction: 'mesh'; message: MeshMessage; to?: readonly string[] }
  /** The worker serves: its listeners are bound. */
  | { junction: 'ready' };

export type ParentToWorker = { junction: 'mesh'; message: MeshMessage; from: string };

/** The environment variable through which the parent names each worker's node. */
export const nodeIdVariable = 'JUNCTION_NODE_ID';

export function isJunctionMessage<T extends { junction: string }>(value: unknown, kind: T['junction']): value is T {
  return typeof value === 'object' && value !== null && (value as { junction?: unknown }).junction === kind;
}
