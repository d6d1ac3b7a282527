import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Signals for the processes a test started, and those they started in turn (a --workers parent's
 * workers, a node's guest programs), which a test knows only by the pid they logged. The kernel
 * hands a pid out again once its process has ended and the pid space has gone round (Linux:
 * pid_max, 32768 here, which a loaded suite goes round in minutes): a pid kept from earlier may
 * by now name another test file's process, which our SIGSTOP or SIGKILL must never reach. An
 * OwnedProcess is a pid and the start time the kernel gave its process: it signals only while
 * the process with that pid started at that time and has not exited. Between that check and the
 * signal the pid could only be handed out again if its process ended and the whole pid space went
 * round in that instant: pids are handed out in turn, not the lowest free one first. Linux: reads /proc.
 */

/** What /proc/PID/stat says of a process (see proc(5)); undefined when there is no such process. */
export interface ProcessStat {
  /** R, S, D, T (stopped), Z (exited, not yet reaped)... */
  state: string;
  ppid: number;
  /** Its process group. */
  pgrp: number;
  /** When it started, in clock ticks since boot: with the pid, it names one process for good. */
  startTime: string;
}

export function processStat(pid: number): ProcessStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp ...": the command may hold spaces and parentheses, so fields are read after its last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, ppid: Number(fields[1]), pgrp: Number(fields[2]), startTime: fields[19]! };
}

/** How far up from a process its ancestry is followed: a test's processes are a few levels deep. */
const maxAncestry = 16;

/** The processes stopped through an OwnedProcess and not continued since: continued when this process exits, whatever failed. */
const stopped = new Set<OwnedProcess>();
let continueAtExit = false;

export class OwnedProcess {
  /** `child`: the handle, when it is a child of ours: its exit is then known for sure (a start time is in clock ticks, and a pid handed out again within one tick keeps it). */
  private constructor(readonly pid: number, readonly name: string, private readonly startTime: string, private readonly child?: ChildProcess) {}

  /** A child this process started and that has not been reaped (its pid is still its own). */
  static of(child: ChildProcess, name: string): OwnedProcess {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} has exited: it cannot be named by its pid`);
    const { startTime } = OwnedProcess.under(child, child.pid, name);
    return new OwnedProcess(child.pid, name, startTime, child);
  }

  /**
   * Process `pid`, which `ancestor` (a child this process started, still running) or one of its
   * descendants started: throws, naming `name`, when `pid` has exited or is not under `ancestor`.
   */
  static under(ancestor: ChildProcess, pid: number, name: string): OwnedProcess {
    if (ancestor.pid === undefined || ancestor.exitCode !== null || ancestor.signalCode !== null) {
      throw new Error(`${name} (pid ${pid}): the process that started it has exited, so nothing tells that the pid is still its own`);
    }
    const found = processStat(pid);
    if (found === undefined || found.state === 'Z') throw new Error(`${name} (pid ${pid}) has exited`);
    let at: number = pid;
    for (let step = 0; at !== ancestor.pid; step++) {
      const parent = at === pid ? found.ppid : processStat(at)?.ppid;
      if (parent === undefined || parent <= 1 || step === maxAncestry) {
        throw new Error(`${name}: process ${pid} is not under process ${ancestor.pid}: its pid names another process`);
      }
      at = parent;
    }
    return new OwnedProcess(pid, name, found.startTime);
  }

  /** Whether it runs still: its pid names the same process, which has not exited. */
  running(): boolean {
    if (this.child && (this.child.exitCode !== null || this.child.signalCode !== null)) return false;
    const now = processStat(this.pid);
    return now !== undefined && now.startTime === this.startTime && now.state !== 'Z' && now.state !== 'X';
  }

  /** Sends it `signal`; throws, sending nothing, when it has exited (its pid may name another process by now). */
  signal(signal: NodeJS.Signals): void {
    if (!this.signalIfRunning(signal)) throw new Error(`${signal} not sent: ${this.name} (pid ${this.pid}) has exited`);
  }

  /** Sends it `signal` if it runs still (for cleanups, where one that is gone is fine): whether it was sent. */
  signalIfRunning(signal: NodeJS.Signals): boolean {
    if (!this.running()) {
      stopped.delete(this);
      return false;
    }
    process.kill(this.pid, signal);
    this.noteStopped(signal);
    return true;
  }

  /** Sends `signal` to the process group it leads (its own and what it started), if it runs still and leads one: whether it was sent. */
  signalGroupIfRunning(signal: NodeJS.Signals): boolean {
    if (!this.running() || processStat(this.pid)?.pgrp !== this.pid) return false;
    try {
      process.kill(-this.pid, signal);
    } catch {
      return false; // it ended in between
    }
    return true;
  }

  private noteStopped(signal: NodeJS.Signals): void {
    if (signal === 'SIGSTOP') {
      stopped.add(this);
      if (!continueAtExit) {
        continueAtExit = true;
        // A test that timed out leaves its finally unrun; a stopped worker would outlive its killed parent, stopped for good.
        process.once('exit', () => stopped.forEach((owned) => owned.signalIfRunning('SIGCONT')));
      }
    } else if (signal === 'SIGCONT' || signal === 'SIGKILL') {
      stopped.delete(this);
    }
  }
}

/**
 * Runs `body` with `processes` stopped (SIGSTOP: alive, holding their connections, doing nothing),
 * and continues (SIGCONT) those still running once it has ended, however it ended.
 */
export async function whileStopped<T>(processes: readonly OwnedProcess[], body: () => Promise<T>): Promise<T> {
  try {
    for (const owned of processes) owned.signal('SIGSTOP');
    return await body();
  } finally {
    for (const owned of processes) owned.signalIfRunning('SIGCONT');
  }
}
