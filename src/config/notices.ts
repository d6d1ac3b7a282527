/**
 * Notices: settings that were accepted but have no effect in Junction, one line each, so a
 * migrating user sees exactly what Junction left out instead of guessing.
 */

import { formatPath, type ConfigPath } from './problems.js';
import { Ignored } from './schema-parts.js';

export function notice(path: ConfigPath, text: string): string {
  return `${formatPath(path)}: ${text}`;
}

/** One notice per `ignored(...)` key present in the parsed file, in document order. */
export function ignoredSettingNotices(parsed: unknown): string[] {
  const notices: string[] = [];
  const visit = (value: unknown, path: ConfigPath): void => {
    if (value instanceof Ignored) {
      notices.push(notice(path, `${value.what} ${value.outcome}`));
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, index]));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) visit(item, [...path, key]);
    }
  };
  visit(parsed, []);
  return notices;
}
