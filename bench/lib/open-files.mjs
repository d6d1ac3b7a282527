import { readFileSync } from 'node:fs';

// Files a server holds besides one per session (listeners, logs, pipes), with room to spare.
const FILES_BESIDES_SESSIONS = 200;

/** The soft limit on open files of this process (children inherit it): a server holds one per session. */
export function openFileLimit() {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const soft = Number(line?.split(/\s+/)[3]);
  return Number.isFinite(soft) ? soft : Infinity;
}

/** The most sessions one server process can hold here: the open file limit (ulimit -n) decides. */
export function largestIdleCount() {
  return openFileLimit() - FILES_BESIDES_SESSIONS;
}
