import type { ClaimAnswer } from '../../router/backplane.js';
import type { MeshLink, MeshMessage } from '../../router/backplane-mesh.js';
import type { BackplaneMetrics } from '../../router/backplane-metrics.js';
import { isJunctionMessage, type ParentToWorker, type WorkerToParent } from './ipc-messages.js';

/** The worker's end of an IPC channel: `process` in a worker, a stand-in in tests. */
export interface ParentChannel {
  send(message: WorkerToParent): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** A mesh link through the parent process: the parent relays each message to the workers it names and answers claims. */
export function ipcLink(channel: ParentChannel): MeshLink {
  let receive: ((message: MeshMessage, from: string) => void) | undefined;
  let open = true;
  let lastClaim = 0;
  let metrics: BackplaneMetrics | undefined;
  const claims = new Map<number, (answer: ClaimAnswer) => void>();
  const listener = (raw: unknown): void => {
    if (isJunctionMessage<Extract<ParentToWorker, { junction: 'mesh' }>>(raw, 'mesh')) receive?.(raw.message, raw.from);
    else if (isJunctionMessage<Extract<ParentToWorker, { junction: 'claimed' }>>(raw, 'claimed')) {
      claims.get(raw.id)?.(raw.answer);
      claims.delete(raw.id);
    } else if (isJunctionMessage<Extract<ParentToWorker, { junction: 'relay' }>>(raw, 'relay')) {
      metrics?.relayQueuedBytes.set(raw.queuedBytes);
      metrics?.relayOverflows.setTotal(raw.overflows);
    }
  };
  channel.on('message', listener);
  return {
    send(message: MeshMessage, to?: readonly string[]) {
      if (open) channel.send(to === undefined ? { junction: 'mesh', message } : { junction: 'mesh', message, to });
    },
    onMessage(handler) {
      receive = handler;
    },
    claim(key, invoke) {
      const id = ++lastClaim;
      return new Promise<ClaimAnswer>((resolve) => {
        claims.set(id, resolve);
        channel.send({ junction: 'claim', id, key, invoke });
      });
    },
    release(key) {
      if (open) channel.send({ junction: 'release', key });
    },
    instrument(given) {
      metrics = given;
    },
    async close() {
      open = false;
      channel.off('message', listener);
      // Claims still waiting would never be answered: this node is on its own from here.
      for (const resolve of claims.values()) resolve({ ok: true });
      claims.clear();
    },
  };
}
