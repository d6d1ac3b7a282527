/**
 * The programs Junction starts (guest workers, container workers' Python, process and stdio
 * components): each leads a process group of its own, so that stopping it reaches what it started,
 * and on Linux it ends with Junction even when Junction is killed with SIGKILL and has no chance
 * to stop it.
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';

/**
 * util-linux's setpriv (Essential in Debian): `--pdeathsig` asks the kernel to send the program a
 * signal when the thread that started it ends, and the setting survives setpriv's exec of the program.
 */
const setprivPath = '/usr/bin/setpriv';

/** What the kernel sends a program when Junction dies: it may clean up (its own children included). */
const parentDeathSignal = 'TERM';

let setprivFound: boolean | undefined;

export interface ProgramLaunch {
  cwd: string;
  /** The program's whole environment (its PATH is where a bare name is looked for, as Node's spawn does). */
  env: Record<string, string>;
}

/**
 * Starts `command` without a shell, its stdin, stdout and stderr piped, leading a process group of
 * its own. Through setpriv when there is one: the program keeps its pid (setpriv execs it), its
 * exit code and signal are its own, and Node spawns from the main thread, which lives as long as
 * the process. A program that cannot be started (not found, not executable, no such cwd) is
 * spawned directly, so that the error is Node's own about it rather than setpriv's.
 */
export function spawnGroupLeader(command: string, args: readonly string[], launch: ProgramLaunch): ChildProcessWithoutNullStreams {
  const options = { cwd: launch.cwd, env: launch.env, shell: false, detached: true, stdio: 'pipe' } as const;
  const program = (setprivFound ??= existsSync(setprivPath)) ? startableProgram(command, launch) : undefined;
  if (program === undefined) return spawn(command, args, options);
  return spawn(setprivPath, ['--pdeathsig', parentDeathSignal, '--', program, ...args], options);
}

/** The file Node's spawn would run for `command` (a path relative to cwd, or a bare name on the env's PATH), if it can. */
function startableProgram(command: string, launch: ProgramLaunch): string | undefined {
  if (!isKind(launch.cwd, 'directory')) return undefined;
  if (command.includes('/')) {
    const path = resolve(launch.cwd, command);
    return isKind(path, 'executable') ? path : undefined;
  }
  // Node's spawn looks on /usr/bin:/bin when the environment it is given has no PATH.
  const folders = (launch.env.PATH ?? '/usr/bin:/bin').split(delimiter).filter((folder) => folder !== '');
  return folders.map((folder) => resolve(launch.cwd, folder, command)).find((path) => isKind(path, 'executable'));
}

function isKind(path: string, kind: 'directory' | 'executable'): boolean {
  try {
    const found = statSync(path);
    if (kind === 'directory') return found.isDirectory();
    accessSync(path, constants.X_OK);
    return found.isFile();
  } catch {
    return false;
  }
}

/**
 * Signals a program started by spawnGroupLeader and everything it started: it leads its own
 * process group, so the negative pid reaches its children and grandchildren too.
 */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}
