import { jsonText } from '../../../codec/json.js';
import type { Args, Dict } from '../../../protocol/messages.js';
import { isDict } from '../../../protocol/parse.js';
import { unknownKeywordProblem } from '../../../router/meta/arguments.js';
import type { QueryParams } from './request-url.js';

/**
 * What a caller asks a REST-backed procedure for, read from the call as Crossbar's RESTCallee
 * takes it: kwargs (or positional arguments in this order) method, url, body, headers, params.
 */
export interface RestCall {
  /** Upper case, one of allowedMethods. */
  method: string;
  /** Relative to the base URL ("" = the base URL itself). */
  url: string;
  /** Lower-case names; a list sends the header once per value. */
  headers: Record<string, string[]>;
  params: QueryParams;
  /** The request body as sent, if any. */
  body?: string;
  /** The body came as a JSON value (object, list, number, boolean) and was serialized. */
  jsonBody: boolean;
}

export const allowedMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

const argumentOrder = ['method', 'url', 'body', 'headers', 'params'] as const;
const maxHeaders = 100;
const maxHeaderBytes = 16_384;
const maxParams = 1_000;
const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const badHeaderValue = /[\u0000\r\n]/;

/** A call whose arguments cannot be turned into a request; the message says which and why. */
export class InvalidCallError extends Error {}

export function readRestCall(args: Args, kwargs: Dict): RestCall {
  if (args.length > argumentOrder.length) throw new InvalidCallError(`at most ${argumentOrder.length} positional arguments (${argumentOrder.join(', ')}), got ${args.length}`);
  const keywordProblem = unknownKeywordProblem(kwargs, argumentOrder);
  if (keywordProblem !== undefined) throw new InvalidCallError(keywordProblem);
  const given: Dict = {};
  argumentOrder.forEach((key, index) => {
    if (index < args.length) given[key] = args[index];
  });
  Object.assign(given, kwargs);

  const call: RestCall = {
    method: readMethod(given.method),
    url: readUrl(given.url),
    headers: readHeaders(given.headers, 'headers'),
    params: readParams(given.params),
    jsonBody: false,
  };
  const body = given.body;
  if (typeof body === 'string') {
    if (body !== '') call.body = body;
  } else if (body !== undefined && body !== null) {
    call.body = jsonText(body);
    call.jsonBody = true;
  }
  return call;
}

/**
 * Request headers: the configured ones, then the caller's over them (same name, case-insensitive:
 * the caller's win), without hop-by-hop headers, Host and Content-Length, which belong to this
 * connection and are set by the HTTP client. A JSON body gets Content-Type: application/json
 * unless a content type was given.
 */
export function requestHeaders(configured: Record<string, string[]>, call: RestCall): Record<string, string[]> {
  const merged: Record<string, string[]> = { ...configured, ...call.headers };
  const dropped = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'content-length', 'expect', 'proxy-authenticate', 'proxy-authorization']);
  for (const value of merged.connection ?? []) {
    for (const name of value.split(',')) dropped.add(name.trim().toLowerCase());
  }
  const headers: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(merged)) {
    if (!dropped.has(name)) headers[name] = values;
  }
  if (call.jsonBody && headers['content-type'] === undefined) headers['content-type'] = ['application/json'];
  return headers;
}

/** Reads a headers dict (the caller's, or the component's configured ones) into lower-case names. */
export function readHeaders(value: unknown, what: string): Record<string, string[]> {
  if (value === undefined || value === null) return {};
  if (!isDict(value)) throw new InvalidCallError(`${what} must be a dict of header name -> value or list of values`);
  const entries = Object.entries(value);
  if (entries.length > maxHeaders) throw new InvalidCallError(`${what} has ${entries.length} entries, more than ${maxHeaders}`);
  const headers: Record<string, string[]> = {};
  let bytes = 0;
  for (const [name, raw] of entries) {
    if (!headerName.test(name)) throw new InvalidCallError(`${what}: "${name}" is not a valid header name`);
    const values = (Array.isArray(raw) ? raw : [raw]).map((one) => {
      if (typeof one === 'number') return String(one);
      if (typeof one !== 'string') throw new InvalidCallError(`${what}: the value of "${name}" must be a string, a number or a list of them`);
      if (badHeaderValue.test(one)) throw new InvalidCallError(`${what}: the value of "${name}" contains a line break or NUL`);
      return one;
    });
    bytes += values.reduce((sum, one) => sum + name.length + one.length, 0);
    if (bytes > maxHeaderBytes) throw new InvalidCallError(`${what} are larger than ${maxHeaderBytes} bytes`);
    const lower = name.toLowerCase();
    headers[lower] = [...(headers[lower] ?? []), ...values];
  }
  return headers;
}

function readMethod(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new InvalidCallError(`"method" is required: one of ${allowedMethods.join(', ')}`);
  const method = value.toUpperCase();
  if (!(allowedMethods as readonly string[]).includes(method)) throw new InvalidCallError(`method "${value}" is not allowed: use one of ${allowedMethods.join(', ')}`);
  return method;
}

function readUrl(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new InvalidCallError('"url" must be a string (a path relative to the base URL)');
  return value;
}

function readParams(value: unknown): QueryParams {
  if (value === undefined || value === null) return {};
  if (!isDict(value)) throw new InvalidCallError('"params" must be a dict of name -> value or list of values');
  const entries = Object.entries(value);
  const params: Record<string, string[]> = {};
  let count = 0;
  for (const [name, raw] of entries) {
    params[name] = (Array.isArray(raw) ? raw : [raw]).map((one) => {
      if (typeof one === 'string') return one;
      if (typeof one === 'number' || typeof one === 'boolean') return String(one);
      throw new InvalidCallError(`params: the value of "${name}" must be a string, number, boolean or a list of them`);
    });
    count += params[name]!.length;
    if (count > maxParams) throw new InvalidCallError(`params has more than ${maxParams} values`);
  }
  return params;
}
