import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CgiService } from '../../../config/model.js';
import type { Logger } from '../../../router/log.js';
import { readLimitedBody } from '../../../transport/http-body.js';
import { checkProgram, programEnvironment } from '../../bridge/process/program-environment.js';
import { QuietWarning } from '../../../router/limits/warning-throttle.js';
import { normalizePath, type PathHandler } from '../listener.js';
import { sendJson } from '../http-reply.js';
import { PathRequests } from '../path-requests.js';
import { packageVersion } from '../nodeinfo.js';
import type { PathServiceFactory } from '../service-context.js';
import { BadPathError, fileSegments } from '../static-resolve.js';
import { cgiEnvironment } from './cgi-environment.js';
import { runCgiScript, type CgiRunEnd, type CgiRunOutcome } from './cgi-run.js';
import { findScript } from './cgi-script.js';
import { aboutConfig } from '../../logger.js';
import { cgiDirectoryWarning } from '../path-file-warnings.js';

/** How a request of a cgi path ended, as junction_cgi_requests_total counts it. */
export type CgiOutcome = CgiRunOutcome | 'busy' | 'bad_path' | 'not_found' | 'forbidden' | 'body_too_large';

/** How long scripts under way may take to finish when the path closes (a reload rebuilds it, the node stops). */
const closeGraceMs = 2_000;

/**
 * Crossbar's `cgi` path service: a request below the path names a script in the directory (the
 * segments after it are its PATH_INFO), which the processor runs as a CGI/1.1 program
 * (cgi-run.ts). Bounds: scripts running at once (more: 503 with Retry-After), the request body
 * (413), the time a script may run and the size of its headers (cgi-run.ts). Each request is
 * counted by outcome; failures are logged at warn at most every 10 s, with the end of the
 * script's stderr.
 */
export const cgiPath: PathServiceFactory<CgiService> = async (service, context) => {
  const limits = service.options;
  const log = context.log.child({ service: 'cgi' });
  await warnOfMissingParts(service, context.where, log);
  const requests = new PathRequests<CgiOutcome>({
    requests: context.metrics.counter('junction_cgi_requests_total', 'Requests of cgi paths, by transport, path and outcome'),
    inFlight: context.metrics.gauge('junction_cgi_requests_in_flight',
      'Requests of cgi paths being served now (their body read, their script running), by transport and path (at most max_requests_in_flight)'),
    labels: { transport: context.listener.id, path: context.path },
    max: limits.maxRequestsInFlight,
    log,
    busy: {
      warning: 'a request was refused (503): this path runs as many scripts as options.max_requests_in_flight allows',
      message: `this path is running ${limits.maxRequestsInFlight} scripts already (options.max_requests_in_flight); try again shortly`,
    },
  });
  const failures = new QuietWarning(log);
  const scriptOutput = new QuietWarning(log);
  const serverSoftware = `Junction/${packageVersion()}`;
  const stopping = new AbortController();
  const running = new Set<Promise<unknown>>();

  async function serve(request: IncomingMessage, response: ServerResponse, subpath: string): Promise<CgiOutcome> {
    let segments: string[];
    try {
      segments = fileSegments(subpath);
    } catch (error) {
      if (!(error instanceof BadPathError)) throw error;
      sendJson(response, 400, { error: 'bad_path', message: error.message });
      return 'bad_path';
    }
    const lookup = await findScript(service.directory, segments).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return { kind: 'no-directory' } as const;
      throw error;
    });
    switch (lookup.kind) {
      case 'no-directory':
        sendJson(response, 404, { error: 'not_found', message: `no script at ${normalizePath(request.url)}: the CGI directory does not exist` });
        return 'not_found';
      case 'directory':
        sendJson(response, 404, { error: 'not_found', message: `no script at ${normalizePath(request.url)}: CGI directories are not listed` });
        return 'not_found';
      case 'missing':
        sendJson(response, 404, { error: 'not_found', message: `no script at ${normalizePath(request.url)}` });
        return 'not_found';
      case 'outside':
        sendJson(response, 403, { error: 'forbidden', message: 'the path leads outside the CGI directory' });
        return 'forbidden';
      case 'not-a-file':
        sendJson(response, 403, { error: 'forbidden', message: 'the path names something that is not a regular file' });
        return 'forbidden';
    }
    const read = await readLimitedBody(request, limits.maxRequestBodyBytes);
    if (!read.ok) {
      if (read.reason === 'aborted') return 'client_gone';
      // Unless the rest of the body is being read and thrown away, the connection closes after this answer.
      if (read.closeConnection) response.setHeader('connection', 'close');
      sendJson(response, 413, { error: 'body_too_large', message: `the request body is larger than ${limits.maxRequestBodyBytes} bytes (options.max_request_body_bytes)` });
      return 'body_too_large';
    }
    const base = context.path === '/' ? '' : context.path;
    const env = cgiEnvironment(request, {
      scriptName: `${base}/${lookup.named.join('/')}`,
      scriptFilename: lookup.file,
      pathInfo: lookup.rest.length === 0 ? '' : `/${lookup.rest.join('/')}`,
      contentLength: read.body.length,
      client: context.clientAddress(request),
      serverSoftware,
    });
    const run = runCgiScript({ processor: service.processor, script: lookup.file, env, body: read.body, limits }, response, stopping.signal);
    running.add(run);
    const end = await run.finally(() => running.delete(run));
    report(end, lookup.file);
    return end.outcome;
  }

  function report(end: CgiRunEnd, script: string): void {
    const facts = { script, ...(end.exit === undefined ? {} : { exit: end.exit }), ...(end.stderr === '' ? {} : { stderr: end.stderr }) };
    if (end.message !== undefined) failures.warn(facts, end.message);
    else if (end.outcome === 'answered' && (end.stderr !== '' || (end.exit !== 0 && end.exit !== undefined))) {
      scriptOutput.warn(facts, 'a CGI script answered but wrote to stderr or exited with an error');
    }
  }

  return {
    servesBelow: true,
    request(request, response, subpath) {
      requests.admit(response, () => serve(request, response, subpath).catch((error: unknown) => {
        failures.warn({ error: (error as Error).message }, 'a CGI request failed');
        if (!response.headersSent && !response.destroyed) sendJson(response, 500, { error: 'cgi_error', message: 'the script could not be run; the router log says why' });
        else response.destroy();
        return 'failed' as const;
      }));
    },
    async close() {
      // Scripts under way get a moment to finish; then their process groups are stopped.
      const grace = setTimeout(() => stopping.abort(), closeGraceMs);
      await Promise.allSettled([...running]);
      clearTimeout(grace);
    },
  } satisfies PathHandler;
};

/** A missing directory or processor leaves the path running (requests get 404 or 502 saying why), as in Crossbar; start says so at once. */
async function warnOfMissingParts(service: CgiService, where: string, log: Logger): Promise<void> {
  const directoryWarning = cgiDirectoryWarning(service.directory, where);
  if (directoryWarning !== undefined) log.warn({ directory: service.directory, ...aboutConfig }, directoryWarning);
  await checkProgram([service.processor], '/', programEnvironment({})).catch((error: Error) => {
    log.warn({ processor: service.processor, ...aboutConfig }, `${where}: the CGI processor cannot be run (${error.message}); requests get 502 until it can`);
  });
}
