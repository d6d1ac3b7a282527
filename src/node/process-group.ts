/**
 * Signals a program started with `detached: true` and everything it started: it leads its own
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
