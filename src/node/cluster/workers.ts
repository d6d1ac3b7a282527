import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../../router/log.js';
import type { Hangups } from '../hangups.js';
import { PortOwner, type PortsWorkerChannel } from './handoff-parent.js';
import { isJunctionMessage, nodeIdVariable, relayBufferVariable, workerNodeId } from './ipc-messages.js';
import { IpcRelay } from './ipc-relay.js';

export interface WorkersOptions {
  count: number;
  log: Logger;
  /** SIGHUP to the parent: every worker reloads. */
  hangups: Hangups;
  /** Wait before a worker that died is started again (a crash loop costs one start per delay). */
  restartDelayMs?: number;
  /** How long the workers have to stop after SIGTERM before they are killed. */
  stopTimeoutMs?: number;
  /** Bytes (estimated) the parent may hold for one worker that does not read; past it the worker is killed and restarted (--relay-buffer). */
  relayBufferBytes: number;
  /** Connections the parent accepted and no worker has taken yet, at most (--handoff-queue); past it new ones are closed. */
  handoffQueue: number;
  /** What the parent itself runs (the guest workers: once per machine, not once per worker). */
  beside?: ParentTasks;
  /** At SIGHUP, before the workers are told to reload: what would otherwise be done by each of them (a download). */
  beforeReload?(): Promise<void>;
}

/** Work of the parent's own, in step with the workers. */
export interface ParentTasks {
  /** Every worker serves, for the first time; `stopNode` stops the workers and the parent, which exits with `code`. */
  serving(stopNode: (code: number) => void): void;
  /** SIGHUP, also before every worker serves: the workers reload; so does this. */
  reload(): void;
  /** The workers are being stopped. */
  stop(): Promise<void>;
  /** With the parent's reports each second: a message for every worker (figures for its metrics), or none. */
  report?(): { junction: string } | undefined;
}

/** How often the parent tells each worker what it holds for it (its metrics). */
const relayReportMs = 1_000;

/**
 * The parent of `junction start --workers N`: forks N workers that run the same command, binds
 * the ports they listen on and hands each connection to the worker with the fewest open ones
 * (PortOwner), and relays what the workers say to each other (IpcRelay). A worker that dies
 * after it started serving is started again; the others forget its subscriptions at once. If one fails before it serves (a bad port, a
 * config error), all are stopped: the same failure would repeat. Resolves to the exit code.
 */
export function runWorkers(options: WorkersOptions): Promise<number> {
  const { count, log } = options;
  const restartDelayMs = options.restartDelayMs ?? 1_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  // The workers' listeners take their connections from PortOwner, not from node:cluster. Anything
  // else that listens in a worker accepts for itself: node:cluster's round-robin would hold a
  // connection handed to a worker killed in that instant, unread, for good.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  // Payloads may hold bytes: the structured-clone serialization carries them as they are.
  cluster.setupPrimary({ serialization: 'advanced' });
  const workers = new Map<string, Worker>();
  /**
   * The workers that have not said yet that they serve. A worker gets SIGHUP only once it serves:
   * before, it may not have taken the signal yet, and Node's default for it kills the worker (a
   * worker dying before it serves stops them all). One still starting when a reload comes gets
   * the signal as it starts serving: the configuration it read may predate the change.
   */
  const starting = new Map<string, { reloadWhenServing: boolean }>();
  const relay = new IpcRelay({
    maxQueuedBytes: options.relayBufferBytes,
    onOverflow: (nodeId, queuedBytes) => {
      log.warn({ node: nodeId, queuedBytes, relayBufferBytes: options.relayBufferBytes },
        'worker does not read its messages from the other workers (relay buffer past --relay-buffer): killing it; it starts again clean');
      workers.get(nodeId)?.process.kill('SIGKILL');
    },
  }, log.child({ part: 'cluster' }));
  const ports = new PortOwner({ maxAwaiting: options.handoffQueue, log: log.child({ part: 'ports' }) });
  const reporting = setInterval(() => {
    relay.report();
    ports.report();
    const beside = options.beside?.report?.();
    if (beside) for (const worker of workers.values()) worker.send(beside, undefined, () => {});
  }, relayReportMs);
  reporting.unref();
  let stopping = false;
  let besideStopped: Promise<void> = Promise.resolve();
  let everyWorkerServed = false;
  let exitCode = 0;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));

  const stopAll = (code: number): void => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    // The ports stay open until the workers are gone: each refuses new sessions as it stops (as a
    // node alone does), and a long-poll client's next request still reaches its worker.
    besideStopped = options.beside?.stop() ?? Promise.resolve();
    if (workers.size === 0) return finish(exitCode);
    for (const worker of workers.values()) worker.process.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const worker of workers.values()) worker.process.kill('SIGKILL');
    }, stopTimeoutMs);
    timer.unref();
  };

  const start = (index: number): void => {
    const nodeId = workerNodeId(index);
    const worker = cluster.fork({ [nodeIdVariable]: nodeId, [relayBufferVariable]: String(options.relayBufferBytes) });
    workers.set(nodeId, worker);
    relay.add(nodeId, worker);
    const portsChannel = worker as unknown as PortsWorkerChannel;
    ports.add(nodeId, portsChannel);
    // 'close': it has exited and its channel was read to the end, so every answer it wrote has been
    // read; what it did not take goes to the others. ('disconnect' does not come while a handle
    // sent to it awaits its acknowledgement.)
    worker.process.once('close', () => ports.remove(nodeId, portsChannel));
    const startup = { reloadWhenServing: false };
    starting.set(nodeId, startup);
    let serving = false;
    worker.on('message', (message: unknown) => {
      if (!isJunctionMessage(message, 'ready')) return;
      serving = true;
      starting.delete(nodeId);
      log.info({ node: nodeId, pid: worker.process.pid }, 'worker serving');
      if (startup.reloadWhenServing && !stopping) worker.process.kill('SIGHUP');
      if (!everyWorkerServed && starting.size === 0 && workers.size === count && !stopping) {
        everyWorkerServed = true;
        options.beside?.serving(stopAll);
      }
    });
    worker.on('exit', (code, signal) => {
      workers.delete(nodeId);
      starting.delete(nodeId);
      relay.remove(nodeId);
      if (stopping) {
        if (workers.size === 0) finish(exitCode);
        return;
      }
      if (!serving) {
        log.error({ node: nodeId, code, signal }, 'worker exited before it was serving; stopping every worker');
        return stopAll(1);
      }
      log.warn({ node: nodeId, code, signal, restartInMs: restartDelayMs },
        'worker died; the other workers dropped its subscriptions; starting it again');
      setTimeout(() => {
        if (!stopping) start(index);
      }, restartDelayMs).unref();
    });
  };

  log.info({ workers: count }, 'starting workers');
  for (let index = 1; index <= count; index++) start(index);

  const onSignal = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'signal received; stopping the workers');
    stopAll(0);
  };
  // A reload (SIGHUP) is each worker's: every worker reads the configuration again.
  // In turn: a second SIGHUP waits for the first one's preparation (one download, not two).
  let reloads = Promise.resolve();
  options.hangups.handle(() => {
    log.info({ signal: 'SIGHUP' }, 'signal received: every worker reloads the configuration');
    if (stopping) return;
    options.beside?.reload();
    reloads = reloads.then(() => options.beforeReload?.()).catch((error: unknown) => {
      log.warn({ err: (error as Error).message }, 'preparing the reload failed; the workers reload all the same');
    }).then(() => {
      if (stopping) return;
      for (const [nodeId, worker] of workers) {
        const startup = starting.get(nodeId);
        if (startup) startup.reloadWhenServing = true;
        else worker.process.kill('SIGHUP');
      }
    });
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return finished.then(async (code) => {
    ports.close();
    await besideStopped;
    clearInterval(reporting);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    log.info({ code }, 'workers stopped');
    return code;
  });
}
