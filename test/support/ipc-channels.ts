import { EventEmitter } from 'node:events';
import type { ParentChannel } from '../../src/node/cluster/ipc-link.js';
import type { WorkerChannel } from '../../src/node/cluster/ipc-relay.js';

/**
 * A parent's and a worker's ends of one IPC channel, in process: every message is copied and
 * delivered later, in order, as Node's IPC does. `cut` makes it behave as the channel of a
 * worker that died.
 */
export function channelPair(): { parent: WorkerChannel; worker: ParentChannel; cut(): void } {
  const toParent = new EventEmitter();
  const toWorker = new EventEmitter();
  let connected = true;
  const post = (target: EventEmitter, message: unknown): void => {
    const copy = structuredClone(message);
    setImmediate(() => connected && target.emit('message', copy));
  };
  return {
    parent: {
      send: (message, callback) => {
        if (connected) post(toWorker, message);
        callback(connected ? null : new Error('channel closed'));
      },
      on: (event, listener) => toParent.on(event, listener),
      off: (event, listener) => toParent.off(event, listener),
    },
    worker: {
      send: (message, written) => {
        if (connected) post(toParent, message);
        written?.(connected ? null : new Error('channel closed'));
      },
      on: (event, listener) => toWorker.on(event, listener),
      off: (event, listener) => toWorker.off(event, listener),
    },
    cut: () => void (connected = false),
  };
}
