import { mkdirSync, statSync } from 'node:fs';

/**
 * Makes one folder in a folder that must exist (an lmdb store's, the node folder of `junction
 * keys`, as Crossbar's single mkdir): a recursive mkdir retries forever where it cannot (under
 * /proc). Returns why it cannot be made, in words, or undefined when it exists now.
 */
export function makeOneFolder(path: string): string | undefined {
  try {
    mkdirSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && statSync(path).isDirectory()) return undefined;
    return code === 'ENOENT' ? 'its parent folder does not exist' : code;
  }
  return undefined;
}
