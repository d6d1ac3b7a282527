/**
 * Notices: settings that were accepted but have no effect in Junction, or are read differently
 * than their text suggests, one line each with its code, so a migrating user sees exactly what
 * Junction left out instead of guessing.
 */

import { noticeMessages, type NoticeCode } from './codes.js';
import { withPath, type ConfigPath } from './config-path.js';

/** `path: message [code]`. */
export function notice<C extends NoticeCode>(code: C, path: ConfigPath, ...args: Parameters<(typeof noticeMessages)[C]>): string {
  const template = noticeMessages[code] as (...values: typeof args) => string;
  return `${withPath(path, template(...args))} [${code}]`;
}

/**
 * The parsed value of a key Junction accepts for compatibility but has no use for. The notice
 * collector finds these in the parsed tree (with their paths) and reports the notice of each.
 */
export class Ignored {
  constructor(readonly notice: (path: ConfigPath) => string) {}
}

/** One notice per `Ignored` value in the parsed file, in document order. */
export function ignoredSettingNotices(parsed: unknown): string[] {
  const notices: string[] = [];
  const visit = (value: unknown, path: ConfigPath): void => {
    if (value instanceof Ignored) {
      notices.push(value.notice(path));
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, index]));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) visit(item, [...path, key]);
    }
  };
  visit(parsed, []);
  return notices;
}

const firstWorkerIndex = /^workers\[(\d+)\]/;

/**
 * The notices to show, the same notice of several workers as one line: Crossbar spreads a node
 * over many router workers with identical settings (48 in one of its benchmarks), and 96 lines
 * that differ only in the worker's number would bury the one notice that matters. The line names
 * every worker (`workers[0-5, 8]...`); notices of one worker, or that differ in more than the
 * number, stay as they are, in the order they came.
 */
export function foldWorkerNotices(notices: readonly string[]): string[] {
  const groups = new Map<string, number[]>();
  const order: (string | { key: string })[] = [];
  for (const line of notices) {
    const index = firstWorkerIndex.exec(line)?.[1];
    if (index === undefined) {
      order.push(line);
      continue;
    }
    const key = line.replace(firstWorkerIndex, '');
    const indices = groups.get(key);
    if (indices === undefined) {
      groups.set(key, [Number(index)]);
      order.push({ key });
    } else {
      indices.push(Number(index));
    }
  }
  return order.map((entry) => {
    if (typeof entry === 'string') return entry;
    const indices = groups.get(entry.key) ?? [];
    return `workers[${indexRanges(indices)}]${entry.key}`;
  });
}

/** `0-3, 7, 9-10`: ascending indices, runs written as ranges. */
function indexRanges(indices: readonly number[]): string {
  const runs: [number, number][] = [];
  for (const index of [...new Set(indices)].sort((a, b) => a - b)) {
    const last = runs.at(-1);
    if (last !== undefined && index === last[1] + 1) last[1] = index;
    else runs.push([index, index]);
  }
  return runs.map(([first, end]) => (first === end ? `${first}` : `${first}-${end}`)).join(', ');
}
