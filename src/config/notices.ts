/**
 * Notices: settings that were accepted but have no effect in Junction, or are read differently
 * than their text suggests, one line each with its code, so a migrating user sees exactly what
 * Junction left out instead of guessing.
 */

import { noticeMessages, type NoticeCode } from './codes.js';
import { withPath, type ConfigPath } from './problems.js';

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
