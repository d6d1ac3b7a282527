import { close, existsSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { Entry } from 'yauzl';
import type { ArchiveService } from '../../config/model.js';
import type { Counter } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import { sha256OfFd } from './archive-download.js';
import { archiveStartupError, fetchArchive, type ArchiveFailure } from './archive-fetch.js';
import { cacheControl, notModified, validatorsOf } from './http-caching.js';
import { methodAllowed } from './http-reply.js';
import { normalizePath, type PathHandler } from './listener.js';
import { sendJson } from './http-reply.js';
import { MimeTypes } from './mime-types.js';
import type { ServiceContext } from './service-context.js';
import { BadPathError, fileSegments, isHiddenName } from './static-resolve.js';
import { notFound, rawPath, redirectToFolder } from './static.js';
import { archiveLimits, ArchiveRefusedError, isRegularFile, openArchiveFile, ZipArchive } from './zip-archive.js';
import { aboutConfig } from '../logger.js';
import { archiveTexts } from './path-file-warnings.js';

/**
 * The files of a ZIP archive at this path and below it (Crossbar's `archive` web service). The
 * archive is downloaded (when missing, with `download`), checked against `hashes` and read whole
 * once before the path serves anything; any failure there stops the start (or the reload) with
 * a StartupError naming the path, as Crossbar's transport fails to start.
 */
export async function archivePath(service: ArchiveService, context: ServiceContext): Promise<PathHandler> {
  const labels = { transport: context.listener.id, path: context.path };
  const refused = context.metrics.counter('junction_archive_refused_total',
    'Archives of archive paths refused at start or reload, by transport, path and reason');
  const fail: ArchiveFailure = (reason, message) => {
    refused.inc({ ...labels, reason });
    return archiveStartupError(context.where, message);
  };

  const fd = await prepareFile(service, context, fail);
  if (fd === undefined) {
    context.log.warn({ archive: service.archive, ...aboutConfig }, archiveTexts.notDownloaded(service.archive, context.where));
    return {
      servesBelow: true,
      request: (request, response) => void (methodAllowed(request, response) && notFound(request, response)),
      stale: () => existsSync(service.archive),
    };
  }
  let archive: ZipArchive;
  try {
    archive = await ZipArchive.fromFd(fd, archiveLimits);
  } catch (error) {
    if (error instanceof ArchiveRefusedError) throw fail(error.reason, `the archive ${service.archive} is refused: ${error.message}`);
    throw fail('unreadable', `the archive ${service.archive} cannot be read (${(error as Error).message})`);
  }
  if (service.objectPrefix !== undefined && !archive.isFolder(service.objectPrefix)) {
    context.log.warn({ archive: service.archive, ...aboutConfig }, `${context.where}: the archive ${service.archive} has no folder "${service.objectPrefix}" (object_prefix); every request gets 404`);
  }
  context.metrics.gauge('junction_archive_files', 'Files served by archive paths, by transport and path').set(archive.fileCount, labels);
  const failures = context.metrics.counter('junction_archive_stream_failures_total',
    'Answers of archive paths cut off because the archive could no longer be read, by transport and path');
  const files = new ArchiveFiles(service, archive, context.log, failures.bind(labels));
  return {
    servesBelow: true,
    request: (request, response, subpath) => void files.serve(request, response, subpath),
    close: () => archive.close(),
    // A new archive put in place (a rename) is served from the next reload, as a changed setting would be.
    stale: () => archiveReplaced(service.archive, archive),
  };
}

function archiveReplaced(path: string, archive: ZipArchive): boolean {
  try {
    return statSync(path).mtimeMs !== archive.modifiedMs;
  } catch {
    return true;
  }
}

/**
 * Makes sure the archive file is there and trusted: downloaded when missing (and `download` says
 * so), then checked against `hashes`. Its descriptor, which the hash was read through and the
 * archive is to be read through; undefined when it is missing and not to be downloaded.
 */
async function prepareFile(service: ArchiveService, context: ServiceContext, fail: ArchiveFailure): Promise<number | undefined> {
  const unusable = (error: NodeJS.ErrnoException) => fail('unreadable', archiveTexts.unusable(service.archive, error));
  const present = await stat(service.archive).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw unusable(error);
  });
  if (present === undefined) {
    if (service.origin === undefined) throw fail('unreadable', archiveTexts.noOrigin(service.archive));
    if (!service.download) return undefined;
    const fd = await fetchArchive({ ...service, origin: service.origin }, context.where, context.log, fail);
    warnIfUnverified(service, context);
    return fd;
  }
  const fd = await openArchiveFile(service.archive).catch((error: NodeJS.ErrnoException) => {
    throw unusable(error);
  });
  try {
    if (!(await isRegularFile(fd))) throw fail('unreadable', archiveTexts.notAFile(service.archive));
    await verifyHashes(service, fd, fail);
    warnIfUnverified(service, context);
    return fd;
  } catch (error) {
    close(fd, () => {});
    throw error;
  }
}

function warnIfUnverified(service: ArchiveService, context: ServiceContext): void {
  if (service.hashes.length === 0) context.log.warn({ archive: service.archive, ...aboutConfig }, `${context.where}: the archive is not verified (no "hashes")`);
}

async function verifyHashes(service: ArchiveService, fd: number, fail: ArchiveFailure): Promise<void> {
  if (service.hashes.length === 0) return;
  const hash = await sha256OfFd(fd);
  if (!service.hashes.includes(hash)) throw fail('hash_mismatch', `the archive ${service.archive} has SHA-256 ${hash}, which is not one of "hashes"`);
}

/** Answers requests from an open archive. */
class ArchiveFiles {
  private readonly mimeTypes: MimeTypes;

  constructor(
    private readonly service: ArchiveService,
    private readonly archive: ZipArchive,
    private readonly log: Logger,
    private readonly failures: ReturnType<Counter['bind']>,
  ) {
    this.mimeTypes = new MimeTypes(service.mimeTypes);
  }

  async serve(request: IncomingMessage, response: ServerResponse, subpath: string): Promise<void> {
    if (!methodAllowed(request, response)) return;
    let segments: string[];
    try {
      segments = fileSegments(subpath);
    } catch (error) {
      if (error instanceof BadPathError) return sendJson(response, 400, { error: 'bad_path', message: error.message });
      throw error;
    }
    if (segments.some(isHiddenName)) return notFound(request, response);
    const name = this.nameInArchive(segments);
    const file = this.archive.file(name);
    if (file !== undefined) return this.send(request, response, file);
    if (this.archive.isFolder(name)) {
      // "/app" -> "./app/", so that the page's relative links resolve inside the folder.
      if (!rawPath(request).endsWith('/')) return redirectToFolder(request, response);
      const index = this.service.defaultObject === undefined ? undefined : this.archive.file(this.nameInArchive([...segments, this.service.defaultObject]));
      if (index !== undefined) return this.send(request, response, index);
    }
    const fallback = this.service.fallbackObject === undefined ? undefined : this.archive.file(this.nameInArchive([this.service.fallbackObject]));
    if (fallback !== undefined) return this.send(request, response, fallback);
    notFound(request, response);
  }

  private nameInArchive(segments: readonly string[]): string {
    return [...(this.service.objectPrefix === undefined ? [] : [this.service.objectPrefix]), ...segments].join('/');
  }

  /**
   * One file, streamed from the archive (inflated on the way). Validators come from the archive
   * file's time and the entry's size, so a new archive makes every copy stale; no byte ranges
   * (a deflated file cannot be entered in the middle), which HTTP lets a server ignore.
   */
  private async send(request: IncomingMessage, response: ServerResponse, file: Entry): Promise<void> {
    const validators = validatorsOf(file.uncompressedSize, this.archive.modifiedMs);
    const headers: OutgoingHttpHeaders = {
      etag: validators.etag,
      'last-modified': validators.lastModified,
      // Crossbar sends no caching headers; revalidating each time shows a new archive at once.
      'cache-control': cacheControl(0),
    };
    if (notModified(request.headers, validators)) {
      response.writeHead(304, headers);
      response.end();
      return;
    }
    Object.assign(headers, this.mimeTypes.fileHeaders(file.fileName));
    headers['content-length'] = file.uncompressedSize;
    if (request.method === 'HEAD') {
      response.writeHead(200, headers);
      response.end();
      return;
    }
    let body;
    try {
      body = await this.archive.read(file);
    } catch (error) {
      this.streamFailed(request, error);
      return sendJson(response, 500, { error: 'internal_error', message: 'the file could not be read from the archive' });
    }
    response.writeHead(200, headers);
    pipeline(body, response, (error) => {
      if (error && (error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') this.streamFailed(request, error);
    });
  }

  private streamFailed(request: IncomingMessage, error: unknown): void {
    this.failures.inc();
    this.log.warn({ err: (error as Error).message, path: normalizePath(request.url) }, 'archive file stream failed');
  }
}
