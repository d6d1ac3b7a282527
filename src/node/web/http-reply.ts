import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { escapeHtml } from './directory-listing.js';

/** Read-only services answer these; HEAD is GET without the body (Node's server drops HEAD bodies). */
export const readMethods: readonly string[] = ['GET', 'HEAD'];

/**
 * True when the request's method is one of `methods`; otherwise answers 405 with the Allow
 * header (as HTTP requires) and a JSON body naming the methods, and returns false.
 */
export function methodAllowed(request: IncomingMessage, response: ServerResponse, methods: readonly string[] = readMethods): boolean {
  if (methods.includes(request.method ?? '')) return true;
  response.setHeader('allow', methods.join(', '));
  sendJson(response, 405, { error: 'method_not_allowed', message: `${request.method} is not allowed here; use ${methods.join(' or ')}` });
  return false;
}

/** A complete body with its length; Node leaves the body out when answering HEAD. */
export function sendBody(response: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: string | Buffer): void {
  response.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/** A JSON answer with its length. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  sendBody(response, status, { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify(body));
}

/**
 * 404 for a URL that serves nothing: a short page to a browser that navigated there (its Accept
 * names text/html, as a navigation's does), the JSON error {"error": "not_found"} to every other
 * client (curl, fetch and XHR send a wildcard).
 */
export function sendNotFound(request: IncomingMessage, response: ServerResponse, message: string): void {
  if (!/\btext\/html\b/i.test(request.headers.accept ?? '')) return sendJson(response, 404, { error: 'not_found', message });
  const page = `<!doctype html>\n<html><head><meta charset="utf-8"><title>404 Not Found</title></head><body><h1>Not Found</h1><p>${escapeHtml(message)}</p></body></html>\n`;
  sendBody(response, 404, { 'content-type': 'text/html; charset=utf-8' }, page);
}
