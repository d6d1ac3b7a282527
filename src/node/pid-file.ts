import { existsSync, readFileSync } from 'node:fs';
import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { basename } from 'node:path';

/**
 * Pid files. `junction start --pid-file FILE` writes the process id and a newline, as init systems
 * and `kill $(cat FILE)` expect; a node folder's node.pid holds JSON with a "pid" key, as
 * Crossbar's does. Either is read either way. A file naming another running Junction is never
 * overwritten; one naming a process that has ended, or a program that is not Junction (its id
 * was given to another process since), is taken over.
 */

/** The pid file names a Junction that runs: the node is already running. */
export class PidFileHeld extends Error {
  constructor(readonly path: string, readonly pid: number) {
    super(`the pid file ${path} names process ${pid}, which is running`);
  }
}

/** The process id in a pid file, or undefined when there is none or it holds no number. */
export async function readPidFile(path: string): Promise<number | undefined> {
  const named = await readPidEntry(path);
  return named === 'absent' ? undefined : named;
}

/** The id a pid file names (undefined: none), or 'absent' when there is no file: one read tells both. */
async function readPidEntry(path: string): Promise<number | undefined | 'absent'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  const pid = text.trimStart().startsWith('{') ? jsonPid(text) : Number(text.trim());
  return typeof pid === 'number' && Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function jsonPid(text: string): unknown {
  try {
    return (JSON.parse(text) as { pid?: unknown }).pid;
  } catch {
    return undefined;
  }
}

/** What a pid file names: nothing (no file, or no id in it), or a process and what it is now. */
export type PidFileOwner = { pid: undefined } | { pid: number; runs: ProcessRunning };

export async function pidFileOwner(path: string): Promise<PidFileOwner> {
  const pid = await readPidFile(path);
  return pid === undefined ? { pid } : { pid, runs: runningAs(pid) };
}

/**
 * Writes this process's pid file (`content`: the plain id unless given). Returns what it took
 * over: the owner of a file naming a process that has ended or is not Junction, for the log.
 * Throws PidFileHeld when the file names another running Junction.
 */
export async function writePidFile(path: string, content = `${process.pid}\n`): Promise<{ pid: number; runs: ProcessRunning } | undefined> {
  let replaced: { pid: number; runs: ProcessRunning } | undefined;
  for (let round = 0; round < takeOverRounds; round++) {
    // Of two starts at once, only one creates the file; the other finds it held.
    if (await createExclusively(path, content)) return replaced;
    const owner = await pidFileOwner(path);
    if (owner.pid !== undefined && owner.pid !== process.pid && owner.runs === 'junction') throw new PidFileHeld(path, owner.pid);
    if (await removeStale(path, owner.pid) && owner.pid !== undefined && owner.pid !== process.pid) replaced = owner;
  }
  throw new Error(`cannot take over the pid file ${path}: its lock ${path}.lock stays held`);
}

/**
 * Creates `path` with `content` unless it exists, whole at once: written beside it, then linked
 * there (link fails when the name is taken). Created with wx instead, its empty moment would read
 * as a file naming no process, which another start takes over. False when the file exists.
 */
async function createExclusively(path: string, content: string): Promise<boolean> {
  const written = `${path}.${process.pid}.new`;
  await writeFile(written, content, { mode: 0o644 });
  try {
    await link(written, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links (FAT, some network mounts): wx, with its empty moment.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') return createWx(path, content);
    throw error;
  } finally {
    await unlink(written).catch(() => undefined);
  }
}

async function createWx(path: string, content: string): Promise<boolean> {
  try {
    await writeFile(path, content, { mode: 0o644, flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Rounds of writePidFile, each after a wait while another start takes the file over: about 2 s in all. */
const takeOverRounds = 100;
const takeOverWaitMs = 20;
/** A takeover holds its lock for milliseconds: one this old whose process has ended was left by a start that died. */
const staleLockMs = 1_000;

/**
 * Removes the stale pid file that named `stalePid` (the read said so), holding FILE.lock: of
 * several starts that read the same stale file, one removes it, and a start that comes after
 * finds the next owner's file, which it must not remove. True when it removed the file.
 */
async function removeStale(path: string, stalePid: number | undefined): Promise<boolean> {
  const lock = `${path}.lock`;
  if (!(await createExclusively(lock, `${process.pid}\n`))) {
    // Another start is taking the file over (for a moment), or died doing it: its lock names a process that has ended, and is old.
    const holder = await readPidFile(lock);
    const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now());
    if (holder !== undefined && age > staleLockMs && runningAs(holder) === 'ended') await unlink(lock).catch(() => undefined);
    await sleep(takeOverWaitMs);
    return false;
  }
  try {
    // Nothing creates the file while the stale one is there, and only the lock's holder removes one.
    // No file at all is no stale one: another start may be creating its own at this moment (a
    // create takes no lock), and removing the path then would remove that start's file.
    const named = await readPidEntry(path);
    if (named === 'absent' || named !== stalePid) return false;
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    return true;
  } finally {
    await unlink(lock);
  }
}

/** Removes the pid file if it still names this process. */
export async function removePidFile(path: string): Promise<void> {
  if ((await readPidFile(path).catch(() => undefined)) !== process.pid) return;
  await unlink(path).catch(() => undefined);
}

/** Whether a process with this id runs. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user. ESRCH: it does not; nor does a pid past the system's range (refused as an argument).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The names of the links to Junction's command that run Crossbar's command lines unchanged
 * (docs/configuration.md): Crossbar's, and Crossbar FX's (`crossbarfx edge start`).
 */
export const crossbarCommandNames: readonly string[] = ['crossbar', 'crossbarfx'];

/** The names a Junction's command line holds: its bin link, its script, or a link named as Crossbar's command. */
const junctionCommandNames: readonly string[] = ['junction', 'junction.js', ...crossbarCommandNames];

/**
 * What runs as `pid`: a Junction, another program, or nothing ('ended': also a zombie nobody has
 * reaped yet, which runs no more code). Linux tells through /proc: a Junction's command line
 * holds its script, `junction` or `junction.js`, or a link named as Crossbar's command
 * (crossbarCommandNames), which is also Crossbar's own script, a node all the same.
 * Where there is no /proc, any process that runs counts as Junction: nothing tells otherwise.
 */
export type ProcessRunning = 'junction' | 'other' | 'ended';

export function runningAs(pid: number): ProcessRunning {
  if (!isRunning(pid)) return 'ended';
  let stat: string;
  let commandLine: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    // It ended in between, or there is no /proc to ask.
    return existsSync('/proc/self/stat') && !isRunning(pid) ? 'ended' : 'junction';
  }
  // The state follows the command name, which may hold spaces and parentheses: after the last ")".
  if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return 'ended';
  return commandLine.split('\0').some((word) => junctionCommandNames.includes(basename(word))) ? 'junction' : 'other';
}
