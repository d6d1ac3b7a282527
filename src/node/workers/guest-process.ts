/**
 * One run of a guest's program: spawned without a shell in a process group of its own (and sent
 * SIGTERM by the kernel if Junction dies: process-group.ts), its stdin, stdout and stderr set up as configured (Crossbar's guest.py: "close" closes our end of
 * the pipe; a JSON value is written to stdin, then stdin is closed unless asked not to), and
 * stopped with SIGTERM to the group, then SIGKILL once the grace is over.
 */

import type { GuestConfig } from '../../config/model.js';
import type { GuestOutput } from './guest-output.js';
import { signalGroup, spawnGroupLeader } from '../process-group.js';

export type GuestExit =
  | { kind: 'exited'; code: number }
  | { kind: 'signaled'; signal: string }
  | { kind: 'not-started'; message: string };

export interface GuestRun {
  readonly pid: number | undefined;
  /** Settles when the program has exited (its pipes may still be read after). */
  readonly exited: Promise<GuestExit>;
  /** SIGTERM to its group, SIGKILL after `graceMs`; resolves once it exited, saying whether it had to be killed. */
  stop(graceMs: number): Promise<{ exit: GuestExit; killed: boolean }>;
}

export interface GuestSpawn {
  executable: string;
  arguments: readonly string[];
  workdir: string;
  env: Record<string, string>;
  stdin: GuestConfig['stdin'];
  stdout: GuestConfig['stdout'];
  stderr: GuestConfig['stderr'];
}

export function runGuest(spec: GuestSpawn, output: GuestOutput): GuestRun {
  const child = spawnGroupLeader(spec.executable, spec.arguments, { cwd: spec.workdir, env: spec.env });
  let exit: GuestExit | undefined;
  const exited = new Promise<GuestExit>((resolve) => {
    const finish = (result: GuestExit): void => {
      if (exit !== undefined) return;
      exit = result;
      resolve(result);
    };
    child.once('error', (error) => finish({ kind: 'not-started', message: error.message }));
    child.once('exit', (code, signal) => finish(signal === null ? { kind: 'exited', code: code ?? 0 } : { kind: 'signaled', signal }));
  });

  child.stdin.on('error', () => {}); // EPIPE when the guest does not read: its exit is what is reported
  if (spec.stdin.kind === 'close') child.stdin.end();
  if (spec.stdin.kind === 'json') {
    child.stdin.write(spec.stdin.text);
    if (spec.stdin.close) child.stdin.end();
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    const pipe = child[stream];
    const mode = spec[stream];
    if (mode === 'close') pipe.destroy();
    else if (mode === 'drop') pipe.resume();
    else {
      const lines = output.stream(stream);
      pipe.on('data', (chunk: Buffer) => lines.push(chunk));
    }
  }

  let stopping: Promise<{ exit: GuestExit; killed: boolean }> | undefined;
  const stop = (graceMs: number) =>
    (stopping ??= (async () => {
      if (exit !== undefined) return { exit, killed: false };
      child.stdin.destroy();
      signalGroup(child.pid, 'SIGTERM');
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        signalGroup(child.pid, 'SIGKILL');
      }, graceMs);
      const result = await exited;
      clearTimeout(timer);
      return { exit: result, killed };
    })());

  return { pid: child.pid, exited, stop };
}
