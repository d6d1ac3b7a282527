import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { InternalCallError } from '../../../router/internal-session.js';
import { urlForLog } from '../../../config/mask-secrets.js';
import { RestErrorUri, restError, type RequestFacts } from './errors.js';

/** One request to the app, ready to send. */
export interface HttpRequest {
  method: string;
  url: URL;
  /** Lower-case names; a list sends the header once per value. */
  headers: Record<string, string[]>;
  body?: string;
}

export interface HttpLimits {
  /** Headers and the whole body must arrive within this many ms. */
  timeoutMs: number;
  /** A larger response body fails the request. */
  maxResponseBytes: number;
}

/** A complete response, its body fully read. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const connectionFailures: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connect timed out',
  EPIPE: 'connection closed while sending',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_SOCKET: 'the connection closed before a complete response',
  UND_ERR_CLOSED: 'the connection closed',
};

/**
 * Sends one request through `dispatcher` (a pooled undici Agent) and reads the whole response,
 * within the time and size limits. Every failure is thrown as an InternalCallError with one of
 * RestErrorUri's URIs, a message that says what happened and kwargs {method, url, status?}.
 * Redirects are not followed (a 3xx is a response like any other), so no request leaves the
 * base URL through a Location header.
 */
/** `cancelled` aborts the request when the WAMP caller cancels (the dealer's INTERRUPT). */
export async function exchange(dispatcher: Dispatcher, request: HttpRequest, limits: HttpLimits, cancelled?: AbortSignal): Promise<HttpResponse> {
  const facts = requestFacts(request);
  const controller = new AbortController();
  const onCancel = (): void => controller.abort(cancelled!.reason);
  cancelled?.addEventListener('abort', onCancel, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('timeout'));
  }, limits.timeoutMs);
  const timeoutError = () => restError(RestErrorUri.timeout, `no complete response from ${request.method} ${facts.url} within ${limits.timeoutMs} ms`, facts);
  try {
    let response: Dispatcher.ResponseData;
    try {
      response = await dispatcher.request({
        origin: request.url.origin,
        path: request.url.pathname + request.url.search,
        method: request.method as Dispatcher.HttpMethod,
        headers: request.headers,
        body: request.body,
        signal: controller.signal,
      });
    } catch (error) {
      throw timedOut ? timeoutError() : requestFailure(error, request, facts);
    }
    const withStatus: RequestFacts = { ...facts, status: response.statusCode };
    const tooLarge = () => restError(RestErrorUri.responseTooLarge, `the response to ${request.method} ${facts.url} is larger than ${limits.maxResponseBytes} bytes`, withStatus);
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > limits.maxResponseBytes) {
      response.body.destroy();
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let received = 0;
    try {
      for await (const chunk of response.body) {
        received += (chunk as Buffer).length;
        if (received > limits.maxResponseBytes) {
          response.body.destroy();
          throw tooLarge();
        }
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      if (timedOut) throw timeoutError();
      if (error instanceof InternalCallError) throw error;
      throw requestFailure(error, request, withStatus);
    }
    return { status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks, received) };
  } finally {
    clearTimeout(timer);
    cancelled?.removeEventListener('abort', onCancel);
  }
}

/** The request as errors and logs name it: its URL without credentials (urlForLog). */
export function requestFacts(request: Pick<HttpRequest, 'method' | 'url'>): RequestFacts {
  return { method: request.method, url: urlForLog(request.url) };
}

function requestFailure(error: unknown, request: HttpRequest, facts: RequestFacts) {
  const failure = error as { code?: string; message?: string; cause?: { code?: string } };
  const code = failure.code ?? failure.cause?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return restError(RestErrorUri.timeout, `no complete response from ${request.method} ${facts.url} in time`, facts);
  }
  const known = code === undefined ? undefined : connectionFailures[code];
  if (known !== undefined) {
    return restError(RestErrorUri.connectionFailed, `could not reach ${request.url.origin} for ${request.method} ${request.url.pathname}: ${known} (${code})`, facts);
  }
  return restError(RestErrorUri.failed, `${request.method} ${facts.url} failed: ${failure.message ?? String(error)}`, facts);
}
