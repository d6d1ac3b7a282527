import type { IncomingHttpHeaders } from 'node:http';
import type { HttpResponse } from './http-exchange.js';

/** What a REST-backed procedure returns, as Crossbar's RESTCallee does. */
export interface RestResult {
  [key: string]: unknown;
  code: number;
  /** The body as text, decoded with the charset of its Content-Type (UTF-8 when none or unknown). */
  content: string;
  /** Header name (capitalized as Crossbar's Twisted client gives it: "Content-Type") -> list of values. */
  headers: Record<string, string[]>;
}

/** Headers about the router's connection to the app, not about the resource: left out of the result. */
const connectionHeaders = new Set(['connection', 'keep-alive', 'transfer-encoding']);

/** Names whose usual spelling is not "Each-Word-Capitalized". */
const specialNames: Record<string, string> = {
  'www-authenticate': 'WWW-Authenticate',
  'etag': 'ETag',
  'te': 'TE',
  'content-md5': 'Content-MD5',
  'dnt': 'DNT',
  'x-xss-protection': 'X-XSS-Protection',
};

export function restResult(response: HttpResponse): RestResult {
  return { code: response.status, content: decodeBody(response.body, response.headers['content-type']), headers: resultHeaders(response.headers) };
}

export function resultHeaders(headers: IncomingHttpHeaders): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || connectionHeaders.has(name)) continue;
    result[canonicalHeaderName(name)] = Array.isArray(value) ? value : [value];
  }
  return result;
}

export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return specialNames[lower] ?? lower.split('-').map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('-');
}

export function decodeBody(body: Buffer, contentType: string | undefined): string {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1];
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset ?? 'utf-8');
  } catch {
    decoder = new TextDecoder('utf-8'); // an unknown charset label: UTF-8 is the best guess
  }
  return decoder.decode(body);
}
