import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { StaticService } from '../../config/model.js';
import type { Logger } from '../../router/log.js';
import { UnsupportedConfigError } from '../auth-wiring.js';
import { directoryListing } from './directory-listing.js';
import { cacheControl, notModified, requestedRange, validatorsOf } from './http-caching.js';
import { methodAllowed, sendBody, sendJson, sendNotFound } from './http-reply.js';
import { normalizePath, type PathHandler } from './listener.js';
import { MimeTypes } from './mime-types.js';
import { BadPathError, fileSegments, isHiddenName, resolveInside } from './static-resolve.js';
import { folderOf } from './package-folder.js';
import type { PathServiceFactory } from './service-context.js';
import { aboutConfig } from '../logger.js';
import { missingDirectoryText } from './path-file-warnings.js';

/**
 * Files from a directory at this path and below it (Crossbar's `static` web service). A directory
 * missing at start is not fatal, as in Crossbar: a warning, 404 for every request, and the files
 * are served once the directory exists. A Python package's folder is found at start; a package
 * that cannot be imported stops the start (or the reload), as it fails Crossbar's transport.
 */
export const staticPath: PathServiceFactory<StaticService> = async (service, context) => {
  const directory = await folderOf(service.directory, context, 'static');
  let root = await servedRoot(directory, context.where);
  if (root === undefined) {
    context.log.warn({ directory, ...aboutConfig }, missingDirectoryText(context.where, directory));
  }
  let files = root === undefined ? undefined : new StaticFiles(service, root, context.path, context.log);
  const serve = async (request: IncomingMessage, response: ServerResponse, subpath: string): Promise<void> => {
    if (files === undefined) {
      root = await servedRoot(directory, context.where).catch(() => undefined);
      if (root === undefined) {
        if (methodAllowed(request, response)) notFound(request, response);
        return;
      }
      files = new StaticFiles(service, root, context.path, context.log);
    }
    await files.serve(request, response, subpath);
  };
  return {
    servesBelow: true,
    request: (request, response, subpath) => void serve(request, response, subpath),
  } satisfies PathHandler;
};

/** The directory's real path (symlinks resolved), so containment checks compare like with like; undefined while it does not exist. */
async function servedRoot(directory: string, where: string): Promise<string | undefined> {
  let root: string;
  try {
    root = await realpath(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UnsupportedConfigError(`${where}: the static directory "${directory}" cannot be used (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (!(await stat(root)).isDirectory()) throw new UnsupportedConfigError(`${where}: the static directory "${directory}" is not a directory`);
  return root;
}

// O_NONBLOCK: a FIFO swapped in after the type check cannot hang a worker thread on open.
// O_NOFOLLOW: a symlink swapped in after realpath is refused rather than followed out of the root.
const openFlags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);

class StaticFiles {
  private readonly mimeTypes: MimeTypes;
  private readonly cacheControl: string;

  constructor(
    private readonly service: StaticService,
    private readonly root: string,
    private readonly mountPath: string,
    private readonly log: Logger,
  ) {
    this.mimeTypes = new MimeTypes(service.mimeTypes);
    this.cacheControl = cacheControl(service.cacheTimeoutSeconds);
  }

  async serve(request: IncomingMessage, response: ServerResponse, subpath: string): Promise<void> {
    if (!methodAllowed(request, response)) return;
    try {
      await this.answer(request, response, subpath);
    } catch (error) {
      this.failed(request, response, error);
    }
  }

  private async answer(request: IncomingMessage, response: ServerResponse, subpath: string): Promise<void> {
    const segments = fileSegments(subpath);
    if (segments.some(isHiddenName)) return notFound(request, response);
    const resolved = await resolveInside(this.root, segments);
    if (resolved.kind === 'missing') return notFound(request, response);
    if (resolved.kind === 'outside') return forbidden(response, 'the path leads outside the served directory');
    const info = await stat(resolved.path);
    if (info.isFile()) return this.sendFile(request, response, resolved.path);
    if (!info.isDirectory()) return notFound(request, response); // sockets, FIFOs, devices are never served

    // "/docs" -> "./docs/", so that the page's relative links resolve inside the folder.
    if (!rawPath(request).endsWith('/')) return redirectToFolder(request, response);
    const index = await resolveInside(this.root, [...segments, this.service.defaultFile]);
    if (index.kind === 'inside' && (await stat(index.path)).isFile()) return this.sendFile(request, response, index.path);
    if (!this.service.directoryListing) {
      return sendNotFound(request, response, `${normalizePath(request.url)}/ has no ${this.service.defaultFile} and directory listing is off`);
    }
    const title = (this.mountPath === '/' ? '' : this.mountPath) + '/' + segments.map((segment) => `${segment}/`).join('');
    const page = await directoryListing(resolved.path, title, segments.length > 0);
    sendBody(response, 200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy': "default-src 'none'",
      'x-content-type-options': 'nosniff',
    }, page);
  }

  /** One file, streamed from an open handle so the bytes sent are the ones the headers describe. */
  private async sendFile(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    const handle = await open(path, openFlags);
    let streaming = false;
    try {
      const info = await handle.stat();
      if (!info.isFile()) return notFound(request, response);
      const validators = validatorsOf(info.size, info.mtimeMs);
      const headers: OutgoingHttpHeaders = {
        etag: validators.etag,
        'last-modified': validators.lastModified,
        'cache-control': this.cacheControl,
      };
      if (notModified(request.headers, validators)) {
        response.writeHead(304, headers);
        response.end();
        return;
      }
      Object.assign(headers, this.mimeTypes.fileHeaders(path));
      headers['accept-ranges'] = 'bytes';
      const range = requestedRange(request.headers, info.size, validators);
      if (range === 'unsatisfiable') {
        response.setHeader('content-range', `bytes */${info.size}`);
        return sendJson(response, 416, { error: 'range_not_satisfiable', message: `the file has ${info.size} bytes` });
      }
      const start = range?.start ?? 0;
      const end = range?.end ?? info.size - 1;
      if (range) headers['content-range'] = `bytes ${start}-${end}/${info.size}`;
      headers['content-length'] = end - start + 1;
      response.writeHead(range ? 206 : 200, headers);
      if (request.method === 'HEAD' || end < start) {
        response.end();
        return;
      }
      // The stream owns the handle from here: it closes it at the end, or when the client goes away.
      streaming = true;
      pipeline(handle.createReadStream({ start, end }), response, (error) => {
        if (error && (error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
          this.log.warn({ err: error.message, path: normalizePath(request.url) }, 'static file stream failed');
        }
      });
    } finally {
      if (!streaming) await handle.close();
    }
  }

  private failed(request: IncomingMessage, response: ServerResponse, error: unknown): void {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    if (error instanceof BadPathError) return sendJson(response, 400, { error: 'bad_path', message: error.message });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return forbidden(response, 'the file is not readable by the router');
    if (code === 'ENOENT' || code === 'ELOOP') return notFound(request, response); // changed on disk under us
    this.log.warn({ err: (error as Error).message, path: normalizePath(request.url) }, 'static file request failed');
    sendJson(response, 500, { error: 'internal_error', message: 'the file could not be read' });
  }
}

/** The request's path as sent (percent-escapes and a trailing slash kept), without the query. */
export function rawPath(request: IncomingMessage): string {
  return (request.url ?? '/').split('?')[0]!;
}

export function redirectToFolder(request: IncomingMessage, response: ServerResponse): void {
  const url = request.url ?? '/';
  const query = url.includes('?') ? url.slice(url.indexOf('?')) : '';
  const last = normalizePath(url).split('/').pop()!;
  // Relative, so it also works behind a proxy that mounts us under a prefix; "./" keeps a
  // segment like "http:" from being read as a URL scheme.
  const location = `./${last}/${query}`;
  sendBody(response, 301, { location, 'content-type': 'text/plain; charset=utf-8' }, `Moved to ${location}\n`);
}

export function notFound(request: IncomingMessage, response: ServerResponse): void {
  sendNotFound(request, response, `no file at ${normalizePath(request.url)}`);
}

function forbidden(response: ServerResponse, message: string): void {
  sendJson(response, 403, { error: 'forbidden', message });
}
