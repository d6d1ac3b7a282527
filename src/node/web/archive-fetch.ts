import { close } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import type { ArchiveService, ListenerConfig } from '../../config/model.js';
import type { Logger } from '../../router/log.js';
import { StartupError } from '../startup-errors.js';
import { downloadArchive, sha256OfFd } from './archive-download.js';
import { pathWhere } from './path-where.js';
import { archiveLimits, openArchiveFile, type ArchiveRefusedError } from './zip-archive.js';

/** Why an archive path could not be built; the `reason` of junction_archive_refused_total. */
export type LoadFailure = ArchiveRefusedError['reason'] | 'download_failed' | 'hash_mismatch' | 'unreadable';

/** Makes the StartupError that stops the start for `reason` (and counts it, where there are metrics). */
export type ArchiveFailure = (reason: LoadFailure, message: string) => StartupError;

/** The error that stops the start (or the reload) for an archive path's file. */
export function archiveStartupError(where: string, message: string): StartupError {
  return new StartupError('archive_unusable', `${where}: ${message}`);
}

/**
 * Downloads a missing archive from its origin into a file of its own first, checks it against
 * `hashes` and only then puts it under the archive's name (so the name never shows half a file
 * or an untrusted one). Its descriptor, which the hash was read through; the caller closes it.
 */
export async function fetchArchive(service: ArchiveService & { origin: string }, where: string, log: Logger, fail: ArchiveFailure): Promise<number> {
  const file = `${service.archive}.download-${process.pid}`;
  log.info({ origin: service.origin, archive: service.archive }, `${where}: downloading the archive`);
  try {
    await downloadArchive(service.origin, file, archiveLimits.maxArchiveBytes);
  } catch (error) {
    throw fail('download_failed', `the archive could not be downloaded from ${service.origin} (${(error as Error).message})`);
  }
  let fd: number | undefined;
  try {
    fd = await openArchiveFile(file);
    const hash = service.hashes.length === 0 ? undefined : await sha256OfFd(fd);
    if (hash !== undefined && !service.hashes.includes(hash)) {
      throw fail('hash_mismatch', `the archive downloaded from ${service.origin} has SHA-256 ${hash}, which is not one of "hashes"`);
    }
    await rename(file, service.archive);
    return fd;
  } catch (error) {
    if (fd !== undefined) close(fd, () => {});
    await rm(file, { force: true });
    throw error instanceof StartupError ? error : fail('unreadable', `the archive downloaded from ${service.origin} cannot be used (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/**
 * The parent of `--workers`, before it forks: downloads every archive the workers would download
 * (missing, with an origin and `download`), so that the node fetches each once and its workers
 * find it in place. A failure stops the start as it would stop a worker's, in the same words.
 */
export async function fetchMissingArchives(listeners: readonly ListenerConfig[], log: Logger): Promise<void> {
  for (const listener of listeners) {
    for (const [path, service] of Object.entries(listener.paths)) {
      if (service.type !== 'archive' || service.origin === undefined || !service.download) continue;
      // Only a missing one: any other trouble with it is the workers' to report, as a single process does.
      const present = await stat(service.archive).then(() => true, (error: NodeJS.ErrnoException) => error.code !== 'ENOENT');
      if (present) continue;
      const where = pathWhere(listener, path);
      const fd = await fetchArchive({ ...service, origin: service.origin }, where, log, (_reason, message) => archiveStartupError(where, message));
      close(fd, () => {});
    }
  }
}
