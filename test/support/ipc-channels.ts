import { EventEmitter } from 'node:events';
import type { RawChannel } from '../../src/node/cluster/ipc-batch.js';
import type { WorkerToParent } from '../../src/node/cluster/ipc-messages.js';
import type { WorkerChannel } from '../../src/node/cluster/ipc-relay.js';

/**
 * A parent's and a worker's ends of one IPC channel, in process: every message is copied and
 * delivered later, in order, as Node's IPC does (the worker's end unbatched: give it to
 * batchedChannel as worker.ts does with `process`). `cut` makes it behave as the channel of a
 * worker that died. `sent` counts the messages written each way (a batch is one).
 */
export function channelPair(): { parent: WorkerChannel; worker: RawChannel<WorkerToParent>; cut(): void; sent: { toParent: number; toWorker: number } } {
  const toParent = new EventEmitter();
  const toWorker = new EventEmitter();
  let connected = true;
  const sent = { toParent: 0, toWorker: 0 };
  const post = (target: EventEmitter, message: unknown): void => {
    const copy = structuredClone(message);
    setImmediate(() => connected && target.emit('message', copy));
  };
  return {
    parent: {
      send: (message, callback) => {
        sent.toWorker++;
        if (connected) post(toWorker, message);
        callback(connected ? null : new Error('channel closed'));
      },
      on: (event, listener) => toParent.on(event, listener),
      off: (event, listener) => toParent.off(event, listener),
    },
    worker: {
      send: (message, written) => {
        sent.toParent++;
        if (connected) post(toParent, message);
        written(connected ? null : new Error('channel closed'));
      },
      on: (event, listener) => toWorker.on(event, listener),
      off: (event, listener) => toWorker.off(event, listener),
    },
    cut: () => void (connected = false),
    sent,
  };
}
