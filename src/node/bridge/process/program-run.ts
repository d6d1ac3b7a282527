import { programSecretsMask } from '../../../config/mask-secrets.js';
import { StderrTail } from './stderr-tail.js';
import { signalGroup, spawnGroupLeader } from '../../process-group.js';

/** What to run: an executable with fixed arguments, never through a shell. */
export interface ProgramSpec {
  command: readonly string[];
  cwd: string;
  /** The program's whole environment. */
  env: Record<string, string>;
  /** Secrets masked in its output besides those of its command and environment (programSecretsMask). */
  secrets?: readonly string[];
}

export interface RunLimits {
  /** The run is terminated after this many ms. */
  timeoutMs: number;
  /** More stdout than this terminates the run. */
  maxOutputBytes: number;
  /** Between SIGTERM and SIGKILL, and how long a finished program's pipes may stay open. */
  killGraceMs: number;
}

/** How a run ended. `stderr` is the end of what the program wrote there, the secrets it was given masked. */
export type RunOutcome =
  | { kind: 'exited'; code: number; stdout: Buffer; stderr: string }
  | { kind: 'killed-by-signal'; signal: string; stderr: string }
  | { kind: 'timeout'; stderr: string }
  | { kind: 'output-too-large'; stderr: string }
  | { kind: 'aborted'; reason: unknown; stderr: string }
  | { kind: 'not-started'; message: string };

/**
 * Runs a program once: `input` on its stdin, stdout kept up to the limit, the end of stderr kept.
 * The program leads its own process group, so terminating it (timeout, output too large, abort)
 * reaches its children and grandchildren too: SIGTERM to the group, SIGKILL after the grace.
 * When the program exits on its own, whatever it left running in its group is killed.
 * Resolves only once the program is gone and its pipes are closed, so a caller that counts
 * running programs counts real processes.
 */
export function runProgram(spec: ProgramSpec, input: string, limits: RunLimits, signal?: AbortSignal): Promise<RunOutcome> {
  return new Promise<RunOutcome>((resolve) => {
    if (signal?.aborted) return resolve({ kind: 'aborted', reason: signal.reason, stderr: '' });
    const [executable, ...args] = spec.command;
    const child = spawnGroupLeader(executable!, args, spec);
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    // A program may echo the secrets it was given on stderr, which reaches the log and the caller.
    const stderr = new StderrTail(programSecretsMask(spec.command, spec.env));
    // Set by the first reason to end the run early; the outcome follows it.
    let ended: { kind: 'timeout' } | { kind: 'output-too-large' } | { kind: 'aborted'; reason: unknown } | undefined;
    const timers: NodeJS.Timeout[] = [];
    let deadline: NodeJS.Timeout | undefined;
    let settled = false;

    const signalProgram = (name: NodeJS.Signals) => signalGroup(child.pid, name);
    const terminate = (why: NonNullable<typeof ended>) => {
      if (ended) return;
      ended = why;
      signalProgram('SIGTERM');
      timers.push(setTimeout(() => signalProgram('SIGKILL'), limits.killGraceMs));
    };
    const onAbort = () => terminate({ kind: 'aborted', reason: signal!.reason });
    const finish = (outcome: RunOutcome) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };

    child.on('error', (error) => {
      // spawn failed (no such file, not executable, bad cwd): there is no process to wait for
      if (child.pid === undefined) finish({ kind: 'not-started', message: error.message });
    });
    child.stdin.on('error', () => {}); // EPIPE: the program did not read its input; its exit tells the rest
    child.stdin.end(input);
    child.stdout.on('data', (chunk: Buffer) => {
      if (ended) return;
      stdoutBytes += chunk.length;
      if (stdoutBytes > limits.maxOutputBytes) return terminate({ kind: 'output-too-large' });
      stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('exit', () => {
      clearTimeout(deadline); // the program finished: what follows is only collecting its pipes
      signal?.removeEventListener('abort', onAbort);
      // Leftovers of a finished run die with it; a grandchild that escaped the group and still
      // holds our pipes cannot keep the run open: the pipes are closed after the grace.
      signalProgram('SIGKILL');
      timers.push(setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, limits.killGraceMs));
    });
    child.on('close', (code, exitSignal) => {
      const tail = stderr.text();
      if (ended?.kind === 'aborted') return finish({ kind: 'aborted', reason: ended.reason, stderr: tail });
      if (ended) return finish({ kind: ended.kind, stderr: tail });
      if (code !== null) return finish({ kind: 'exited', code, stdout: Buffer.concat(stdout, stdoutBytes), stderr: tail });
      finish({ kind: 'killed-by-signal', signal: exitSignal ?? 'unknown', stderr: tail });
    });
    if (child.pid !== undefined) {
      deadline = setTimeout(() => terminate({ kind: 'timeout' }), limits.timeoutMs);
      timers.push(deadline);
      signal?.addEventListener('abort', onAbort, { once: true });
    }
  });
}
