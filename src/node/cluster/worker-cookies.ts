import cluster from 'node:cluster';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning } from '../pid-file.js';
import { nodeIdVariable } from './ipc-messages.js';

/**
 * `--workers` and the memory cookie store: a cookie bound on one worker must sign in on another,
 * so the workers keep a "memory" store in an lmdb file they share (lmdb locks for them), under
 * the data folder, in a folder of their parent's own (named by its process id): two parents on
 * one data folder each keep theirs. A parent empties its folder before it starts the workers and
 * removes it when it stops, so the store lives as long as the parent does, as memory would; a
 * worker that is restarted finds it intact.
 */
function allWorkerCookies(dataDir: string): string {
  return join(dataDir, 'worker-cookies');
}

function parentFolder(dataDir: string, parentPid: number): string {
  return join(allWorkerCookies(dataDir), String(parentPid));
}

/** The shared store of the WebSocket `where` ('transport "web" path "/ws"') in a worker; undefined in a single process. */
export function sharedMemoryCookiePath(dataDir: string, where: string): string | undefined {
  if (!cluster.isWorker || process.env[nodeIdVariable] === undefined) return undefined;
  return join(parentFolder(dataDir, process.ppid), where.replace(/[^A-Za-z0-9._-]+/g, '_'));
}

/**
 * Called by the parent before it forks: its own folder (a last run's, under a reused id) and
 * those of parents no longer running are emptied, as their memory stores would be; a running
 * parent's is left alone.
 */
export function clearWorkerCookies(dataDir: string, ownPid = process.pid, runs: (pid: number) => boolean = isRunning): void {
  let names: string[];
  try {
    names = readdirSync(allWorkerCookies(dataDir));
  } catch {
    return; // none yet
  }
  for (const name of names) {
    const pid = /^\d+$/.test(name) ? Number(name) : undefined;
    if (pid === undefined || pid === ownPid || !runs(pid)) rmSync(join(allWorkerCookies(dataDir), name), { recursive: true, force: true });
  }
}

/** Called by the parent once its workers are gone: its store goes with it. */
export function removeWorkerCookies(dataDir: string, ownPid = process.pid): void {
  rmSync(parentFolder(dataDir, ownPid), { recursive: true, force: true });
}
