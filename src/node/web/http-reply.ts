import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { sendJson } from './listener.js';

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
