/**
 * The slowest test files of a run, for whoever keeps `npm test` short: the spec reporter gives
 * each test's time but not its file's, and the runner's files overlap (--test-concurrency). A
 * file's time here is the sum of the top-level tests and suites it defines (the runner names the
 * file a test is defined in: a suite a shared module defines, as test/support's conformance
 * suites, counts there); not its loading, nor hooks and awaits outside any suite.
 */
import { relative } from 'node:path';

export interface TimedEvent {
  type: string;
  data: { nesting?: number; file?: string; details?: { duration_ms?: number } };
}

/** Adds a finished top-level test's or suite's time to its file's. */
export function tallyFileTime(times: Map<string, number>, event: TimedEvent): void {
  if (event.type !== 'test:pass' && event.type !== 'test:fail') return;
  const { nesting, file, details } = event.data;
  if (nesting !== 0 || file === undefined || details?.duration_ms === undefined) return;
  times.set(file, (times.get(file) ?? 0) + details.duration_ms);
}

/** The `count` slowest files, slowest first, each on a line of its own under a heading; nothing for no files. */
export function slowestFilesLines(times: Map<string, number>, count: number, cwd = process.cwd()): string {
  const slowest = [...times].sort((a, b) => b[1] - a[1]).slice(0, count);
  if (slowest.length === 0) return '';
  const lines = slowest.map(([file, ms]) => `#   ${(ms / 1000).toFixed(1).padStart(6)} s ${relative(cwd, file)}\n`);
  return `# slowest test files (the top-level tests each defines, not their loading):\n${lines.join('')}`;
}
