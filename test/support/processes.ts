import { readFileSync } from 'node:fs';

/** True once `pid` is gone (or a zombie that nobody reaped yet: it runs no more code). Linux: reads /proc. */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
