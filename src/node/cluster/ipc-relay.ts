import { ClaimTable } from '../../router/backplane-claims.js';
import { SeatTable } from '../../router/backplane-seats.js';
import { silentLogger, type Logger } from '../../router/log.js';
import { payloadBytes } from '../../router/limits/payload-bytes.js';
import { eachMessage, TurnBatch, type RawChannel } from './ipc-batch.js';
import { FeedRelay } from './ipc-feed-relay.js';
import { isJunctionMessage, type ParentToWorker, type WorkerToParent } from './ipc-messages.js';

/** The parent's end of one worker's IPC channel: a cluster Worker, or a stand-in in tests. */
export type WorkerChannel = RawChannel<ParentToWorker>;

export interface IpcRelayOptions {
  /** Bytes (estimated) the parent may hold for one worker, written to its channel but not yet taken by it. */
  maxQueuedBytes: number;
  /**
   * A worker's buffer passed `maxQueuedBytes`: it does not read its channel (stuck, or far too
   * slow). Called once; nothing more is sent to it, and the caller is expected to end it.
   */
  onOverflow(nodeId: string, queuedBytes: number): void;
}

interface RelayedWorker {
  nodeId: string;
  channel: WorkerChannel;
  listener: (message: unknown) => void;
  /** What this turn relays to it, written at the turn's end as one message. */
  batch: TurnBatch<ParentToWorker>;
  /** Estimated bytes sent to it whose write has not completed. */
  queuedBytes: number;
  overflowed: boolean;
  /** It has said something on the mesh (its hello): it listens to its channel, which it does only once its modules are loaded. */
  joined: boolean;
}

/**
 * The parent's part in the IPC backplane: it relays each worker's mesh messages to the workers
 * they name (or to all others), in the order received, and says `gone` for a worker that exits,
 * so no worker keeps routing to a dead one. What it relays to a worker in one turn leaves as one
 * IPC message (ipc-batch.ts). It holds no routing state of its own, only the
 * claims on procedures and the seats of bounded groups (which must be atomic, so one process decides them).
 *
 * What it holds for a worker that does not read is bounded: past `maxQueuedBytes` the worker is
 * given up (onOverflow). Dropping messages instead would leave its view of the cluster wrong for
 * good (a lost announcement, a call reply that never comes); a worker that ends is something every
 * other node already handles (its calls fail at once, its sessions leave everywhere).
 */
export class IpcRelay {
  private readonly workers = new Map<string, RelayedWorker>();
  private readonly claims = new ClaimTable();
  private readonly seats = new SeatTable();
  private readonly feeds: FeedRelay;
  /** Workers given up for a full buffer since the relay started. */
  overflows = 0;

  constructor(private readonly options: IpcRelayOptions, private readonly log: Logger = silentLogger) {
    this.feeds = new FeedRelay((node, message) => {
      const worker = this.workers.get(node);
      if (worker) this.send(worker, message, payloadBytes([message]));
    }, log);
  }

  add(nodeId: string, channel: WorkerChannel): void {
    if (this.workers.has(nodeId)) throw new Error(`worker node "${nodeId}" is already relayed`);
    const handle = (raw: unknown): void => {
      if (isJunctionMessage<Extract<WorkerToParent, { junction: 'mesh' }>>(raw, 'mesh')) {
        worker.joined = true;
        this.relay(nodeId, raw);
      }
      else if (isJunctionMessage<Extract<WorkerToParent, { junction: 'claim' }>>(raw, 'claim')) {
        this.send(worker, { junction: 'claimed', id: raw.id, answer: this.claims.claim(nodeId, raw.key, raw.invoke) }, 0);
      } else if (isJunctionMessage<Extract<WorkerToParent, { junction: 'release' }>>(raw, 'release')) {
        this.claims.release(nodeId, raw.key);
        this.send(worker, { junction: 'released', id: raw.id }, 0);
      } else if (isJunctionMessage<Extract<WorkerToParent, { junction: 'seat' }>>(raw, 'seat')) {
        this.send(worker, { junction: 'seated', id: raw.id, seated: this.seats.seat(nodeId, raw.group, raw.member, raw.limit) }, 0);
      } else if (isJunctionMessage<Extract<WorkerToParent, { junction: 'unseat' }>>(raw, 'unseat')) {
        this.seats.unseat(nodeId, raw.group, raw.member);
      } else if (isFeedMessage(raw)) this.feeds.handle(nodeId, raw);
    };
    const listener = (raw: unknown): void => eachMessage(raw, handle);
    const worker: RelayedWorker = {
      nodeId, channel, listener, queuedBytes: 0, overflowed: false, joined: false,
      batch: new TurnBatch((message, written) => channel.send(message, written), {
        written: (bytes) => void (worker.queuedBytes -= bytes),
        unsent: (error, message) => this.log.error({ node: nodeId, junction: message.junction, err: error }, 'a message to a worker could not be serialized: dropped'),
      }),
    };
    channel.on('message', listener);
    this.workers.set(nodeId, worker);
  }

  /** The worker exited (or is being replaced): the others forget everything it announced. */
  remove(nodeId: string): void {
    const worker = this.workers.get(nodeId);
    if (!worker) return;
    worker.channel.off('message', worker.listener);
    worker.batch.close();
    this.workers.delete(nodeId);
    this.claims.dropNode(nodeId);
    this.seats.dropNode(nodeId);
    this.feeds.dropNode(nodeId);
    this.relay(nodeId, { junction: 'mesh', message: { k: 'gone' } });
  }

  /** Bytes (estimated) held for a worker now. */
  queuedBytes(nodeId: string): number {
    return this.workers.get(nodeId)?.queuedBytes ?? 0;
  }

  /** Tells each worker what the relay holds for it and how many workers it gave up, for its metrics. */
  report(): void {
    for (const worker of this.workers.values()) {
      this.send(worker, { junction: 'relay', queuedBytes: worker.queuedBytes, overflows: this.overflows }, 0);
    }
  }

  private relay(from: string, { message, to }: Extract<WorkerToParent, { junction: 'mesh' }>): void {
    // A worker that leaves frees its claims before the others hear it: one may claim them at once.
    if (message.k === 'gone') {
      this.claims.dropNode(from);
      this.seats.dropNode(from);
    }
    const envelope: ParentToWorker = { junction: 'mesh', message, from };
    const bytes = payloadBytes([message]);
    if (to === undefined) {
      for (const [nodeId, worker] of this.workers) if (nodeId !== from) this.send(worker, envelope, bytes);
      return;
    }
    for (const nodeId of to) {
      const worker = this.workers.get(nodeId);
      if (message.k === 'ask' && !worker?.joined) this.answerUnserved(from, nodeId, message.id);
      else if (worker) this.send(worker, envelope, bytes);
    }
  }

  /**
   * A question to a worker not in the mesh (it died and is not started again yet, or is still
   * loading its modules, when what reaches it is lost; or never was) is answered on its behalf at
   * once, as one restarted with nothing serving the channel yet would: it held the asker (a relayed
   * long-poll request, its client) until its timeout.
   */
  private answerUnserved(asker: string, nodeId: string, id: number): void {
    const worker = this.workers.get(asker);
    if (!worker) return;
    const error = `router node "${nodeId}" is not in the cluster now (a worker that died is started again without what it held)`;
    this.send(worker, { junction: 'mesh', from: nodeId, message: { k: 'answer', id, error, unserved: true } }, 0);
  }

  /**
   * Queues a message to a worker for this turn's batch and holds `bytes` (its estimate; 0 for the
   * parent's own small answers) until the batch is written. A write to a worker whose channel just
   * closed fails: expected, and its exit is handled by `remove`.
   */
  private send(worker: RelayedWorker, message: ParentToWorker, bytes: number): void {
    if (worker.overflowed) return;
    worker.queuedBytes += bytes;
    worker.batch.add(message, bytes);
    if (worker.queuedBytes <= this.options.maxQueuedBytes) return;
    worker.overflowed = true;
    this.overflows++;
    this.options.onOverflow(worker.nodeId, worker.queuedBytes);
  }
}

function isFeedMessage(raw: unknown): raw is Extract<WorkerToParent, { junction: `feed-${string}` }> {
  const kind = (raw as { junction?: unknown } | null)?.junction;
  return typeof kind === 'string' && kind.startsWith('feed-');
}
