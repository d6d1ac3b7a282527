import type { ServerOptions } from 'node:http';

/** How long a client may take to send its request, in ms (both positive). */
export interface HttpTimeouts {
  /** Request line and headers: the listener's open_handshake_timeout. */
  headersMs: number;
  /** The body, after the time the headers had: request_body_timeout. */
  bodyMs: number;
}

/** Node checks its request deadlines no more often than this (the cost of a check is a walk of the open requests). */
const MIN_CHECK_INTERVAL_MS = 100;
/** ... and at least this often, so that a deadline is kept to within a second. */
const MAX_CHECK_INTERVAL_MS = 1_000;

/**
 * Node's own request deadlines, checked often enough to be kept within a tenth of the shortest
 * one (at most a second late). Node enforces them per request, keep-alive requests included, and
 * answers 408 itself only when no 'clientError' listener is set; the listener answers it.
 *
 * Node measures `requestTimeout` from the start of the request, so the whole request gets the
 * headers' time plus the body's: a body has at least request_body_timeout after its headers.
 * A per-socket timer of our own would be no more precise and would have to follow keep-alive
 * requests and unread bodies itself; Node's checker already walks only the requests in progress.
 */
export function serverTimeoutOptions({ headersMs, bodyMs }: HttpTimeouts): Pick<ServerOptions, 'headersTimeout' | 'requestTimeout' | 'connectionsCheckingInterval'> {
  const interval = Math.min(MAX_CHECK_INTERVAL_MS, Math.max(MIN_CHECK_INTERVAL_MS, Math.floor(headersMs / 10)));
  return { headersTimeout: headersMs, requestTimeout: headersMs + bodyMs, connectionsCheckingInterval: interval };
}
