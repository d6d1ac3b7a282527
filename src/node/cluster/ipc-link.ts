import type { ClaimAnswer } from '../../router/backplane.js';
import type { MeshLink, MeshMessage } from '../../router/backplane-mesh.js';
import type { BackplaneMetrics } from '../../router/backplane-metrics.js';
import { payloadBytes } from '../../router/limits/payload-bytes.js';
import type { Logger } from '../../router/log.js';
import { isJunctionMessage, type ParentToWorker, type WorkerToParent } from './ipc-messages.js';

/** The worker's end of its IPC channel: `process` batched per turn (ipc-batch.ts) in a worker, a stand-in in tests. */
export interface ParentChannel {
  /** `written` is called once the message has left this process (or could not). */
  send(message: WorkerToParent, written?: (error: Error | null) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  /** Who hears of a message that could not be sent (ipc-batch.ts); unbatched channels throw instead. */
  onUnsent?(report: (error: Error, message: WorkerToParent) => void): void;
}

export interface IpcLinkOptions {
  /** Bytes (estimated) of publications handed to the parent and not yet written to it, at most (--relay-buffer). */
  maxPendingBytes: number;
  log: Logger;
}

/**
 * A mesh link through the parent process: the parent relays each message to the workers it names
 * and answers claims. What this worker has not yet written to a parent that does not keep up is
 * bounded: past `maxPendingBytes`, publications for other workers are dropped and counted (as
 * with Redis); announcements and call traffic still go, few and small, so no view goes wrong.
 */
export function ipcLink(channel: ParentChannel, options: IpcLinkOptions): MeshLink {
  let receive: ((message: MeshMessage, from: string) => void) | undefined;
  let pendingBytes = 0;
  let overflowing = false;
  let dropped = 0;
  let open = true;
  let lastRequest = 0;
  let metrics: BackplaneMetrics | undefined;
  const claims = new Map<number, (answer: ClaimAnswer) => void>();
  const releases = new Map<number, () => void>();
  const seats = new Map<number, (seated: boolean) => void>();
  const listener = (raw: unknown): void => {
    if (isJunctionMessage<Extract<ParentToWorker, { junction: 'mesh' }>>(raw, 'mesh')) receive?.(raw.message, raw.from);
    else if (isJunctionMessage<Extract<ParentToWorker, { junction: 'claimed' }>>(raw, 'claimed')) {
      claims.get(raw.id)?.(raw.answer);
      claims.delete(raw.id);
    } else if (isJunctionMessage<Extract<ParentToWorker, { junction: 'released' }>>(raw, 'released')) {
      releases.get(raw.id)?.();
      releases.delete(raw.id);
    } else if (isJunctionMessage<Extract<ParentToWorker, { junction: 'seated' }>>(raw, 'seated')) {
      seats.get(raw.id)?.(raw.seated);
      seats.delete(raw.id);
    } else if (isJunctionMessage<Extract<ParentToWorker, { junction: 'relay' }>>(raw, 'relay')) {
      metrics?.relayQueuedBytes.set(raw.queuedBytes);
      metrics?.relayOverflows.setTotal(raw.overflows);
    }
  };
  channel.on('message', listener);
  channel.onUnsent?.((error, message) => options.log.error({ junction: message.junction, err: error }, 'a message to the --workers parent could not be serialized: dropped'));
  return {
    send(message: MeshMessage, to?: readonly string[]) {
      if (!open) return;
      const envelope: WorkerToParent = to === undefined ? { junction: 'mesh', message } : { junction: 'mesh', message, to };
      if (message.k !== 'pub') return void channel.send(envelope);
      const bytes = payloadBytes([message]);
      if (pendingBytes + bytes > options.maxPendingBytes) {
        dropped++;
        metrics?.dropped('buffer_full');
        if (!overflowing) {
          overflowing = true;
          options.log.warn({ pendingBytes, maxPendingBytes: options.maxPendingBytes },
            'the --workers parent is not keeping up: dropping publications to other workers until it has taken what it has (--relay-buffer)');
        }
        return;
      }
      pendingBytes += bytes;
      metrics?.relayPendingBytes.set(pendingBytes);
      channel.send(envelope, () => {
        pendingBytes -= bytes;
        metrics?.relayPendingBytes.set(pendingBytes);
        if (overflowing && pendingBytes <= options.maxPendingBytes / 2) {
          overflowing = false;
          options.log.info({ pendingBytes, dropped }, 'the --workers parent caught up: publications to other workers flow again');
        }
      });
    },
    onMessage(handler) {
      receive = handler;
    },
    claim(key, invoke) {
      const id = ++lastRequest;
      return new Promise<ClaimAnswer>((resolve) => {
        claims.set(id, resolve);
        channel.send({ junction: 'claim', id, key, invoke });
      });
    },
    async release(key) {
      if (!open) return;
      const id = ++lastRequest;
      await new Promise<void>((resolve) => {
        releases.set(id, resolve);
        channel.send({ junction: 'release', id, key });
      });
    },
    seat(group, member, limit) {
      if (!open) return Promise.resolve(true);
      const id = ++lastRequest;
      return new Promise<boolean>((resolve) => {
        seats.set(id, resolve);
        channel.send({ junction: 'seat', id, group, member, ...(limit === undefined ? {} : { limit }) });
      });
    },
    unseat(group, member) {
      if (open) channel.send({ junction: 'unseat', group, member });
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
      for (const resolve of releases.values()) resolve();
      releases.clear();
      for (const resolve of seats.values()) resolve(true);
      seats.clear();
    },
  };
}
