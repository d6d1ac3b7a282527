import { ClaimTable } from '../../router/backplane-claims.js';
import { silentLogger, type Logger } from '../../router/log.js';
import { FeedRelay } from './ipc-feed-relay.js';
import { isJunctionMessage, type ParentToWorker, type WorkerToParent } from './ipc-messages.js';

/** The parent's end of one worker's IPC channel: a cluster Worker, or a stand-in in tests. */
export interface WorkerChannel {
  send(message: ParentToWorker, callback: (error: Error | null) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/**
 * The parent's part in the IPC backplane: it relays each worker's mesh messages to the workers
 * they name (or to all others), in the order received, and says `gone` for a worker that exits,
 * so no worker keeps routing to a dead one. It holds no routing state of its own, only the
 * claims on procedures (which must be atomic, so one process decides them).
 */
export class IpcRelay {
  private readonly workers = new Map<string, { channel: WorkerChannel; listener: (message: unknown) => void }>();
  private readonly claims = new ClaimTable();
  private readonly feeds: FeedRelay;

  constructor(log: Logger = silentLogger) {
    this.feeds = new FeedRelay((node, message) => {
      const worker = this.workers.get(node);
      if (worker) trySend(worker.channel, message);
    }, log);
  }

  add(nodeId: string, channel: WorkerChannel): void {
    if (this.workers.has(nodeId)) throw new Error(`worker node "${nodeId}" is already relayed`);
    const listener = (raw: unknown): void => {
      if (isJunctionMessage<Extract<WorkerToParent, { junction: 'mesh' }>>(raw, 'mesh')) this.relay(nodeId, raw);
      else if (isJunctionMessage<Extract<WorkerToParent, { junction: 'claim' }>>(raw, 'claim')) {
        trySend(channel, { junction: 'claimed', id: raw.id, answer: this.claims.claim(nodeId, raw.key, raw.invoke) });
      } else if (isJunctionMessage<Extract<WorkerToParent, { junction: 'release' }>>(raw, 'release')) {
        this.claims.release(nodeId, raw.key);
      } else if (isFeedMessage(raw)) this.feeds.handle(nodeId, raw);
    };
    channel.on('message', listener);
    this.workers.set(nodeId, { channel, listener });
  }

  /** The worker exited (or is being replaced): the others forget everything it announced. */
  remove(nodeId: string): void {
    const worker = this.workers.get(nodeId);
    if (!worker) return;
    worker.channel.off('message', worker.listener);
    this.workers.delete(nodeId);
    this.claims.dropNode(nodeId);
    this.feeds.dropNode(nodeId);
    this.relay(nodeId, { junction: 'mesh', message: { k: 'gone' } });
  }

  private relay(from: string, { message, to }: Extract<WorkerToParent, { junction: 'mesh' }>): void {
    const envelope: ParentToWorker = { junction: 'mesh', message, from };
    if (to === undefined) {
      for (const [nodeId, worker] of this.workers) if (nodeId !== from) trySend(worker.channel, envelope);
      return;
    }
    for (const nodeId of to) {
      const worker = this.workers.get(nodeId);
      if (worker) trySend(worker.channel, envelope);
    }
  }
}

function isFeedMessage(raw: unknown): raw is Extract<WorkerToParent, { junction: `feed-${string}` }> {
  const kind = (raw as { junction?: unknown } | null)?.junction;
  return typeof kind === 'string' && kind.startsWith('feed-');
}

/** A worker whose channel just closed cannot be written to: the error is expected, and its exit is handled by `remove`. */
function trySend(channel: WorkerChannel, message: ParentToWorker): void {
  channel.send(message, ignoreClosedChannel);
}

function ignoreClosedChannel(): void {}
