import type { ServerResponse } from 'node:http';
import { jsonText } from '../../../codec/json.js';

/**
 * Why the HTTP bridge refuses a request. The code is stable (clients and the metrics use it); the
 * message says exactly what was wrong. Every code, its status and what to do is listed in docs/errors.md.
 */
export type RefusalCode =
  | 'method_not_allowed'
  | 'ip_not_allowed'
  | 'tls_required'
  | 'unsupported_content_type'
  | 'body_too_large'
  | 'invalid_utf8'
  | 'invalid_json'
  | 'not_an_object'
  | 'too_deep'
  | 'unknown_field'
  | 'missing_field'
  | 'invalid_field'
  | 'invalid_uri'
  | 'unknown_option'
  | 'invalid_option'
  | 'signature_missing'
  | 'signature_malformed'
  | 'unknown_key'
  | 'signature_mismatch'
  | 'timestamp_out_of_range'
  | 'replayed_nonce'
  | 'replay_memory_full'
  | 'too_many_requests'
  | 'unavailable'
  | 'no_answer';

/** A request refused by the bridge's own checks, before or instead of anything reaching the router. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: RefusalCode,
    message: string,
    /** Told to the client only, never logged: it may quote the request body (a JSON parser's excerpt). */
    readonly detail?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** What the client is told. */
  get fullMessage(): string {
    return this.detail ? `${this.message}: ${this.detail}` : this.message;
  }
}

/** The request's connection is gone: nobody is left to answer. */
export class ClientGone extends Error {
  constructor() {
    super('the client closed the connection');
  }
}

/**
 * Crossbar answers refusals as {"error", "args", "kwargs"}; Junction keeps those keys (so existing
 * clients find them) and adds "message". "error" is a short code here, a WAMP URI for errors the
 * router or a callee raised.
 */
export function refusalBody(refusal: Refusal): { error: string; message: string; args: unknown[]; kwargs: Record<string, unknown> } {
  const message = refusal.fullMessage;
  return { error: refusal.code, message, args: [message], kwargs: {} };
}

/** Answers with JSON (WAMP's conventions: bytes as NUL + base64, big integers exact); never cached by intermediaries. */
export function sendBridgeJson(response: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  sendBridgeJsonText(response, status, jsonText(body), headers);
}

/** The headers every bridge answer has; a caller's header of the same name gives way to them. */
const ownHeaders = ['content-type', 'content-length', 'cache-control'];

/** Answers with JSON already written as text (as sendBridgeJson would write it). */
export function sendBridgeJsonText(response: ServerResponse, status: number, text: string, headers?: Record<string, string>): void {
  // A flat list of names and values: Node writes it as it stands, with no header object to build and walk.
  const fields = ['content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(text)), 'cache-control', 'no-store'];
  if (headers) for (const name in headers) if (!ownHeaders.includes(name)) fields.push(name, headers[name]!);
  response.writeHead(status, fields);
  response.end(text);
}

/** A client-supplied value inside a message: quoted, and cut short so that messages and logs stay small. */
export function quote(value: string, max = 80): string {
  const text = JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
  return text;
}
