import { readFileSync } from 'node:fs';
import type { Dict } from '../../protocol/messages.js';
import type { Logger } from '../../router/log.js';
import type { FileCookieStore, KeyedCookieEntry } from './file-store.js';
import { looksLikeToken, tokenKey } from './token.js';

/**
 * Crossbar's cookie file (a WebSocket's `"store": {"type": "file"}`), read once into our store so
 * that browsers signed in under Crossbar stay signed in after the switch. Crossbar appends one
 * JSON object per line and never rewrites one (but for purge_on_startup): a line when a cookie is
 * made (`"created"`: its time) and another each time its sign-in changes (the same time under
 * `"modified"`), each with every field: `id` (the cookie's value), `max_age` (seconds), `authid`,
 * `authrole`, `authmethod`, and in later Crossbars `authrealm` and `authextra`. The last line of
 * an id is its state. Only our hashes of the values are kept; Crossbar's file is only read.
 */

/** What reading the file found, besides the cookies to import: for the one log line. */
export interface CrossbarCookieCounts {
  lines: number;
  /** Lines that are not a JSON object with a string `id`: skipped. */
  malformed: number;
  /** Cookies whose last line binds them to a sign-in. */
  bound: number;
  expired: number;
  /** Bound by an anonymous sign-in, which binds no cookie in Junction (it proves nothing). */
  anonymous: number;
  /** Written by a Crossbar without `authrealm`: the realm they sign in to is unknown. */
  noRealm: number;
  /** Values Junction does not look up: under its minimum length, or not base64. */
  unusable: number;
  /** Bound, but a time or `max_age` we cannot read. */
  badTime: number;
}

export interface CrossbarCookies {
  cookies: KeyedCookieEntry[];
  counts: CrossbarCookieCounts;
}

/** The live cookies of Crossbar's file text bound to a sign-in, keyed as our store keys them. */
export function readCrossbarCookies(text: string, now: number): CrossbarCookies {
  const counts: CrossbarCookieCounts = { lines: 0, malformed: 0, bound: 0, expired: 0, anonymous: 0, noRealm: 0, unusable: 0, badTime: 0 };
  // Only the bound are kept while reading: most of Crossbar's cookies never sign anybody in.
  const last = new Map<string, Record<string, unknown>>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    counts.lines++;
    const record = parseRecord(line);
    if (record === undefined) counts.malformed++;
    else if (typeof record.authid === 'string' && typeof record.authrole === 'string' && typeof record.authmethod === 'string') last.set(record.id, record);
    else last.delete(record.id);
  }
  const cookies: KeyedCookieEntry[] = [];
  for (const [id, record] of last) {
    counts.bound++;
    const expires = expiryOf(record);
    if (expires === undefined) counts.badTime++;
    else if (expires <= now) counts.expired++;
    else if (record.authmethod === 'anonymous') counts.anonymous++;
    else if (typeof record.authrealm !== 'string') counts.noRealm++;
    else if (!looksLikeToken(id)) counts.unusable++;
    else {
      const authextra = isDict(record.authextra) ? { authextra: record.authextra } : {};
      const binding = { authid: record.authid as string, authrole: record.authrole as string, authmethod: record.authmethod as string, realm: record.authrealm, ...authextra };
      cookies.push({ key: tokenKey(id), entry: { expires, binding } });
    }
  }
  return { cookies, counts };
}

/** The source name an import from Crossbar's file is recorded under in our store. */
const importSource = 'crossbar-cookie-file';

/**
 * Imports Crossbar's file at `path` into `store` unless the store has done it before; logs the
 * outcome once. A missing file is nothing to import (and is looked for again at the next start).
 */
export function importCrossbarCookies(store: FileCookieStore, path: string, log: Logger, now: number): void {
  if (store.imported(importSource)) return;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') log.warn({ file: path, err: (error as Error).message }, 'could not read Crossbar\'s cookie file: its browsers sign in again with their other methods');
    return;
  }
  const { cookies, counts } = readCrossbarCookies(text, now);
  const result = store.importOnce(importSource, cookies, now);
  if (result === undefined) return;
  log.info({ file: path, ...counts, ...result }, 'imported the bound cookies of Crossbar\'s cookie file (once; the file is left as it is)');
}

function parseRecord(line: string): (Record<string, unknown> & { id: string }) | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  return isDict(value) && typeof value.id === 'string' ? (value as Record<string, unknown> & { id: string }) : undefined;
}

/** Milliseconds since the epoch: made (Crossbar's UTC ISO 8601 time) plus `max_age` seconds. */
function expiryOf(record: Record<string, unknown>): number | undefined {
  const made = record.created ?? record.modified;
  const maxAge = record.max_age;
  if (typeof made !== 'string' || typeof maxAge !== 'number' || !Number.isFinite(maxAge)) return undefined;
  const madeMs = Date.parse(made);
  return Number.isNaN(madeMs) ? undefined : madeMs + maxAge * 1000;
}

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
