import { realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';

/** A request path a static service refuses to map to a file, with the reason given to the client. */
export class BadPathError extends Error {}

/**
 * The file-name segments of a request's subpath ("/css/a%20b.css" -> ["css", "a b.css"]).
 * Percent-escapes are decoded exactly once, and a decoded segment may not climb ("." or ".."),
 * hide a separator ("%2F", "\\") or hold a NUL: each of those throws BadPathError. An escape is
 * never decoded twice, so "%252e%252e" names a file literally called "%2e%2e".
 */
export function fileSegments(subpath: string): string[] {
  const segments: string[] = [];
  for (const raw of subpath.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw new BadPathError(`"${raw}" is not valid percent-encoded UTF-8`);
    }
    if (segment === '.' || segment === '..') throw new BadPathError('".." and "." are not allowed in a path');
    if (segment.includes('/') || segment.includes('\\')) throw new BadPathError('an encoded "/" or a "\\" is not allowed in a path');
    if (segment.includes('\0')) throw new BadPathError('a NUL character is not allowed in a path');
    segments.push(segment);
  }
  return segments;
}

/**
 * Dotfiles and dot-folders (".env", ".git/config", ".htpasswd") are never served or listed:
 * they are configuration and secrets far more often than content. ".well-known" (RFC 8615) is.
 */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.') && name !== '.well-known';
}

/** What a path resolved to: the real file system path, known to lie inside the served directory. */
export type Resolved = { kind: 'inside'; path: string } | { kind: 'outside' } | { kind: 'missing' };

/**
 * Resolves `segments` under `root` (itself a real path) following every symlink, and checks that
 * the result stays inside `root`: a symlink may point anywhere within the directory but not out
 * of it. Missing files (or a file used as a folder) are `missing`; other file system errors throw.
 */
export async function resolveInside(root: string, segments: readonly string[]): Promise<Resolved> {
  let real: string;
  try {
    real = await realpath(join(root, ...segments));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG' || code === 'ELOOP') return { kind: 'missing' };
    throw error;
  }
  const inside = real === root || real.startsWith(root.endsWith(sep) ? root : root + sep);
  return inside ? { kind: 'inside', path: real } : { kind: 'outside' };
}
