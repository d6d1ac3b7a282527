import { closeSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../../router/log.js';
import { makeDataDirectory } from '../../data-dir.js';
import { isRunning } from '../../pid-file.js';

/**
 * One process at a time per outbox folder: two nodes sharing an outbox would both deliver (and
 * remove) the same messages. A `LOCK` file, created exclusively ('wx'), names its holder; it is
 * removed at stop. A lock left by a crash is taken over when its process is gone.
 */

export const lockFileName = 'LOCK';

/** What the lock file holds: enough to tell whether its holder still runs, and for a person to find it. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** ISO 8601. */
  started: string;
}

export interface OutboxLock {
  readonly file: string;
  /** Removes the lock file if it is still this holder's. Safe to call more than once. */
  release(): void;
}

/** The folder is locked by a process that still runs (or that Junction cannot check). */
export class OutboxInUseError extends Error {}

/**
 * Lock files held by this process. A lock naming this process's own pid is live only when listed
 * here: otherwise an earlier process had the same pid (a restarted container is often pid 1).
 */
const heldHere = new Set<string>();

/** Takes the lock of `directory` (created if missing), or throws OutboxInUseError. `what` names the owner in messages. */
export function acquireOutboxLock(directory: string, what: string, log: Logger): OutboxLock {
  makeDataDirectory(directory);
  const file = join(directory, lockFileName);
  const mine: LockOwner = { pid: process.pid, hostname: hostname(), started: new Date().toISOString() };
  const content = `${JSON.stringify(mine)}\n`;
  // Bounded: each round either creates the file or removes a stale one; losing a race to another
  // starter makes the next round see its (live) lock.
  for (let round = 0; round < 3; round++) {
    if (createExclusive(file, content)) {
      heldHere.add(file);
      return lockHandle(file, content);
    }
    const found = readIfPresent(file);
    if (found === undefined) continue; // released meanwhile
    const owner = parseOwner(found);
    if (owner !== undefined && holderMayRun(owner, file)) throw new OutboxInUseError(inUseMessage(what, directory, file, owner));
    log.warn(
      { lock: file, holder: owner ?? 'unreadable' },
      owner === undefined
        ? `${what}: taking over the outbox lock: its file is empty or unreadable (a crash while it was written)`
        : `${what}: taking over the outbox lock of pid ${owner.pid}, which no longer runs (it did not stop cleanly)`,
    );
    // Remove only what was judged stale: a lock another starter wrote meanwhile stays.
    if (readIfPresent(file) === found) rmSync(file, { force: true });
  }
  throw new OutboxInUseError(`${what}: could not lock its outbox ${directory}: ${file} keeps changing; is another node starting with the same --data-dir?`);
}

/** Whether the holder could still be running: checked on this host, assumed elsewhere. */
function holderMayRun(owner: LockOwner, file: string): boolean {
  if (owner.hostname !== hostname()) return true;
  if (owner.pid === process.pid) return heldHere.has(file);
  return isRunning(owner.pid);
}

function inUseMessage(what: string, directory: string, file: string, owner: LockOwner): string {
  const since = `since ${owner.started}`;
  if (owner.hostname !== hostname()) {
    return `${what}: its outbox ${directory} is locked by pid ${owner.pid} on host "${owner.hostname}" (${since}), which this node cannot check. ` +
      `Two nodes sharing one outbox would both deliver its messages: give this node its own --data-dir, or, if that node no longer runs, delete ${file}.`;
  }
  const who = owner.pid === process.pid ? `pid ${owner.pid} (another node in this process)` : `pid ${owner.pid}`;
  return `${what}: its outbox ${directory} is in use by ${who} (${since}). ` +
    'Two nodes sharing one outbox would both deliver its messages: stop that node, or give this one its own --data-dir.';
}

/** Creates the file with `content` unless it exists (false then). A failed write leaves no half lock behind. */
function createExclusive(file: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(file, { force: true });
    throw error;
  }
  closeSync(fd);
  return true;
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The owner, or undefined for an empty or garbled file (a crash between create and write). */
export function parseOwner(text: string): LockOwner | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { pid, hostname: host, started } = value as Record<string, unknown>;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (typeof host !== 'string' || typeof started !== 'string') return undefined;
  return { pid, hostname: host, started };
}

function lockHandle(file: string, content: string): OutboxLock {
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      heldHere.delete(file);
      // Never remove a lock that is no longer ours (taken over after being judged stale).
      if (readIfPresent(file) === content) rmSync(file, { force: true });
    },
  };
}
