import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRunning } from './pid-file.js';

/**
 * A private folder (mode 0700, as mkdtemp makes it) in the system's temporary folder for the Unix
 * sockets Junction shares with the Python processes it starts, named after its kind and this
 * process's id. A Junction that is killed (SIGKILL, the OOM killer) cannot remove its folders; the
 * next one to make a folder of the same kind removes those of processes that are gone, so they do
 * not pile up with every crash.
 */
export async function makeSocketFolder(kind: string, parent: string = tmpdir()): Promise<string> {
  await removeOrphanedFolders(kind, parent);
  return mkdtemp(join(parent, `junction-${kind}-${process.pid}-`));
}

async function removeOrphanedFolders(kind: string, parent: string): Promise<void> {
  const pattern = new RegExp(`^junction-${kind}-(\\d+)-[^/]+$`);
  const names = await readdir(parent).catch(() => [] as string[]);
  await Promise.all(names.map(async (name) => {
    const owner = Number(pattern.exec(name)?.[1]);
    if (!Number.isSafeInteger(owner) || owner === process.pid || isRunning(owner)) return;
    const folder = join(parent, name);
    // Only our own user's: another user's Junction may share the temporary folder.
    const info = await stat(folder).catch(() => undefined);
    if (info?.isDirectory() && info.uid === process.getuid?.()) await rm(folder, { recursive: true, force: true }).catch(() => {});
  }));
}
