/**
 * Path services for clients that cannot hold a WebSocket: Crossbar's `longpoll` (WAMP over HTTP
 * long-poll, as AutobahnJS speaks it) and Junction's `sse` (Server-Sent Events of chosen topics).
 */

import * as z from 'zod';
import { longPollAuthSchema, sseAuthSchema } from './schema-auth.js';
import { byteCount, ignored, pathServiceId, maxPerAddress, milliseconds, positiveInt, realmName, seconds } from './schema-parts.js';
import { serializers } from './schema-websocket.js';

export const longPollDefaults = {
  requestTimeoutSeconds: 10,
  sessionTimeoutSeconds: 30,
  queueLimitBytes: 131072,
  queueLimitMessages: 100,
  maxMessageSize: 1048576,
  maxTransports: 10000,
  maxPerAddress: 100,
};

/** Connections one path may hold at once; past this a client gets 503. */
const maxConnections = (what: string, defaultValue: number) =>
  positiveInt
    .max(1_000_000, { error: `expected at most 1000000 ${what}` })
    .default(defaultValue);

const zeroGetsDefault = "Crossbar's 0 (no limit) gets the default, with a notice.";

const longPollOptions = z.strictObject({
  request_timeout: seconds(3600)
    .default(longPollDefaults.requestTimeoutSeconds)
    .describe(`Seconds a held receive request waits before it is answered empty (default ${longPollDefaults.requestTimeoutSeconds}). ${zeroGetsDefault}`),
  session_timeout: seconds(86400)
    .default(longPollDefaults.sessionTimeoutSeconds)
    .describe(`Seconds without any request before a transport is closed (default ${longPollDefaults.sessionTimeoutSeconds}). ${zeroGetsDefault}`),
  queue_limit_bytes: z
    .union([z.literal(0), byteCount(64 * 1024 * 1024)], { error: 'expected a number of bytes from 1 to 67108864' })
    .default(longPollDefaults.queueLimitBytes)
    .describe(`Bytes queued for a transport between receives before it is closed (default ${longPollDefaults.queueLimitBytes}). ${zeroGetsDefault}`),
  queue_limit_messages: z
    .union([z.literal(0), positiveInt.max(100000, { error: 'expected at most 100000 messages' })], {
      error: 'expected a number of messages from 1 to 100000',
    })
    .default(longPollDefaults.queueLimitMessages)
    .describe(`Messages queued for a transport between receives before it is closed (default ${longPollDefaults.queueLimitMessages}). ${zeroGetsDefault}`),
  max_message_size: byteCount(16 * 1024 * 1024)
    .default(longPollDefaults.maxMessageSize)
    .describe(`Junction extension: largest "send" body in bytes (default ${longPollDefaults.maxMessageSize}).`),
  max_transports: maxConnections('transports', longPollDefaults.maxTransports)
    .describe(`Junction extension: transports open at once on this path; more opens are refused with 503 (default ${longPollDefaults.maxTransports}).`),
  max_per_address: maxPerAddress('transports', longPollDefaults.maxPerAddress),
  debug: ignored('Crossbar debug logging (debug; use --log-level)'),
  // Guessable session URLs: accepted for trying the protocol by hand (Crossbar's longpoll_curl example), with a notice.
  debug_transport_id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'a transport id is 1 to 64 characters from A-Z, a-z, 0-9, "_" and "-"' })
    .optional()
    .describe('Crossbar\'s fixed transport id, for trying the protocol by hand: every open gets this id (a later open takes it over from the earlier transport). Anyone who knows it can use the session: never in production.'),
});

export const longPollService = z
  .strictObject({
    type: z.literal('longpoll'),
    id: pathServiceId,
    serializers,
    auth: longPollAuthSchema.optional(),
    options: longPollOptions.prefault({}),
  })
  .describe('WAMP over HTTP long-poll (open, send, receive, close below this path), as AutobahnJS speaks it.');

export const sseDefaults = {
  cookieName: 'junction_ticket',
  heartbeatMs: 15000,
  maxTopics: 32,
  maxBufferedBytes: 1048576,
  maxStreams: 10000,
  maxPerAddress: 100,
  resumeWaitMs: 1000,
};

const sseOptions = z.strictObject({
  cookie_name: z
    .string()
    .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, { error: 'not a valid cookie name' })
    .default(sseDefaults.cookieName)
    .describe(`Cookie that may carry the ticket (default "${sseDefaults.cookieName}").`),
  heartbeat_interval: milliseconds
    .min(1000, { error: 'expected at least 1000 ms' })
    .max(3600000, { error: 'expected at most 3600000 ms' })
    .default(sseDefaults.heartbeatMs)
    .describe(`A comment line is sent after this many ms of silence, so proxies keep the stream open (default ${sseDefaults.heartbeatMs}).`),
  max_topics: positiveInt
    .max(1024, { error: 'expected at most 1024 topics' })
    .default(sseDefaults.maxTopics)
    .describe(`Topics one request may name (default ${sseDefaults.maxTopics}).`),
  max_buffered_bytes: byteCount(64 * 1024 * 1024)
    .default(sseDefaults.maxBufferedBytes)
    .describe(`Bytes queued for a slow listener before its connection is closed (default ${sseDefaults.maxBufferedBytes}).`),
  max_streams: maxConnections('streams', sseDefaults.maxStreams)
    .describe(`Streams open at once on this path; more requests are refused with 503 (default ${sseDefaults.maxStreams}).`),
  max_per_address: maxPerAddress('streams', sseDefaults.maxPerAddress),
  resume_wait: milliseconds
    .max(60000, { error: 'expected at most 60000 ms' })
    .default(sseDefaults.resumeWaitMs)
    .describe(`How long a resume from a bare publication ID this node has not heard of yet (still on its way from another node) waits for it, ms (default ${sseDefaults.resumeWaitMs}).`),
});

export const sseService = z
  .strictObject({
    type: z.literal('sse'),
    id: pathServiceId,
    realm: realmName.describe('Realm whose events are streamed.'),
    auth: sseAuthSchema.optional(),
    options: sseOptions.prefault({}),
  })
  .describe('Junction extension: Server-Sent Events of the topics named in the query (?topic=a&topic=b&match=prefix).');

export type LongPollServiceFile = z.output<typeof longPollService>;
export type SseServiceFile = z.output<typeof sseService>;
