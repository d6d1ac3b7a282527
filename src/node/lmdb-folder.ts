import { mkdirSync, statSync } from 'node:fs';

/**
 * Makes an lmdb store's folder itself, in a folder that must exist: lmdb would make missing
 * parents with a recursive mkdir, which retries forever where it cannot (under /proc). Returns
 * why it cannot be made, in words, or undefined when it exists now.
 */
export function makeLmdbFolder(path: string): string | undefined {
  try {
    mkdirSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && statSync(path).isDirectory()) return undefined;
    return code === 'ENOENT' ? 'its parent folder does not exist' : code;
  }
  return undefined;
}
