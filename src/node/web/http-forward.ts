/**
 * Forwards the HTTP requests of a path (and below it) to another HTTP server, and its answers
 * back, both bodies streamed: Crossbar's `reverseproxy`, and the way to Junction's Python web host
 * (`wsgi`, `resource`). As Crossbar's reverse proxy (webservice/base.py, ExtReverseProxyResource): the path
 * below the service's is appended to the target's prefix with the query; the client's headers go
 * along without the hop-by-hop ones, with X-Forwarded-For and X-Real-IP (the client, trusted
 * proxies considered), X-Forwarded-Host (its Host), X-Forwarded-Proto and X-Forwarded-Port set
 * by Junction (a client's own values are replaced, never passed on).
 *
 * Bounds: at most `maxRequestsInFlight` at once (more: 503 at once); the server must start its
 * answer within `timeoutMs` (else 504) and never pause longer inside it (else it is cut off); a
 * server that cannot be reached gets the client a 502. Each request is counted by outcome, and
 * failures are logged at warn at most every 10 s.
 */

import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { errors, Pool } from 'undici';
import type { ForwardLimits } from '../../config/model.js';
import type { PathHandler } from './listener.js';
import { sendJson } from './http-reply.js';
import { PathRequests } from './path-requests.js';
import type { ServiceContext } from './service-context.js';
import { QuietWarning } from '../../router/limits/warning-throttle.js';

/** Where requests are forwarded. */
export interface ForwardTarget {
  /** "http://host:port"; for a Unix socket any origin (the socket is what connects). */
  origin: string;
  socketPath?: string;
  /** The Host header the server gets; undefined: the client's own. */
  host: string | undefined;
  /** Put before the path below the service's: "" or "/app". */
  pathPrefix: string;
}

export interface ForwardSpec {
  service: 'reverseproxy' | 'wsgi' | 'resource';
  target: ForwardTarget;
  limits: ForwardLimits;
  /** Why the server cannot be reached, for the 502 answer and the warning: `error` is the connection's. */
  unreachable(error: Error): string;
  /** Stops what the service runs besides the forwarding (the Python web host). */
  close?(): Promise<void>;
  /** What the service runs besides the forwarding has stopped (PathHandler.stale). */
  stale?(): boolean;
}

/** How a forwarded request ended, as junction_http_forward_requests_total counts it. */
export type ForwardOutcome = 'answered' | 'busy' | 'bad_path' | 'unreachable' | 'timeout' | 'failed' | 'cut_off' | 'client_gone';

/** Headers that belong to one connection (RFC 9110 7.6.1), or that Junction sets itself: never forwarded as received. */
const notForwarded = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'expect', 'host', 'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-real-ip',
]);
/** Answer headers that belong to the server's connection to Junction. */
const notReturned = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** How long requests under way may take to finish when the path closes (the router's own shutdown grace). */
const closeGraceMs = 2_000;

/** How long connecting to the server may take (it is on the same machine or network). */
const connectTimeoutMs = 10_000;

export function forwardingHandler(context: ServiceContext, spec: ForwardSpec): PathHandler {
  const { target, limits } = spec;
  const pool = new Pool(target.origin, {
    ...(target.socketPath === undefined ? {} : { socketPath: target.socketPath }),
    connections: limits.maxRequestsInFlight,
    headersTimeout: limits.timeoutMs,
    bodyTimeout: limits.timeoutMs,
    connect: { timeout: connectTimeoutMs },
  });
  const log = context.log.child({ service: spec.service });
  const requests = new PathRequests<ForwardOutcome>({
    requests: context.metrics.counter('junction_http_forward_requests_total',
      'HTTP requests of reverseproxy, wsgi and resource paths, by service, transport, path and outcome'),
    inFlight: context.metrics.gauge('junction_http_forward_requests_in_flight',
      'HTTP requests of reverseproxy, wsgi and resource paths being forwarded now, by service, transport and path (at most max_requests_in_flight)'),
    labels: { service: spec.service, transport: context.listener.id, path: context.path },
    max: limits.maxRequestsInFlight,
    log,
    busy: {
      warning: 'a request was refused (503): this path forwards as many requests as options.max_requests_in_flight allows',
      message: `this path is forwarding ${limits.maxRequestsInFlight} requests already (options.max_requests_in_flight); try again shortly`,
    },
  });
  const failures = new QuietWarning(log);

  async function forward(request: IncomingMessage, response: ServerResponse, subpath: string): Promise<ForwardOutcome> {
    const path = forwardedPath(request.url ?? '/', context.path, subpath, target.pathPrefix);
    if (path === undefined) {
      sendJson(response, 400, { error: 'invalid_path', message: 'a path segment "." or ".." (or its %2E form) is not forwarded' });
      return 'bad_path';
    }
    const aborted = new AbortController();
    response.once('close', () => aborted.abort());
    let answer;
    try {
      answer = await pool.request({
        path,
        method: request.method ?? 'GET',
        headers: forwardedHeaders(request, context, target.host),
        body: hasBody(request) ? request : null,
        signal: aborted.signal,
      });
    } catch (error) {
      if (aborted.signal.aborted) return 'client_gone';
      return failedBeforeAnswer(response, error as Error);
    }
    response.writeHead(answer.statusCode, returnedHeaders(answer.headers));
    try {
      await pipeline(answer.body, response);
      return 'answered';
    } catch (error) {
      if (aborted.signal.aborted && !(error instanceof errors.BodyTimeoutError)) return 'client_gone';
      failures.warn({ error: (error as Error).message }, 'the server stopped answering mid-way: the answer was cut off');
      response.destroy();
      return 'cut_off';
    }
  }

  function failedBeforeAnswer(response: ServerResponse, error: Error): ForwardOutcome {
    const failure: { status: number; outcome: ForwardOutcome; error: string; message: string } = error instanceof errors.HeadersTimeoutError
      ? { status: 504, outcome: 'timeout', error: 'upstream_timeout', message: `the server did not answer within ${limits.timeoutMs} ms (options.timeout)` }
      : error instanceof errors.ClientDestroyedError
        ? { status: 503, outcome: 'failed', error: 'forwarding_stopped', message: `the path stopped forwarding (a reload rebuilt it, or the router is stopping) before the server answered within ${closeGraceMs} ms; try again` }
      : isConnectFailure(error)
        ? { status: 502, outcome: 'unreachable', error: 'upstream_unreachable', message: spec.unreachable(error) }
        : { status: 502, outcome: 'failed', error: 'upstream_failed', message: `the server failed the request: ${error.message}` };
    failures.warn({ error: error.message, code: (error as NodeJS.ErrnoException).code, status: failure.status }, failure.message);
    if (response.headersSent || response.destroyed) response.destroy();
    else sendJson(response, failure.status, { error: failure.error, message: failure.message });
    return failure.outcome;
  }

  return {
    servesBelow: true,
    request(request, response, subpath) {
      requests.admit(response, () => forward(request, response, subpath).catch((error: unknown) => {
        // An answer Node would not send (a header value it refuses): the client gets no half-answer.
        failures.warn({ error: (error as Error).message }, 'the server\'s answer could not be passed on');
        response.destroy();
        return 'failed' as const;
      }));
    },
    async close() {
      // Requests under way get a moment to finish (a reload that rebuilds the path, the node stopping); then they are cut.
      const grace = setTimeout(() => void pool.destroy(), closeGraceMs);
      await pool.close().catch(() => undefined);
      clearTimeout(grace);
      await spec.close?.();
    },
    ...(spec.stale === undefined ? {} : { stale: spec.stale }),
  };
}

/**
 * The path (with its query) the server gets: `prefix` and what follows the service's own path in
 * the URL as sent, when the URL starts with it (the usual case), else the normalized `subpath`.
 * As Crossbar: the service's path itself goes to `prefix` as it is ("/app" -> "/base"), with a
 * slash after it when the client wrote one; "/" when both are empty. Undefined when a segment is
 * "." or ".." in any spelling: the server would resolve it to a place outside the prefix.
 */
export function forwardedPath(url: string, servicePath: string, subpath: string, prefix: string): string | undefined {
  const queryAt = url.indexOf('?');
  const rawPath = queryAt < 0 ? url : url.slice(0, queryAt);
  const query = queryAt < 0 ? '' : url.slice(queryAt);
  const base = servicePath === '/' ? '' : servicePath;
  const below = rawPath.startsWith(base) && (rawPath.length === base.length || rawPath[base.length] === '/') ? rawPath.slice(base.length) : subpath;
  const dotSegment = below.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment));
  if (dotSegment) return undefined;
  return `${prefix + below || '/'}${query}`;
}

function hasBody(request: IncomingMessage): boolean {
  return request.headers['content-length'] !== undefined ? request.headers['content-length'] !== '0' : request.headers['transfer-encoding'] !== undefined;
}

/** The client's headers as the server gets them (rawHeaders: names as sent, repeated ones kept). */
export function forwardedHeaders(request: IncomingMessage, context: Pick<ServiceContext, 'clientAddress'>, host: string | undefined): Record<string, string | string[]> {
  const connectionNamed = new Set(String(request.headers.connection ?? '').split(',').map((name) => name.trim().toLowerCase()));
  const headers: Record<string, string | string[]> = {};
  const raw = request.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index]!.toLowerCase();
    if (notForwarded.has(name) || connectionNamed.has(name)) continue;
    const value = raw[index + 1]!;
    const existing = headers[name];
    headers[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  const client = context.clientAddress(request);
  const clientHost = request.headers.host;
  headers.host = host ?? clientHost ?? '';
  if (clientHost !== undefined) headers['x-forwarded-host'] = clientHost;
  headers['x-forwarded-for'] = client.address;
  headers['x-real-ip'] = client.address;
  headers['x-forwarded-proto'] = client.secure ? 'https' : 'http';
  headers['x-forwarded-port'] = String(publicPort(clientHost) ?? request.socket.localPort ?? '');
  return headers;
}

/** The port a Host header names ("example.com:8443" -> 8443); undefined without one. */
function publicPort(host: string | undefined): number | undefined {
  const port = host === undefined ? undefined : /:(\d{1,5})$/.exec(host)?.[1];
  return port === undefined ? undefined : Number(port);
}

function returnedHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const connectionNamed = new Set(String(headers.connection ?? '').split(',').map((name) => name.trim().toLowerCase()));
  const returned: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !notReturned.has(name) && !connectionNamed.has(name)) returned[name] = value;
  }
  return returned;
}

/** Connecting failed: nothing of the request reached the server. */
function isConnectFailure(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return error instanceof errors.ConnectTimeoutError || ['ECONNREFUSED', 'ENOENT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EACCES'].includes(code ?? '');
}
