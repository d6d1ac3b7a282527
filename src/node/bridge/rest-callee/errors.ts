import { InternalCallError } from '../../../router/internal-session.js';
import type { Dict } from '../../../protocol/messages.js';

/** The error URIs a REST-backed procedure answers with (documented in docs/rest-procedures.md). */
export const RestErrorUri = {
  /** The call's arguments are malformed (no method, headers that are not a dict...). */
  invalidArgument: 'wamp.error.invalid_argument',
  /** The caller's `url` would leave `baseurl` (absolute URL, "..", "//host", backslash...). */
  badUrl: 'junction.error.rest.bad_url',
  /** No complete response (headers and body) within the component's timeout. */
  timeout: 'junction.error.rest.timeout',
  /** The app could not be reached: connection refused or reset, unknown host... */
  connectionFailed: 'junction.error.rest.connection_failed',
  /** The response body is larger than the component's `max_response_bytes`. */
  responseTooLarge: 'junction.error.rest.response_too_large',
  /** A 4xx / 5xx status when the component maps it to an error (`error_on_4xx`, `error_on_5xx`). */
  httpStatus: 'junction.error.rest.http_status',
  /** Too many requests to the app in flight at once. */
  busy: 'junction.error.rest.busy',
  /** Authenticator mode: the app refused the sign-in (401 or 403). */
  denied: 'junction.error.rest.denied',
  /** Authenticator mode: the app's 2xx answer is not JSON. */
  badAnswer: 'junction.error.rest.bad_answer',
  /** Anything else that made the request fail. */
  failed: 'junction.error.rest.failed',
} as const;

/** What every request error carries in kwargs, so the caller knows which request failed. */
export interface RequestFacts extends Dict {
  method: string;
  url: string;
  status?: number;
}

export function restError(uri: string, message: string, facts: Dict): InternalCallError {
  return new InternalCallError(uri, [message], facts);
}
