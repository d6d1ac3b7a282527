import type { MeshLink, MeshMessage } from '../../router/backplane-mesh.js';
import { isJunctionMessage, type ParentToWorker, type WorkerToParent } from './ipc-messages.js';

/** The worker's end of an IPC channel: `process` in a worker, a stand-in in tests. */
export interface ParentChannel {
  send(message: WorkerToParent): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** A mesh link through the parent process: the parent relays each message to the workers it names. */
export function ipcLink(channel: ParentChannel): MeshLink {
  let listener: ((message: unknown) => void) | undefined;
  let open = true;
  return {
    send(message: MeshMessage, to?: readonly string[]) {
      if (open) channel.send(to === undefined ? { junction: 'mesh', message } : { junction: 'mesh', message, to });
    },
    onMessage(receive) {
      listener = (raw: unknown) => {
        if (isJunctionMessage<ParentToWorker>(raw, 'mesh')) receive(raw.message, raw.from);
      };
      channel.on('message', listener);
    },
    async close() {
      open = false;
      if (listener) channel.off('message', listener);
    },
  };
}
