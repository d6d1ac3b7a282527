import type { IncomingHttpHeaders } from 'node:http';
import { matchPolicies, type MatchPolicy } from '../../protocol/uri.js';
import { cookieValue } from '../cookie-header.js';

/**
 * What an SSE request asks for, read from its URL and headers before any session exists:
 *
 *   GET /sse?topic=news&topic=sport              exact topics
 *   GET /sse?topic=news.&match=prefix            `match` applies to every `topic`
 *   GET /sse?topic=news&prefix=sport.&wildcard=game..score
 *                                                per-pattern parameters, mixed freely
 *   &lastEventId=<id>                            resume point for EventSource polyfills (the
 *                                                Last-Event-ID header wins when both are present)
 *   &ticket=<ticket>[&authid=<authid>]           ticket sign-in (also a cookie or a Bearer header)
 *
 * Parameters whose name starts with "_" are ignored (cache busters); any other unknown name is an
 * error, so that a typo ("topics=", "mach=") is reported instead of silently ignored.
 */

export interface TopicRequest {
  uri: string;
  match: MatchPolicy;
}

/** Where a ticket came from; the first present in this order is used. */
export type TicketSource = 'query' | 'bearer' | 'cookie';

export interface TicketCredential {
  ticket: string;
  authid?: string;
  source: TicketSource;
}

export interface SseRequest {
  /** Distinct (uri, match) pairs, in the order given; at least one. */
  topics: TopicRequest[];
  /** The raw Last-Event-ID (header or query), when the client sent a non-empty one. */
  lastEventId?: string;
  /** Absent: the client signs in anonymously. */
  credential?: TicketCredential;
}

export interface SseRequestLimits {
  maxTopics: number;
  /** Name of the cookie that may hold a ticket. */
  cookieName: string;
}

/** A malformed request; answered with `status` (400) and a JSON body before any session exists. */
export class SseRequestError extends Error {
  constructor(readonly status: 400, readonly code: string, message: string) {
    super(message);
  }
}

const singleParameters = new Set(['match', 'lastEventId', 'ticket', 'authid']);
const topicParameters = new Set(['topic', 'prefix', 'wildcard']);
const known = [...topicParameters, ...singleParameters].join(', ');

/** Reads an SSE request; throws SseRequestError (400) naming exactly what is wrong. */
export function parseSseRequest(url: string, headers: IncomingHttpHeaders, limits: SseRequestLimits): SseRequest {
  const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  const single = new Map<string, string>();
  const named: { kind: string; value: string }[] = [];
  for (const [name, value] of query) {
    if (name.startsWith('_')) continue;
    if (topicParameters.has(name)) {
      named.push({ kind: name, value });
    } else if (singleParameters.has(name)) {
      if (single.has(name)) throw badRequest('duplicate_parameter', `the query parameter "${name}" may appear only once`);
      single.set(name, value);
    } else {
      throw badRequest('unknown_parameter', `unknown query parameter "${name}" (known: ${known}; names starting with "_" are ignored)`);
    }
  }

  const topicMatch = readMatch(single.get('match'));
  const topics: TopicRequest[] = [];
  const seen = new Set<string>();
  for (const { kind, value } of named) {
    if (value === '') throw badRequest('empty_topic', `a "${kind}" parameter is empty`);
    const match: MatchPolicy = kind === 'topic' ? topicMatch : (kind as MatchPolicy);
    const key = `${match} ${value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    topics.push({ uri: value, match });
  }
  if (topics.length === 0) {
    throw badRequest('no_topic', 'name at least one topic: ?topic=<uri> (repeatable), or prefix=<uri> / wildcard=<pattern>');
  }
  if (topics.length > limits.maxTopics) {
    throw badRequest('too_many_topics', `${topics.length} topics were requested; at most ${limits.maxTopics} are allowed per stream`);
  }

  const request: SseRequest = { topics };
  const lastEventId = headerValue(headers['last-event-id']) ?? single.get('lastEventId');
  if (lastEventId !== undefined && lastEventId !== '') request.lastEventId = lastEventId;
  const credential = readCredential(single, headers, limits.cookieName);
  if (credential) request.credential = credential;
  return request;
}

function readMatch(value: string | undefined): MatchPolicy {
  if (value === undefined) return 'exact';
  if (!(matchPolicies as readonly string[]).includes(value)) {
    throw badRequest('invalid_match', `match must be one of ${matchPolicies.join(', ')}, got "${value}"`);
  }
  return value as MatchPolicy;
}

/**
 * The ticket, from the query, else an `Authorization: Bearer` header, else the cookie. The authid
 * is the query's `authid`; without one, a credential of the form "<authid>:<ticket>" carries it
 * (split at the first colon), and a credential without a colon has no authid (for dynamic
 * authenticators that know the user from the ticket alone).
 */
function readCredential(single: Map<string, string>, headers: IncomingHttpHeaders, cookieName: string): TicketCredential | undefined {
  const queryAuthid = single.get('authid');
  let raw: string | undefined;
  let source: TicketSource | undefined;
  if (single.has('ticket')) {
    raw = single.get('ticket')!;
    source = 'query';
  } else if ((raw = bearerToken(headers.authorization)) !== undefined) {
    source = 'bearer';
  } else if ((raw = cookieValue(headers.cookie, cookieName)) !== undefined) {
    source = 'cookie';
  }
  if (raw === undefined || source === undefined) {
    if (queryAuthid !== undefined) throw badRequest('authid_without_ticket', 'authid was given without a ticket (query ticket, cookie or Authorization: Bearer)');
    return undefined;
  }
  let authid = queryAuthid;
  let ticket = raw;
  if (authid === undefined) {
    const colon = raw.indexOf(':');
    if (colon >= 0) {
      authid = raw.slice(0, colon);
      ticket = raw.slice(colon + 1);
    }
  }
  if (ticket === '') throw badRequest('empty_ticket', `the ticket (from the ${describeSource(source)}) is empty`);
  if (authid === '') throw badRequest('empty_authid', `the authid (from the ${describeSource(source)}) is empty`);
  return authid === undefined ? { ticket, source } : { ticket, authid, source };
}

function describeSource(source: TicketSource): string {
  return source === 'query' ? 'query' : source === 'bearer' ? 'Authorization header' : 'cookie';
}

/** Other schemes (Basic from a proxy's own sign-in...) are not ours and are left alone. */
function bearerToken(header: string | undefined): string | undefined {
  const found = header?.match(/^\s*bearer\s+(\S+)\s*$/i);
  return found?.[1];
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function badRequest(code: string, message: string): SseRequestError {
  return new SseRequestError(400, code, message);
}
