/**
 * The HTTP bridge path services in Crossbar's format: `publisher` and `caller` (a POST becomes a
 * publish or a call as a fixed realm and role) and `webhook` (any POST becomes one event).
 */

import * as z from 'zod';
import { byteCount, ignored, ipRange, pathServiceId, missingMessage, nonEmptyString, plainUri, positiveInt, realmName, roleName, seconds } from './schema-parts.js';

/** Largest request body a bridge path accepts at all (Crossbar allows up to 1 MiB; webhooks may need more). */
export const maxPostBodyLimit = 16 * 1024 * 1024;
export const defaultPostBodyLimit = 8192;
export const defaultTimestampDeltaLimit = 300;
/** Requests one bridge service handles at once (reading, waiting for the router); more get 503. */
export const defaultMaxRequestsInFlight = 1000;
/**
 * Signed requests one service remembers to refuse replays (a few tens of MB at worst); beyond
 * that new ones get 429 until old ones expire, each after about the timestamp delta limit.
 */
export const defaultReplayMemory = 200_000;

const maxRequestsInFlight = positiveInt
  .max(1_000_000, { error: 'expected at most 1000000 requests' })
  .optional()
  .describe(`Junction extension: requests this service handles at once (reading the body, waiting for the router); more are answered 503 (default ${defaultMaxRequestsInFlight}).`);

const postBodyLimit = z
  .union([z.literal(0), byteCount(maxPostBodyLimit)], { error: `expected a number of bytes from 1 to ${maxPostBodyLimit}` })
  .default(defaultPostBodyLimit)
  .describe(`Largest request body in bytes (default ${defaultPostBodyLimit}). Crossbar's 0 (no limit) gets the default, with a notice.`);

const requireIp = z
  .array(ipRange)
  .default([])
  .describe('Only these client addresses may post: addresses or ranges ("10.0.0.0/8", "192.168.1.0/255.255.255.0"). Default: any.');

const allowedOrigins = z
  .array(nonEmptyString)
  .optional()
  .describe('Junction extension: origins of other sites whose browser pages may post here, and are granted CORS ("https://app.example.com", "https://*.example.com", "null", "*"). Requests without Origin (backends) and same-origin pages always may. Default: none.');

const requireTls = z.boolean().default(false).describe('Refuse requests that did not arrive over TLS (behind a trusted proxy, X-Forwarded-Proto counts).');

const debug = ignored('Crossbar debug logging (debug; use --log-level)');

const signedShape = {
  key: nonEmptyString.optional().describe('Key of signed requests (with "secret").'),
  secret: nonEmptyString.optional().describe('Secret of signed requests (with "key"); write "${ENV_NAME}" to read it from the environment.'),
  post_body_limit: postBodyLimit,
  timestamp_delta_limit: seconds(86400)
    .default(defaultTimestampDeltaLimit)
    .describe(
      `A signed request's timestamp may differ from the router's clock by this many seconds (default ${defaultTimestampDeltaLimit}, as Crossbar). 0 gets the default, with a notice.`,
    ),
  require_ip: requireIp,
  require_tls: requireTls,
  allowed_origins: allowedOrigins,
  max_requests_in_flight: maxRequestsInFlight,
  replay_memory: positiveInt
    .max(10_000_000, { error: 'expected at most 10000000 requests' })
    .optional()
    .describe(`Junction extension: signed requests remembered to refuse replays; when full, new ones are answered 429 until old ones expire (default ${defaultReplayMemory}).`),
  debug,
};

function keyWithSecret(options: { key?: string | undefined; secret?: string | undefined }, ctx: z.RefinementCtx): void {
  // One without the other would silently accept unsigned requests.
  if ((options.key === undefined) !== (options.secret === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'signed requests need both "key" and "secret"', params: { code: 'config.conflict' } });
  }
}

export const defaultCallerMaxTimeoutMs = 60_000;
export const callerMaxTimeoutLimitMs = 3_600_000;
const callTimeoutError = `expected a number of milliseconds from 1 to ${callerMaxTimeoutLimitMs}`;
const maxTimeout = z
  .int({ error: callTimeoutError })
  .min(1, { error: callTimeoutError })
  .max(callerMaxTimeoutLimitMs, { error: callTimeoutError })
  .default(defaultCallerMaxTimeoutMs)
  .describe(
    `Junction extension: the longest a call may run, in ms, and the timeout of calls that ask for none (default ${defaultCallerMaxTimeoutMs}); a request asking for more is refused.`,
  );

const publisherOptions = z.strictObject(signedShape).superRefine(keyWithSecret);
const callerOptions = z.strictObject({ ...signedShape, max_timeout: maxTimeout }).superRefine(keyWithSecret);

const bridgeShape = {
  id: pathServiceId,
  realm: realmName.describe('Realm the bridge session joins.'),
  role: roleName.describe('Role the bridge session has in that realm; its permissions apply.'),
};

export const publisherService = z
  .strictObject({ type: z.literal('publisher'), ...bridgeShape, options: publisherOptions.prefault({}) })
  .describe('HTTP POST {topic, args, kwargs, options} -> a publication; answers {"id": <publication id>}.');

export const callerService = z
  .strictObject({ type: z.literal('caller'), ...bridgeShape, options: callerOptions.prefault({}) })
  .describe('HTTP POST {procedure, args, kwargs, options} -> a call; answers {"args", "kwargs"} or the error.');

const webhookOptions = z.strictObject(
  {
    topic: plainUri('the topic each webhook request is published to').describe('Topic each request is published to (required).'),
    success_response: z.string().default('OK').describe('Body of the answer when the event was published.'),
    error_response: z.string().default('NOT OK').describe('Body of the answer when publishing failed.'),
    github_secret: nonEmptyString
      .optional()
      .describe('Require a GitHub-style X-Hub-Signature-256 (HMAC-SHA256 of the body) made with this secret.'),
    post_body_limit: postBodyLimit,
    require_ip: requireIp,
    require_tls: requireTls,
    allowed_origins: allowedOrigins,
    max_requests_in_flight: maxRequestsInFlight,
    debug,
  },
  { error: missingMessage('a webhook needs "options" with its "topic"') },
);

export const webhookService = z
  .strictObject({
    type: z.literal('webhook'),
    ...bridgeShape,
    options: webhookOptions,
  })
  .describe('Any HTTP POST -> one event {headers, body} on options.topic.');

export type PublisherServiceFile = z.output<typeof publisherService>;
export type CallerServiceFile = z.output<typeof callerService>;
export type WebhookServiceFile = z.output<typeof webhookService>;
