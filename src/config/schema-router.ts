/**
 * Realms in Crossbar's format: roles with static permissions or a dynamic authorizer, realm
 * options, and the realm store (event history, call queues).
 */

import * as z from 'zod';
import { matchPolicies } from '../protocol/uri.js';
import { defaultUriCheck, uriChecks, type RealmLimitsConfig } from './model.js';
import { ignored, nonEmptyString, nonNegativeInt, positiveInt, procedureUri, realmName, roleName, unsupported } from './schema-parts.js';
import { rlinksSchema } from './schema-rlink.js';
import { checkPattern, resolvePermission } from './uri-patterns.js';

const matchPolicy = z.enum(matchPolicies);

const allow = z
  .strictObject({
    call: z.boolean().default(false),
    register: z.boolean().default(false),
    publish: z.boolean().default(false),
    subscribe: z.boolean().default(false),
  })
  .describe('Actions allowed on matching URIs (each defaults to false).');

const disclose = z
  .strictObject({
    caller: z.boolean().default(false).describe("Tell callees the caller's session."),
    publisher: z.boolean().default(false).describe("Tell subscribers the publisher's session."),
  })
  .describe('Identity disclosure (each defaults to false).');

/** An action beside "uri" (Crossbar's version-1 form), in a file that says "version": 2. */
const versionOneAction = (action: string) =>
  z
    .never({
      error: `"${action}" beside "uri" is the version-1 form: with "version": 2 write "allow": {"${action}": true}, or leave "version" out to have the file read as \`crossbar upgrade\` converts it`,
    })
    .optional()
    .describe(`Version-1 form; with "version": 2 use allow.${action}.`);

export const permissionSchema = z
  .strictObject({
    uri: z
      .string()
      .describe('URI or pattern. Without "match": "a.b" exact, "a.b.*" prefix, "*" everything, "a.*.c" wildcard.'),
    match: matchPolicy.optional().describe('Explicit match policy; the URI is then taken without star conversion.'),
    allow: allow.prefault({}),
    disclose: disclose.prefault({}),
    cache: z.boolean().default(false).describe('Authorization answers for this permission may be cached.'),
    validate: unsupported('payload validation (validate)'),
    call: versionOneAction('call'),
    register: versionOneAction('register'),
    publish: versionOneAction('publish'),
    subscribe: versionOneAction('subscribe'),
  })
  .superRefine((permission, ctx) => {
    const resolved = resolvePermission(permission.uri, permission.match);
    if (!resolved.ok) ctx.addIssue({ code: 'custom', message: resolved.problem, path: ['uri'] });
  });

export const roleSchema = z
  .strictObject({
    name: roleName,
    id: ignored('the role id (id)'),
    permissions: z.array(permissionSchema).optional().describe('Static authorization rules.'),
    authorizer: procedureUri.optional().describe('URI of a procedure that authorizes each action (dynamic).'),
    'allow-by-default': z
      .boolean()
      .default(false)
      .describe('A role without permissions or authorizer may do everything when true, nothing when false (as Crossbar).'),
  })
  .superRefine((role, ctx) => {
    if (role.permissions !== undefined && role.authorizer !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'a role has "permissions" or an "authorizer", not both', params: { code: 'config.conflict' } });
    }
  });

/** A store entry's URI must be a valid pattern under its match policy. */
function checkEntryPattern(entry: { uri: string; match: z.infer<typeof matchPolicy> }, ctx: z.RefinementCtx): void {
  const checked = checkPattern(entry.uri, entry.match);
  if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.problem, path: ['uri'] });
}

const eventHistoryEntry = z
  .strictObject({
    uri: z.string(),
    match: matchPolicy.default('exact'),
    limit: positiveInt.optional().describe("Events kept for this topic (default: the store's limit)."),
    limit_bytes: positiveInt.optional().describe("Junction extension: bytes the kept events of this topic may take together (default: the store's limit_bytes)."),
  })
  .superRefine(checkEntryPattern);

const callQueueEntry = z
  .strictObject({
    uri: z.string(),
    match: matchPolicy.default('exact'),
    limit: positiveInt.optional().describe("Calls that may wait in this queue at once (default: the store's limit)."),
    limit_bytes: positiveInt.optional().describe("Junction extension: bytes (estimated from procedure and payload) the waiting calls may take together (default: the store's limit_bytes)."),
  })
  .superRefine(checkEntryPattern)
  .describe('Calls to matching procedures wait here while every callee is at its concurrency limit (docs/configuration.md, "Call queues").');

/** Crossbar FX's bounds on a cfxdb store's maxsize: 128 KiB to 128 GiB. */
const minStoreBytes = 128 * 1024;
const maxStoreBytes = 128 * 1024 ** 3;

/** A "cfxdb" store's defaults: Crossbar FX's (crossbar/edge/worker/realmstore.py). */
export const cfxdbStoreDefaults = {
  maxsize: 128 * 1024 ** 2,
  readonly: false,
  sync: true,
  bufferFlushMs: 200,
  maxBuffer: 10_000,
} as const;

/** The keys of a "cfxdb" store (Crossbar FX's persistent realm store). */
const cfxdbStoreFields = {
  path: nonEmptyString.optional().describe('cfxdb: the database folder, relative to the config folder; Junction keeps its own lmdb store at <path>.lmdb (required with "type": "cfxdb").'),
  maxsize: z.int({ error: 'expected an integer' })
    .min(minStoreBytes, { error: `expected at least ${minStoreBytes} (128 KiB)` })
    .max(maxStoreBytes, { error: `expected at most ${maxStoreBytes} (128 GiB)` })
    .optional()
    .describe(`cfxdb: bytes the stored events (as encoded) may take in the file (default ${cfxdbStoreDefaults.maxsize}); past it new events are not written to the file.`),
  readonly: z.boolean().optional().describe(`cfxdb: read the history kept before, write nothing (default ${cfxdbStoreDefaults.readonly}).`),
  sync: z.boolean().optional().describe(`cfxdb: flush each write to disk (default ${cfxdbStoreDefaults.sync}); false is faster and may lose the latest writes in a crash.`),
  'buffer-flush': positiveInt.optional().describe(`cfxdb: milliseconds between writes of the buffered events to the file (default ${cfxdbStoreDefaults.bufferFlushMs}).`),
  'max-buffer': positiveInt.optional().describe(`cfxdb: changes (events kept and let go) waiting for the next write at most (default ${cfxdbStoreDefaults.maxBuffer}); past it new events are not written to the file.`),
};

const store = z
  .strictObject({
    type: z
      .enum(['memory', 'cfxdb'], { error: 'expected "memory" or "cfxdb"' })
      .default('memory'),
    limit: positiveInt.default(100).describe('Default number of events kept per topic, and of calls waiting per call-queue entry.'),
    limit_bytes: positiveInt
      .default(4 * 1024 * 1024)
      .describe('Junction extension: default bytes (estimated from the payload) the kept events of one topic may take together (the oldest go first, and a larger event alone is not kept), and the waiting calls of one call-queue entry.'),
    'event-history': z.array(eventHistoryEntry).default([]),
    'call-queue': z.array(callQueueEntry).default([]),
    ...cfxdbStoreFields,
  })
  .superRefine((store, ctx) => {
    if (store.type === 'cfxdb') {
      if (store.path === undefined) ctx.addIssue({ code: 'custom', message: 'a "cfxdb" store needs "path" (its database folder)', path: ['path'] });
      return;
    }
    for (const key of Object.keys(cfxdbStoreFields)) {
      if ((store as Record<string, unknown>)[key] !== undefined) ctx.addIssue({ code: 'custom', message: `"${key}" belongs to a "cfxdb" store; this store is "memory"`, path: [key] });
    }
  })
  .describe('Event history for wamp.subscription.get_events: in memory, or ("cfxdb") also in a file, kept across restarts; and call queues.');

/**
 * Junction's defaults for `options.limits`: generous for real applications, finite against a
 * runaway client. The one place these numbers are written (the router takes them from the config).
 */
export const defaultRealmLimits: Readonly<RealmLimitsConfig> = {
  maxSubscriptionsPerSession: 10_000,
  maxRegistrationsPerSession: 1_000,
  maxCallsInFlightPerSession: 1_000,
  publishRate: { perSecond: 1_000, burst: 2_000 },
  maxQueuedMessagesPerSession: 1_000,
  maxQueuedBytesPerSession: 4 * 1024 * 1024,
  // The default max_buffered_bytes: what a connection would have queued had the burst gone out at once.
  maxHeldLiveBytesPerSession: 4 * 1024 * 1024,
  // Ten full replays of a realm at max_retained_topics: only a client that keeps asking and does not read gets there.
  maxWaitingRetainedPerSession: 100_000,
  maxRetainedEventBytes: 1024 * 1024,
  maxRetainedBytes: 64 * 1024 * 1024,
  maxRetainedTopics: 10_000,
};

const publishRate = z
  .strictObject({
    per_second: nonNegativeInt
      .default(defaultRealmLimits.publishRate.perSecond)
      .describe('PUBLISH messages one session may send per second, on average (0 = no limit).'),
    burst: nonNegativeInt
      .default(defaultRealmLimits.publishRate.burst)
      .describe('PUBLISH messages one session may send at once before the rate applies (>= 1 unless per_second is 0).'),
  })
  .superRefine((rate, ctx) => {
    // A bucket that holds less than one publication would refuse every PUBLISH: almost certainly not meant.
    if (rate.per_second > 0 && rate.burst === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['burst'],
        message: 'burst 0 would refuse every publication; give at least 1, or set per_second to 0 for no rate limit',
      });
    }
  })
  .describe('Junction extension: a token bucket per session for PUBLISH.');

const limits = z
  .strictObject({
    max_subscriptions_per_session: nonNegativeInt
      .default(defaultRealmLimits.maxSubscriptionsPerSession)
      .describe('Subscriptions one session may hold, exact and pattern alike (0 = no limit).'),
    max_registrations_per_session: nonNegativeInt
      .default(defaultRealmLimits.maxRegistrationsPerSession)
      .describe('Registrations one session may hold, shared ones included (0 = no limit).'),
    max_calls_in_flight_per_session: nonNegativeInt
      .default(defaultRealmLimits.maxCallsInFlightPerSession)
      .describe('CALLs one session made that have no final RESULT or ERROR yet (0 = no limit).'),
    publish_rate: publishRate.prefault({}),
    max_queued_messages_per_session: nonNegativeInt
      .default(defaultRealmLimits.maxQueuedMessagesPerSession)
      .describe('Received messages one session may have waiting behind an unfinished step (authentication, a dynamic authorizer); past it, reading stops until half have been handled (0 = no limit).'),
    max_queued_bytes_per_session: nonNegativeInt
      .default(defaultRealmLimits.maxQueuedBytesPerSession)
      .describe('Bytes (as received) of those waiting messages; past it, reading stops likewise (0 = no limit).'),
    max_held_live_bytes_per_session: nonNegativeInt
      .default(defaultRealmLimits.maxHeldLiveBytesPerSession)
      .describe("Bytes (payload, estimated) of live events held behind a session's retained events while get_retained sends them at its connection's pace; past it, everything waiting goes to the connection at once and its slow-consumer limit decides (0 = no limit)."),
    max_waiting_retained_per_session: nonNegativeInt
      .default(defaultRealmLimits.maxWaitingRetainedPerSession)
      .describe('Retained events waiting for a session while get_retained sends them at its connection\'s pace (its subscriptions\' replays together); past it, everything waiting goes to the connection at once and its slow-consumer limit decides (0 = no limit).'),
    max_retained_event_bytes: nonNegativeInt
      .default(defaultRealmLimits.maxRetainedEventBytes)
      .describe('A larger publication with retain (payload bytes, estimated) is refused: neither delivered nor retained (0 = no limit).'),
    max_retained_bytes: nonNegativeInt
      .default(defaultRealmLimits.maxRetainedBytes)
      .describe("Bytes the realm's retained events may take together; a publication with retain that would pass it is refused: neither delivered nor retained (0 = no limit)."),
    max_retained_topics: nonNegativeInt
      .default(defaultRealmLimits.maxRetainedTopics)
      .describe('Topics that may have a retained event; past it, publications with retain to other topics are refused: neither delivered nor retained (0 = no limit).'),
  })
  .describe("Junction extension: what one session may hold or do, and what the realm retains; the router's own sessions are exempt.");

const realmOptions = z.strictObject({
  enable_meta_api: z.boolean().default(true).describe('Serve the WAMP meta API (wamp.session.* ...).'),
  // Crossbar's RouterFactory (crossbar/router/router.py) starts realms loose unless this says strict.
  uri_check: z.enum(uriChecks).default(defaultUriCheck).describe(`URI validation rule for this realm (default "${defaultUriCheck}", as Crossbar).`),
  limits: limits.prefault({}),
  bridge_meta_api: ignored("bridging the meta API to Crossbar's management realm (bridge_meta_api)"),
  event_dispatching_chunk_size: ignored('the Twisted event dispatching chunk size (event_dispatching_chunk_size)'),
});

/**
 * Session statistics (wamp.session.on_stats), with the defaults and checks of Crossbar's
 * RouterSession.onJoin (crossbar/router/session.py; its docs say trigger_on_join defaults to
 * true, its code reads false).
 */
const stats = z
  .strictObject({
    rated_message_size: positiveInt
      .default(512)
      .refine((size) => size % 2 === 0, { error: 'expected a positive even number of bytes (Crossbar asserts an even size; its docs ask for a power of two)' })
      .describe('A message counts as one rated message per this many bytes, or part of it (default 512).'),
    trigger_after_rated_messages: nonNegativeInt
      .default(0)
      .describe("Report a session's statistics once it has this many rated messages since its last report; 0 = never (default 0)."),
    trigger_after_duration: nonNegativeInt
      .default(0)
      .describe("Report a session's statistics every this many seconds, when it had traffic since its last report; 0 = never (default 0)."),
    trigger_on_join: z.boolean().default(false).describe('Report as a session joins (default false).'),
    trigger_on_leave: z.boolean().default(true).describe('Report as a session leaves: its last report (default true).'),
  })
  // Both 0 (not merely invalid, which is reported on the key itself).
  .refine((block) => block.trigger_after_rated_messages !== 0 || block.trigger_after_duration !== 0, {
    error: 'set trigger_after_rated_messages or trigger_after_duration (or both) above 0: Crossbar refuses a stats block with neither',
  })
  .describe('Session statistics: wamp.session.on_stats events with each session\'s messages and bytes, in and out.');

export const realmSchema = z.strictObject({
  name: realmName,
  id: ignored('the realm id (id)'),
  roles: z.array(roleSchema).default([]),
  options: realmOptions.prefault({}),
  store: store.optional(),
  inventory: unsupported('type inventories (inventory)'),
  rlinks: rlinksSchema.describe('Router-to-router links: sessions to the same realm of other routers (docs/configuration.md "Router links").'),
  stats: stats.optional(),
  trace: ignored("realm tracing (trace; Crossbar's router does not read it either)"),
}).superRefine((realm, ctx) => {
  if (realm.stats && !realm.options.enable_meta_api) {
    ctx.addIssue({ code: 'custom', path: ['stats'], message: 'session statistics are published as a meta event: they need "enable_meta_api" (options) left on' });
  }
});

export type RealmFile = z.output<typeof realmSchema>;
export type RoleFile = z.output<typeof roleSchema>;
export type PermissionFile = z.output<typeof permissionSchema>;
