import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * HTTP helpers of the long-poll service: CORS the way AutobahnJS needs it, and answers.
 */

/** Methods a long-poll URL answers (POST for the protocol, OPTIONS for CORS preflights). */
export const ALLOWED_METHODS = 'POST, OPTIONS';

/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** Request header names a preflight may ask for: a short comma-separated list of tokens. */
const REQUESTED_HEADERS = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

/**
 * Headers every answer carries. AutobahnJS sends its XHRs with credentials (withCredentials), so
 * a page on another origin needs its own origin echoed with Allow-Credentials, as Crossbar does;
 * a wildcard would be refused by the browser. Echoing any origin grants a foreign page nothing:
 * a long-poll session authenticates only through WAMP (HELLO), never through cookies, and its
 * transport id is unguessable. Answers are never cached.
 */
export function setStandardHeaders(request: IncomingMessage, response: ServerResponse): void {
  response.setHeader('cache-control', 'no-store, no-cache, must-revalidate, max-age=0');
  const origin = request.headers.origin;
  if (origin !== undefined) {
    response.setHeader('access-control-allow-origin', origin);
    response.setHeader('access-control-allow-credentials', 'true');
    response.setHeader('vary', 'Origin');
  }
}

/** The answer to a CORS preflight (OPTIONS): POST allowed, with the headers the page asked for. */
export function answerPreflight(request: IncomingMessage, response: ServerResponse): void {
  const asked = request.headers['access-control-request-headers'];
  const headers = asked !== undefined && asked.length <= 512 && REQUESTED_HEADERS.test(asked) ? asked : 'content-type';
  response.writeHead(204, {
    'access-control-allow-methods': ALLOWED_METHODS,
    'access-control-allow-headers': headers,
    'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
    allow: ALLOWED_METHODS,
  });
  response.end();
}

/** An error answer: `{error, message}` as JSON. `close` ends the connection (an unread body follows). */
export function sendError(response: ServerResponse, status: number, error: string, message: string, close = false): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const text = JSON.stringify({ error, message });
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  };
  if (status === 405) headers.allow = ALLOWED_METHODS;
  if (close) headers.connection = 'close';
  response.writeHead(status, headers);
  response.end(text);
}

export function sendJson(response: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** 204: a send or close that went through, or a receive that has nothing for the client. */
export function sendEmpty(response: ServerResponse): void {
  response.writeHead(204);
  response.end();
}

export function sendBody(response: ServerResponse, body: Buffer, contentType: string): void {
  response.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
  response.end(body);
}
