import type { ClaimAnswer } from '../../router/backplane.js';
import type { MeshMessage } from '../../router/backplane-mesh.js';
import type { InvocationPolicy } from '../../router/options.js';
import type { FeedEntry, FeedLimits } from './leased-feed.js';

/**
 * What a worker and its parent say over the IPC channel. Every message carries the `junction`
 * key, so anything else on the channel (node:cluster's own messages) is left alone. What one side
 * sends in one turn travels as one `IpcBatch` of them (ipc-batch.ts).
 */
export type WorkerToParent =
  | { junction: 'mesh'; message: MeshMessage; to?: readonly string[] }
  /** The worker serves: its listeners are bound. */
  | { junction: 'ready' }
  /** The parent keeps the cluster's claims on procedures: one answer per claim, in order. */
  | { junction: 'claim'; id: number; key: string; invoke: InvocationPolicy }
  /** Answered with `released` once the parent has taken it. */
  | { junction: 'release'; id: number; key: string }
  /** The parent keeps the seats of bounded groups (Backplane.seat): one `seated` per seat, in order. */
  | { junction: 'seat'; id: number; group: string; member: string; limit?: number }
  | { junction: 'unseat'; group: string; member: string }
  /** Leased feeds (leased-feed.ts): compete for a feed's lease, append to it, acknowledge what was taken. */
  | { junction: 'feed-join'; feed: string; limits: FeedLimits }
  | { junction: 'feed-append'; feed: string; id: number; entry: FeedEntry }
  | { junction: 'feed-ack'; feed: string; upTo: number }
  | { junction: 'feed-leave'; feed: string };

export type ParentToWorker =
  | { junction: 'mesh'; message: MeshMessage; from: string }
  | { junction: 'claimed'; id: number; answer: ClaimAnswer }
  | { junction: 'released'; id: number }
  | { junction: 'seated'; id: number; seated: boolean }
  | { junction: 'feed-appended'; id: number; refused?: string }
  /** The receiver now holds the feed's lease (until it exits or leaves the feed). */
  | { junction: 'feed-lease'; feed: string }
  /** Who holds the feed's lease now: told to every worker that joined it. */
  | { junction: 'feed-holder'; feed: string; node: string | undefined }
  | { junction: 'feed-entries'; feed: string; entries: FeedEntry[]; upTo: number }
  /** Every second: bytes the parent holds for this worker, and workers it gave up for a full buffer (for metrics). */
  | { junction: 'relay'; queuedBytes: number; overflows: number };

/** The environment variable through which the parent names each worker's node. */
export const nodeIdVariable = 'JUNCTION_NODE_ID';

/** The node name of worker `index` (1-based): w1, w2, ... A restarted worker takes its predecessor's name and starts clean. */
export function workerNodeId(index: number): string {
  return `w${index}`;
}

/** The environment variable through which the parent passes --relay-buffer to each worker (its own outgoing bound). */
export const relayBufferVariable = 'JUNCTION_RELAY_BUFFER';

export function isJunctionMessage<T extends { junction: string }>(value: unknown, kind: T['junction']): value is T {
  return typeof value === 'object' && value !== null && (value as { junction?: unknown }).junction === kind;
}
