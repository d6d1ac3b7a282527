import cluster from 'node:cluster';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { nodeIdVariable } from './ipc-messages.js';

/**
 * `--workers` and the memory cookie store: a cookie bound on one worker must sign in on another,
 * so the workers keep a "memory" store in an lmdb file they share (lmdb locks for them), under
 * the data folder. The parent empties the folder before it starts the workers, so the store
 * lives as long as the parent does, as memory would; a worker that is restarted finds it intact.
 */
export function workerCookieDir(dataDir: string): string {
  return join(dataDir, 'worker-cookies');
}

/** The shared store of the WebSocket `where` ('transport "web" path "/ws"') in a worker; undefined in a single process. */
export function sharedMemoryCookiePath(dataDir: string, where: string): string | undefined {
  if (!cluster.isWorker || process.env[nodeIdVariable] === undefined) return undefined;
  return join(workerCookieDir(dataDir), where.replace(/[^A-Za-z0-9._-]+/g, '_'));
}

/** Called by the parent before it forks: the last run's cookies are gone, as a memory store's would be. */
export function clearWorkerCookies(dataDir: string): void {
  rmSync(workerCookieDir(dataDir), { recursive: true, force: true });
}
