/**
 * Crossbar's `wap` (WAMP Application Page, webservice/wap.py): a GET or POST on one of the path's
 * routes calls the route's procedure as the service's role, with the route's variables and the
 * query's first values as keyword arguments (a POST's body as `data` and its type as
 * `data_type`), and answers the result rendered with the route's Jinja2 template, or the result as
 * JSON to a client that accepts exactly application/json. Junction routes and calls; the
 * templates are rendered by its Python web host (real Jinja2, sandboxed as in Crossbar).
 *
 * Bounds: `maxRequestsInFlight` pages at once (more: 503), a POST body up to `postBodyLimit`
 * (413), the call within `callTimeoutMs` (504) and the rendering too, the page up to
 * `maxOutputBytes` (500). Each request is counted by outcome; failures are warned at most every 10 s.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, Pool } from 'undici';
import type { WapService } from '../../config/model.js';
import type { BoundCounter } from '../../metrics/registry.js';
import { ErrorUri } from '../../protocol/errors.js';
import { InternalCallError, type CallOutcome } from '../../router/internal-session.js';
import { readLimitedBodyThen } from '../../transport/http-body.js';
import { QuietWarning } from '../../router/limits/warning-throttle.js';
import { PythonWebHost } from '../workers/python-web-host.js';
import { escapeHtml } from './directory-listing.js';
import { BridgeSession } from './http-bridge/bridge-session.js';
import type { PathHandler } from './listener.js';
import { folderOf } from './package-folder.js';
import type { PathServiceFactory } from './service-context.js';
import { WapRoutes } from './wap-routes.js';

/** How a page request ended, as junction_wap_requests_total counts it. */
export type WapOutcome = 'rendered' | 'json' | 'not_found' | 'method_not_allowed' | 'busy' | 'body_too_large' | 'call_error'
  | 'call_timeout' | 'unavailable' | 'render_failed' | 'client_gone';

/** An answer other than the page: its status, outcome and the message the error page shows. */
class PageFailure extends Error {
  constructor(
    readonly status: number,
    readonly outcome: WapOutcome,
    message: string,
    readonly headers: Record<string, string> = {},
    /** More than the page shows, for the log (a WAMP error's message). */
    readonly detail?: string,
  ) {
    super(message);
  }
}

class ClientLeft extends Error {}

export const wapPath: PathServiceFactory<WapService> = async (service, context) => {
  const routes = new WapRoutes(service.routes);
  const templates = await folderOf(service.templates, context, 'wap templates');
  const bridge = new BridgeSession(() => context.joinBridgeSession(service.realm, service.role, 'wap'),
    () => context.state() === 'stopping', service.realm, context.log);
  await bridge.start(context.where);
  const host = await PythonWebHost.start({ ...service, templates }, { id: `wap:${context.listener.id}:${context.path}`, mount: '/', log: context.log, metrics: context.metrics });
  const limits = service.options;
  const renderer = new Pool('http://localhost', {
    socketPath: host.socketPath, connections: limits.maxRequestsInFlight, headersTimeout: limits.callTimeoutMs, bodyTimeout: limits.callTimeoutMs,
  });
  const requests = context.metrics.counter('junction_wap_requests_total', 'Requests of wap paths, by transport, path and outcome');
  const counters = new Map<WapOutcome, BoundCounter>();
  const count = (outcome: WapOutcome): void => {
    let counter = counters.get(outcome);
    if (!counter) counters.set(outcome, (counter = requests.bind({ transport: context.listener.id, path: context.path, outcome })));
    counter.inc();
  };
  const log = context.log.child({ service: 'wap' });
  const failures = new QuietWarning(log);
  let inFlight = 0;

  async function page(request: IncomingMessage, response: ServerResponse, subpath: string): Promise<WapOutcome> {
    const method = request.method ?? 'GET';
    const found = routes.match(method, subpath);
    if (found.kind === 'not_found') throw new PageFailure(404, 'not_found', `path "${request.url?.split('?')[0]}" not found`);
    if (found.kind === 'method_not_allowed') {
      throw new PageFailure(405, 'method_not_allowed', `method ${method} not allowed here`, { allow: found.allowed.join(', ') });
    }
    const kwargs: Record<string, unknown> = { ...found.kwargs, ...firstQueryValues(request.url ?? '/') };
    const body = method === 'POST' ? await bodyOf(request, limits.postBodyLimit) : undefined;
    if (body !== undefined && body.length > 0) {
      kwargs.data = new Uint8Array(body);
      kwargs.data_type = request.headers['content-type'] ?? 'application/octet-stream';
    }
    const aborted = new AbortController();
    response.once('close', () => aborted.abort());
    const result = found.route.call === undefined ? {} : await call(found.route.call, kwargs, aborted.signal);
    const wantsJson = request.headers.accept === 'application/json';
    if (wantsJson) {
      const text = JSON.stringify(result);
      if (Buffer.byteLength(text) > limits.maxOutputBytes) throw new PageFailure(500, 'render_failed', `the result is over ${limits.maxOutputBytes} bytes (options.max_output_bytes)`);
      sendPage(response, 200, 'application/json', text);
      return 'json';
    }
    if (result === null || typeof result !== 'object' || Array.isArray(result)) {
      throw new PageFailure(500, 'render_failed', `the result of "${found.route.call}" is not a dict (a JSON object), so it cannot be rendered`);
    }
    sendPage(response, 200, 'text/html; charset=utf-8', await render(found.route.render, result, aborted.signal));
    return 'rendered';
  }

  async function call(procedure: string, kwargs: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    const session = bridge.live() ?? (await bridge.get().catch((error: Error) => {
      throw new PageFailure(503, 'unavailable', error.message);
    }));
    let outcome: CallOutcome;
    try {
      outcome = await session.call(procedure, [], kwargs, { timeout: limits.callTimeoutMs }, signal);
    } catch (error) {
      if (signal.aborted) throw new ClientLeft();
      if (!(error instanceof InternalCallError)) throw error;
      if (error.uri === ErrorUri.timeout || error.uri === ErrorUri.canceled) {
        throw new PageFailure(504, 'call_timeout', `${error.uri}: "${procedure}" did not answer within ${limits.callTimeoutMs} ms (options.call_timeout)`);
      }
      // As Crossbar, the page shows the error's URI; its message goes to the log.
      throw new PageFailure(500, 'call_error', error.uri, {}, error.message);
    }
    return callResult(outcome);
  }

  async function render(template: string, data: object, signal: AbortSignal): Promise<string> {
    let answer;
    try {
      answer = await renderer.request({
        path: '/', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ template, context: data }), signal,
      });
    } catch (error) {
      if (signal.aborted) throw new ClientLeft();
      if (error instanceof errors.HeadersTimeoutError) {
        throw new PageFailure(504, 'render_failed', `template "${template}" did not render within ${limits.callTimeoutMs} ms (options.call_timeout)`);
      }
      throw new PageFailure(502, 'render_failed', `${host.unreachable()} (${(error as Error).message})`);
    }
    const text = await answer.body.text();
    if (answer.statusCode !== 200) throw new PageFailure(500, 'render_failed', `template "${template}": ${text}`);
    return text;
  }

  return {
    servesBelow: true,
    request(request, response, subpath) {
      if (inFlight >= limits.maxRequestsInFlight) {
        count('busy');
        sendError(request, response, new PageFailure(503, 'busy', `this path is making ${limits.maxRequestsInFlight} pages already (options.max_requests_in_flight); try again shortly`, { 'retry-after': '1' }));
        return;
      }
      inFlight++;
      void page(request, response, subpath).catch((error: unknown): WapOutcome => {
        if (error instanceof ClientLeft) return 'client_gone';
        const failure = error instanceof PageFailure ? error : new PageFailure(500, 'render_failed', (error as Error).message);
        if (failure.status >= 500) failures.warn({ status: failure.status, error: failure.detail ?? failure.message }, 'a wap page failed');
        sendError(request, response, failure);
        return failure.outcome;
      }).then((outcome) => {
        inFlight--;
        count(outcome);
      });
    },
    async close() {
      await renderer.close().catch(() => undefined);
      await bridge.close();
      await host.close();
    },
    stale: () => host.stopped(),
  } satisfies PathHandler;
};

/**
 * The call's result as autobahn-python hands it to Crossbar's template: its one positional
 * result, else its keyword results, else nothing (null).
 */
export function callResult(outcome: CallOutcome): unknown {
  const hasKwargs = Object.keys(outcome.kwargs).length > 0;
  if (outcome.args.length === 1 && !hasKwargs) return outcome.args[0];
  if (outcome.args.length === 0) return hasKwargs ? outcome.kwargs : null;
  return { args: outcome.args, kwargs: outcome.kwargs };
}

/** The first value of each query parameter, as Crossbar passes them. */
function firstQueryValues(url: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of new URL(url, 'http://localhost').searchParams) if (!(key in values)) values[key] = value;
  return values;
}

function bodyOf(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => readLimitedBodyThen(request, limit, (read) => {
    if (read.ok) resolve(read.body);
    else if (read.reason === 'aborted') reject(new ClientLeft());
    else reject(new PageFailure(413, 'body_too_large', `the body is larger than ${limit} bytes (options.post_body_limit)`, read.closeConnection ? { connection: 'close' } : {}));
  }));
}

function sendPage(response: ServerResponse, status: number, type: string, text: string, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, { ...headers, 'content-type': type, 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** Crossbar's error page (or {"error": message} to a client that asked for JSON), the message escaped. */
function sendError(request: IncomingMessage, response: ServerResponse, failure: PageFailure): void {
  if (request.headers.accept === 'application/json') {
    sendPage(response, failure.status, 'application/json', JSON.stringify({ error: failure.message }), failure.headers);
    return;
  }
  const page = `<html><head><title>API Error</title></head><body><h3 style="color: #f00">WAMP Application Page Error</h3><pre>${escapeHtml(failure.message)}</pre></body></html>`;
  sendPage(response, failure.status, 'text/html; charset=utf-8', page, failure.headers);
}
