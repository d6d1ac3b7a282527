import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/**
 * CPU time (user + system, seconds) a process has used so far, from /proc; null where /proc is
 * not available. Sampled at the start and end of the measurement window, it shows whether the
 * server or the load generators were the ones saturating the machine.
 */

let ticksPerSecond;
function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks(); // utime, stime
  } catch {
    return null;
  }
}

/** Sums cpuSeconds over pids; null if any is unreadable. */
export function totalCpuSeconds(pids) {
  let total = 0;
  for (const pid of pids) {
    const seconds = cpuSeconds(pid);
    if (seconds === null) return null;
    total += seconds;
  }
  return total;
}

/** Idle CPU seconds of the whole machine so far (all cores, idle + iowait), from /proc/stat; null without it. */
export function machineIdleSeconds() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
    return (Number(fields[4]) + Number(fields[5])) / clockTicks(); // "cpu user nice system idle iowait ..."
  } catch {
    return null;
  }
}

/** The highest resident set size (bytes) a process has had so far (VmHWM), from /proc; null without it. */
export function peakRssBytes(pid) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
    return line ? Number(line.split(/\s+/)[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** `pid` and every process under it (a parent and its workers), from /proc; [pid] without it. */
export function processTree(pid) {
  let children = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // gone, or no /proc
  }
  return [pid, ...children.flatMap(processTree)];
}
