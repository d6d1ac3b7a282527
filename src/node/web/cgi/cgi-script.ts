import { realpath, stat } from 'node:fs/promises';
import { isHiddenName, resolveInside } from '../static-resolve.js';

/** What a request's path segments name in a CGI directory. */
export type ScriptLookup =
  /** A script: its real file, the segments naming it, and those after it (PATH_INFO). */
  | { kind: 'script'; file: string; named: string[]; rest: string[] }
  /** Nothing, a hidden name, or a directory (which is not listed, as in Crossbar). */
  | { kind: 'missing' | 'directory' }
  /** A symlink that leads out of the directory. */
  | { kind: 'outside' }
  /** Something that is not a regular file (a FIFO, a device, a socket). */
  | { kind: 'not-a-file' };

/**
 * Walks `segments` (already decoded and free of "." and "..") down from `root`, as Twisted's
 * CgiDirectory does: folders are entered, and the first regular file is the script, the rest of
 * the segments being its PATH_INFO. Every step is resolved through its symlinks and must stay
 * inside the real root; dotfiles and dot-folders are never run (".htaccess", ".git").
 */
export async function findScript(root: string, segments: readonly string[]): Promise<ScriptLookup> {
  const realRoot = await realpath(root);
  for (let count = 1; count <= segments.length; count++) {
    if (isHiddenName(segments[count - 1]!)) return { kind: 'missing' };
    const resolved = await resolveInside(realRoot, segments.slice(0, count));
    if (resolved.kind !== 'inside') return resolved;
    const found = await stat(resolved.path);
    if (found.isDirectory()) continue;
    if (!found.isFile()) return { kind: 'not-a-file' };
    return { kind: 'script', file: resolved.path, named: segments.slice(0, count), rest: segments.slice(count) };
  }
  return { kind: 'directory' };
}
