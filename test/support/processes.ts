import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import type { Socket } from 'node:net';
import { debianNeed } from './debian.js';
import { processStat } from './owned-process.js';

/** True once `pid` is gone (or a zombie that nobody reaped yet: it runs no more code). Linux: reads /proc. */
export function processGone(pid: number): boolean {
  const stat = processStat(pid);
  return stat === undefined || stat.state === 'Z';
}

/** How often a test process looks whether the process that started it is still there. */
export const PARENT_CHECK_MS = 250;

/**
 * Starts a program (a `junction start`, redis-server, nginx...) that ends when this test process
 * ends, however it ends: killed with SIGKILL by a CI timeout included, when no `after` hook runs.
 * The kernel sends the program SIGKILL when this process dies (`setpriv --pdeathsig`, from
 * util-linux: the death signal survives the exec). And this process ends when the one that
 * started it is gone (see endWithParent), so killing `node --test` ends the test files it runs,
 * and with them what they started. Without setpriv (not Debian) the program is started as is.
 */
export function spawnOwned(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  endWithParent();
  const setpriv = debianNeed('util-linux').file;
  if (!existsSync(setpriv)) return spawn(command, args, options);
  const child = spawn(setpriv, ownedArguments(command, args, process.pid), options);
  if (options.detached === true && child.pid !== undefined) watchGroup(child);
  return child;
}

/**
 * setpriv's arguments to run `command` with SIGKILL as its parent-death signal, if `owner` is
 * still its parent once that signal is set. setpriv sets it and execs without looking: an owner
 * killed between the fork and that moment (a loaded machine widens it) would leave the program
 * running for good, under init. A shell in between looks (its $PPID is read after the signal is
 * set, which the exec keeps), then execs the program in its place (same pid).
 */
export function ownedArguments(command: string, args: readonly string[], owner: number): string[] {
  const guard = 'if [ "$PPID" = "$0" ]; then exec "$@"; fi; echo "process $0, which started $1, is gone: not starting it" >&2; exit 1';
  return ['--pdeathsig', 'KILL', '--', 'sh', '-c', guard, String(owner), command, ...args];
}

/** Runs a program (spawnOwned, no stdin) to its exit, killed with SIGKILL after `timeoutMs`; what it wrote (stderr: its last 4000 characters). */
export async function runOwned(command: string, args: readonly string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  const child = spawnOwned(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    await once(child, 'exit');
  } finally {
    clearTimeout(timer);
  }
  return { stdout, stderr };
}

/**
 * A program started in a process group of its own (`detached`) may fork workers that outlive it
 * (PHP's built-in server): a watchdog shell waits for its stdin, a pipe from this process, to
 * close, which the kernel does when this process dies, and then kills the whole group. It is
 * ended once the program exits, so it never signals a group whose number was reused.
 */
function watchGroup(child: ChildProcess): void {
  const watchdog = spawn('sh', ['-c', 'read _; kill -KILL -- "-$0" 2>/dev/null', String(child.pid)], { stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.unref();
  (watchdog.stdin as Socket).unref();
  child.once('exit', () => watchdog.kill('SIGKILL'));
}

let watchingParent = false;

/**
 * Ends this process once the process that started it is gone (it was reparented): `node --test`
 * runs each test file in a process of its own, which would otherwise run on, with the servers it
 * started, after the runner was killed. Checked every PARENT_CHECK_MS, without keeping the process alive.
 */
export function endWithParent(): void {
  if (watchingParent) return;
  watchingParent = true;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    process.stderr.write(`test process ${process.pid}: the process that started it (${parent}) is gone; ending, and the programs it started with it\n`);
    process.exit(1);
  }, PARENT_CHECK_MS);
  timer.unref();
}

/** This process's children (zombies included: a child nobody reaped still counts), by pid. Linux: reads /proc. */
export function childProcesses(): number[] {
  const children: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (/^\d+$/.test(name) && processStat(Number(name))?.ppid === process.pid) children.push(Number(name));
  }
  return children;
}

/** How many file descriptors this process (or process `pid`) holds open (files, sockets, pipes). Linux: reads /proc. */
export function openDescriptors(pid?: number): number {
  return readdirSync(`/proc/${pid ?? 'self'}/fd`).length;
}

/** The processes (any parent: orphans too) whose working directory is `folder`, as `pid command`. Linux: reads /proc. */
export function processesWorkingIn(folder: string): string[] {
  const found: string[] = [];
  const real = realpathSync(folder);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (realpathSync(`/proc/${name}/cwd`) === real) found.push(`${name} ${readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}
