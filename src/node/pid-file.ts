import { readFile, unlink, writeFile } from 'node:fs/promises';

/**
 * The pid file `junction start --pid-file` writes: the process id and a newline, as init systems
 * and `kill $(cat FILE)` expect. A file naming another running process is never overwritten.
 */

export class PidFileError extends Error {}

/** The process id in a pid file, or undefined when there is none or it holds no number. */
export async function readPidFile(path: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

export async function writePidFile(path: string): Promise<void> {
  const existing = await readPidFile(path);
  if (existing !== undefined && existing !== process.pid && isRunning(existing)) {
    throw new PidFileError(`the pid file ${path} names process ${existing}, which is running; stop it or choose another --pid-file`);
  }
  await writeFile(path, `${process.pid}\n`, { mode: 0o644 });
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
