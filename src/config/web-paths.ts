/**
 * URL path keys of a web transport: Crossbar writes "ws" or "/"; the model uses "/ws" and "/".
 * A `path` service nests a table whose keys continue its own path ("api" + "publish" -> "/api/publish").
 */

import { problem, type ConfigProblem } from './problems.js';
import type { ConfigPath } from './config-path.js';

export function normalizeWebPath(key: string): string {
  const segments = key.split('/').filter((segment) => segment !== '');
  return `/${segments.join('/')}`;
}

/** A nested table's key below its parent's URL path ("/" below "/api" is "/api" itself). */
export function joinWebPath(prefix: string, key: string): string {
  return normalizeWebPath(`${prefix}/${key}`);
}

/** Nesting deeper than this is a mistake (or a document that refers to itself), not a site layout. */
export const maxPathNesting = 16;

export interface FlatPathEntry {
  /** The full URL path this service answers. */
  url: string;
  /** Where the service sits in the document. */
  path: ConfigPath;
  /** The service as written (validated or not). */
  service: Record<string, unknown>;
}

/**
 * Every non-`path` service of a path table with its full URL path, depth first in document order.
 * Reads raw documents defensively: entries that are not objects are skipped (the schema reports
 * them). `report` hears of an empty nested table and of nesting deeper than maxPathNesting.
 */
export function flattenPathTable(
  table: unknown,
  prefix: string,
  at: ConfigPath,
  report: (found: ConfigProblem) => void,
  depth = 0,
): FlatPathEntry[] {
  if (!isRecord(table)) return [];
  if (depth > maxPathNesting) {
    report(problem('config.path.too_deep', at, maxPathNesting));
    return [];
  }
  const entries: FlatPathEntry[] = [];
  for (const [key, service] of Object.entries(table)) {
    if (!isRecord(service)) continue;
    const url = joinWebPath(prefix, key);
    const path = [...at, key];
    if (service.type !== 'path') {
      entries.push({ url, path, service });
      continue;
    }
    if (isRecord(service.paths) && Object.keys(service.paths).length === 0) {
      report(problem('config.path.none', [...path, 'paths'], 'path service'));
    }
    entries.push(...flattenPathTable(service.paths, url, [...path, 'paths'], report, depth + 1));
  }
  return entries;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
