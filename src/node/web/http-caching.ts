import type { IncomingHttpHeaders } from 'node:http';

/** What a cached copy is compared against: a file's size and modification time. */
export interface Validators {
  /** Strong: the same size and mtime (to the millisecond) are taken to mean the same bytes, as nginx does. */
  etag: string;
  /** RFC 7231 date; whole seconds. */
  lastModified: string;
  /** mtime truncated to whole seconds, to compare with If-Modified-Since (which has no milliseconds). */
  modifiedSeconds: number;
}

export function validatorsOf(size: number, mtimeMs: number): Validators {
  const modified = new Date(mtimeMs);
  return {
    etag: `"${Math.trunc(mtimeMs).toString(16)}-${size.toString(16)}"`,
    lastModified: modified.toUTCString(),
    modifiedSeconds: Math.floor(mtimeMs / 1000),
  };
}

/**
 * True when the client's copy is current and a 304 is the answer. If-None-Match wins over
 * If-Modified-Since when both are sent (RFC 9110 §13.2.2); ETags compare weakly for this.
 */
export function notModified(headers: IncomingHttpHeaders, validators: Validators): boolean {
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined) return etagListMatches(ifNoneMatch, validators.etag, 'weak');
  const since = headers['if-modified-since'];
  if (since === undefined) return false;
  const sinceMs = Date.parse(since);
  return Number.isFinite(sinceMs) && validators.modifiedSeconds <= Math.floor(sinceMs / 1000);
}

function etagListMatches(list: string, etag: string, comparison: 'weak' | 'strong'): boolean {
  if (list.trim() === '*') return true;
  const opaque = (tag: string): string => tag.replace(/^W\//, '');
  for (const candidate of list.split(',')) {
    const tag = candidate.trim();
    if (comparison === 'strong' ? tag === etag : opaque(tag) === opaque(etag)) return true;
  }
  return false;
}

/** Cache-Control for files: a max-age in seconds, or revalidate every time when it is 0. */
export function cacheControl(maxAgeSeconds: number): string {
  return maxAgeSeconds > 0 ? `public, max-age=${maxAgeSeconds}` : 'no-cache';
}

/** A byte range, both ends included. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The one byte range a request asks for, when it asks for exactly one this file can satisfy.
 * `undefined`: serve the whole file (no Range, several ranges, a syntax we do not read, or an
 * If-Range naming another version). `'unsatisfiable'`: answer 416.
 */
export function requestedRange(headers: IncomingHttpHeaders, size: number, validators: Validators): ByteRange | 'unsatisfiable' | undefined {
  const header = headers.range;
  if (header === undefined) return undefined;
  const ifRange = headers['if-range'] as string | string[] | undefined;
  if (ifRange !== undefined && !ifRangeHolds(Array.isArray(ifRange) ? ifRange.join(',') : ifRange, validators)) return undefined;
  const match = /^bytes=\s*(\d*)-(\d*)\s*$/.exec(header);
  if (!match) return undefined; // several ranges or another unit: the whole file is a valid answer
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return undefined; // an invalid range is ignored (RFC 9110 §14.2)
  return { start, end };
}

/** If-Range holds when it names this exact version: a strong ETag, or the Last-Modified date itself. */
function ifRangeHolds(value: string, validators: Validators): boolean {
  const tag = value.trim();
  if (tag.startsWith('"') || tag.startsWith('W/')) return etagListMatches(tag, validators.etag, 'strong');
  return tag === validators.lastModified;
}
