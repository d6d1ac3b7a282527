import type { Args, Dict } from '../../../protocol/messages.js';
import { isDict } from '../../../protocol/parse.js';
import { RestErrorUri, restError, type RequestFacts } from './errors.js';
import type { HttpRequest, HttpResponse } from './http-exchange.js';
import { InvalidCallError } from './rest-call.js';
import { decodeBody } from './rest-result.js';

/**
 * Authenticator mode of a REST-backed procedure: the procedure is a realm's dynamic authenticator
 * and the sign-in is decided by the app over plain HTTP. The router calls the procedure with
 * (realm, authid, details); the app receives one POST to the base URL with the JSON body
 *   {"realm", "authid", "authmethod", "ticket"?, "details"}
 * and answers 200 with the principal as JSON ({"role", "authid"?, "extra"?, ...} or a role name),
 * or 401 / 403 to refuse.
 */
export function authenticationRequest(base: URL, args: Args, headers: Record<string, string[]>): HttpRequest {
  const [realm, authid, details] = args;
  if (typeof realm !== 'string' || !isDict(details)) {
    throw new InvalidCallError('an authenticator procedure is called by the router with (realm, authid, details)');
  }
  const { ticket, ...rest } = details as Dict;
  const body: Dict = { realm, authid: authid ?? null, authmethod: details.authmethod ?? null };
  if (ticket !== undefined) body.ticket = ticket;
  body.details = rest;
  return {
    method: 'POST',
    url: base,
    headers: { ...headers, 'content-type': ['application/json'], accept: ['application/json'] },
    body: JSON.stringify(body),
  };
}

/** The principal the app answered, handed to the router as the authenticator's result. */
export function principalFromResponse(response: HttpResponse, facts: RequestFacts): unknown {
  const withStatus = { ...facts, status: response.status };
  if (response.status === 401 || response.status === 403) {
    throw restError(RestErrorUri.denied, `the app refused the sign-in (HTTP ${response.status})`, withStatus);
  }
  if (response.status < 200 || response.status > 299) {
    throw restError(RestErrorUri.httpStatus, `the app answered the sign-in with HTTP ${response.status}`, withStatus);
  }
  const text = decodeBody(response.body, response.headers['content-type']);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw restError(RestErrorUri.badAnswer, `the app's answer to the sign-in (HTTP ${response.status}) is not JSON`, withStatus);
  }
}
