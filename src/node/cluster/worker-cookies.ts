import cluster from 'node:cluster';
import { readdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isRunning } from '../pid-file.js';
import { nodeIdVariable } from './ipc-messages.js';

/**
 * `--workers` and the memory cookie store: a cookie bound on one worker must sign in on another,
 * so the workers keep a "memory" store in an lmdb file they share (lmdb locks for them), under
 * the data folder, in a folder of their parent's own (named by its host and process id: two
 * containers on one volume may both be pid 1): two parents on one data folder each keep theirs.
 * A parent empties its folder before it starts the workers and removes it when it stops, so the
 * store lives as long as the parent does, as memory would; a worker that is restarted finds it
 * intact.
 */
function allWorkerCookies(dataDir: string): string {
  return join(dataDir, 'worker-cookies');
}

/** A parent's folder name: "<host>-<pid>". */
function parentName(host: string, pid: number): string {
  return `${host}-${pid}`;
}

/** The shared store of the WebSocket `where` ('transport "web" path "/ws"') in a worker; undefined in a single process. */
export function sharedMemoryCookiePath(dataDir: string, where: string): string | undefined {
  if (!cluster.isWorker || process.env[nodeIdVariable] === undefined) return undefined;
  return join(allWorkerCookies(dataDir), parentName(hostname(), process.ppid), where.replace(/[^A-Za-z0-9._-]+/g, '_'));
}

/** This parent: its host and process id, and how it tells whether a process of its host runs. */
export interface ParentProcess {
  host: string;
  pid: number;
  runs(pid: number): boolean;
}

const thisParent = (): ParentProcess => ({ host: hostname(), pid: process.pid, runs: isRunning });

/**
 * Called by the parent before it forks: its own folder (a last run's, under a reused id) and
 * those of its host's parents no longer running are emptied, as their memory stores would be;
 * a running parent's is left alone, and so is another host's (this one cannot tell whether it
 * runs). Folders of an older layout (a store directly under worker-cookies) go too.
 */
export function clearWorkerCookies(dataDir: string, parent: ParentProcess = thisParent()): void {
  let names: string[];
  try {
    names = readdirSync(allWorkerCookies(dataDir));
  } catch {
    return; // none yet
  }
  for (const name of names) {
    const owner = /^(.+)-(\d+)$/.exec(name);
    const pid = Number(owner?.[2]);
    const stale = owner === null || (owner[1] === parent.host && (pid === parent.pid || !parent.runs(pid)));
    if (stale) rmSync(join(allWorkerCookies(dataDir), name), { recursive: true, force: true });
  }
}

/** Called by the parent once its workers are gone: its store goes with it. */
export function removeWorkerCookies(dataDir: string, parent: Pick<ParentProcess, 'host' | 'pid'> = thisParent()): void {
  rmSync(join(allWorkerCookies(dataDir), parentName(parent.host, parent.pid)), { recursive: true, force: true });
}
