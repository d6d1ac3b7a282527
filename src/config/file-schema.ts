/**
 * The whole configuration file in Crossbar.io's format (version 2): the one source of truth for
 * accepted keys, their types and defaults, and the JSON Schema offered to editors.
 *
 *   { "version": 2, "controller": {...},
 *     "workers": [ { "type": "router", "realms": [...], "transports": [...], "components": [...] },
 *                  { "type": "container", "components": [...] } ] }
 *
 * Keys fall in three groups: used (mapped into the model by normalize.ts), accepted but not
 * needed (`ignored`: Crossbar runtime settings, reported as notices) and not supported yet
 * (`unsupported`: an error naming the feature). Any other key is an error.
 */

import * as z from 'zod';
import { defaultChallengeTimeoutMs, defaultDynamicCallTimeoutMs } from '../auth/sign-in-defaults.js';
import { defaultThrottleOptions } from '../auth/throttle.js';
import { DEFAULT_MAX_NESTING_DEPTH } from '../codec/nesting.js';
import { containerComponent, routerComponent } from './schema-components.js';
import { controllerOptionsSchema } from './schema-controller.js';
import { ignored, itemId, milliseconds, nonEmptyString, nonNegativeInt, notSupportedMessage, positiveInt, typeError, unsupported } from './schema-parts.js';
import { guestWorkerSchema, processEnvironment } from './schema-guest.js';
import { Ignored, notice } from './notices.js';
import { proxyConnections, proxyRoutes } from './schema-proxy.js';
import { checkRedisServer, redisServerShape } from './schema-redis.js';
import { realmSchema } from './schema-router.js';
import { testeeWorkerTransport } from './schema-testee.js';
import { transportSchema } from './schema-transport.js';

/** Options of Crossbar's native worker processes: all about the Python process itself. */
const workerOptionsShape = {
  title: ignored('the worker process title (title)'),
  python: ignored('the Python executable (python)'),
  pythonpath: ignored('the Python module search path (pythonpath)'),
  cpu_affinity: ignored('the worker CPU affinity (cpu_affinity)'),
  env: ignored('the worker process environment (env)'),
  extra: ignored('worker extra data (extra)'),
  expose_controller: ignored('exposing the node controller to the worker (expose_controller)'),
  expose_shared: ignored('exposing shared objects to the worker (expose_shared)'),
  // A disabled worker would not run under Crossbar; running it anyway would be a silent change.
  disabled: z
    .literal(false, { error: 'a disabled worker is not supported: remove the worker from the file instead' })
    .optional(),
};

/** A worker's Python settings, used where Junction starts a Python process for it (a container's classes, a router's wsgi paths and function authenticators). */
const pythonOptionsShape = {
  python: nonEmptyString.optional().describe('The Python interpreter (default: /usr/bin/python3, else python3 on the PATH).'),
  pythonpath: z.array(nonEmptyString).default([]).describe('Folders (relative to the config folder) put first on the module search path.'),
  env: processEnvironment,
};

/** A router's Python settings are used by its wsgi paths and function authenticators, each run in a Python process of its own. */
const routerOptions = z.strictObject({ ...workerOptionsShape, ...pythonOptionsShape });
/** A container's Python settings are used: Junction runs its Python components in a process of their own. */
const containerOptions = z.strictObject({
  ...workerOptionsShape,
  ...pythonOptionsShape,
  shutdown: ignored('the container shutdown mode (shutdown)'),
  restart: ignored('the container restart mode (restart)'),
});

/** Junction's own sign-in limits (Crossbar has none): how failed sign-ins are slowed down, and auth timeouts; the auth layer owns their defaults. */
const signInLimits = z
  .strictObject({
    failure_budget: nonNegativeInt.default(defaultThrottleOptions.budget).describe('Failed sign-ins one IP address may have before it is slowed down.'),
    forgive_after: positiveInt.default(defaultThrottleOptions.forgiveMs).describe('One failure is forgiven every this many milliseconds.'),
    spacing: milliseconds.default(defaultThrottleOptions.spacingMs).describe('Over budget, attempts are spaced this many milliseconds times the failures over budget (plus one).'),
    max_wait: milliseconds.default(defaultThrottleOptions.maxWaitMs).describe('An attempt that would have to wait longer than this (ms) is refused at once.'),
    challenge_timeout: positiveInt.default(defaultChallengeTimeoutMs).describe('A CHALLENGE not answered within this many milliseconds fails.'),
    dynamic_timeout: positiveInt.default(defaultDynamicCallTimeoutMs).describe('A dynamic authenticator or authorizer that does not answer within this many milliseconds denies.'),
  })
  .prefault({})
  .describe('Junction extension: sign-in rate limits and authentication timeouts, for every transport of the router.');

/** The cluster's timing when the file does not give it (also what a Redis link uses when built without a config). */
export const clusterDefaults = { prefix: 'junction', heartbeatMs: 1_000, leaseMs: 3_000, livenessMs: 250, maxPendingBytes: 16 * 1024 * 1024, commandTimeoutMs: 2_000 } as const;

/** Junction's cluster through Redis (Crossbar has no such key). */
const clusterSchema = z
  .strictObject({
    redis: z.strictObject({
      ...redisServerShape,
      prefix: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'expected 1 to 64 characters from A-Z, a-z, 0-9, "_", "." and "-"' })
        .default(clusterDefaults.prefix).describe('Every Redis key and channel of this cluster starts with it: several clusters can share one Redis.'),
      max_pending_bytes: positiveInt.default(clusterDefaults.maxPendingBytes)
        .describe('Bytes of messages handed to Redis and not yet acknowledged by it; past it publications for other nodes are dropped and counted (junction_backplane_dropped_total); announcements and call traffic still go.'),
      command_timeout: positiveInt.default(clusterDefaults.commandTimeoutMs)
        .describe('Milliseconds a node waits for Redis to answer one command; past it the client action waiting on it gets its answer (REGISTER: ERROR junction.error.cluster_timeout), the timeout is counted (junction_cluster_redis_timeouts_total) and the node serves its own clients only until Redis answers again.'),
    }).superRefine(checkRedisServer).describe('Where the nodes meet: one Redis server ("url") or the primary Redis Sentinel names ("sentinels" and "name").'),
    node_id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'expected 1 to 64 characters from A-Z, a-z, 0-9, "_", "." and "-"' })
      .optional().describe('This node\'s name in the cluster; default: the host name and a random suffix, new at each start.'),
    heartbeat: positiveInt.default(clusterDefaults.heartbeatMs).describe('Each node says it is alive every this many milliseconds.'),
    lease: positiveInt.default(clusterDefaults.leaseMs).describe('A node not heard from for this many milliseconds is dead: its sessions, subscriptions and registrations are dropped everywhere.'),
  })
  .refine((cluster) => cluster.lease > cluster.heartbeat, { error: 'lease must be longer than heartbeat', path: ['lease'], params: { code: 'config.conflict' } })
  .optional()
  .describe('Junction extension: nodes with the same Redis and realm names form one router (docs/cluster.md).');

/** Deeper messages would overflow the encoders' recursion when the router re-encodes them. */
const MAX_NESTING_DEPTH_CEILING = 1_000;

const maxNestingDepth = z
  .int({ error: `expected a whole number of levels from 2 to ${MAX_NESTING_DEPTH_CEILING}` })
  .min(2, { error: 'expected at least 2 levels (a WAMP message is a list holding its dicts and lists)' })
  .max(MAX_NESTING_DEPTH_CEILING, { error: `expected at most ${MAX_NESTING_DEPTH_CEILING} levels (deeper payloads cannot be re-encoded safely)` })
  .default(DEFAULT_MAX_NESTING_DEPTH)
  .describe(`Junction extension: incoming messages (every transport, HTTP bridge bodies) may nest lists and dicts at most this many levels deep, the message itself counting as one (default ${DEFAULT_MAX_NESTING_DEPTH}); deeper ones abort the session with protocol_violation, or get HTTP 400.`);

export const routerWorkerSchema = z
  .strictObject({
    type: z.literal('router'),
    id: itemId.optional(),
    options: routerOptions.prefault({}),
    manhole: ignored('the manhole (a Python debug shell)'),
    realms: z.array(realmSchema).default([]),
    transports: z.array(transportSchema).default([]),
    components: z.array(routerComponent).default([]),
    connections: unsupported('database connections (connections)'),
    sign_in: signInLimits,
    cluster: clusterSchema,
    max_nesting_depth: maxNestingDepth,
  })
  .describe('The router: realms, the transports clients connect to, and components.');

const containerWorkerSchema = z
  .strictObject({
    type: z.literal('container'),
    id: itemId.optional(),
    options: containerOptions.prefault({}),
    manhole: ignored('the manhole (a Python debug shell)'),
    components: z.array(containerComponent).default([]),
    connections: unsupported('database connections (connections)'),
  })
  .describe('A Crossbar process hosting Python components: Junction runs their classes with Autobahn|Python in one process per container worker.');

/** Served as the router's own front-end: its transports become the node's, its routes limit where their clients may sign in. */
const proxyWorkerSchema = z
  .strictObject({
    type: z.literal('proxy'),
    id: itemId.optional(),
    options: z.strictObject(workerOptionsShape).optional(),
    manhole: ignored('the manhole (a Python debug shell)'),
    transports: z.array(transportSchema).default([]),
    routes: proxyRoutes,
    connections: proxyConnections,
  })
  .describe('A Crossbar proxy worker: Junction serves its transports inside the router (use --workers for more processes), for the realms and roles of its routes.');

/** Crossbar's WebSocket echo server for the Autobahn test suite: Junction serves its transport beside the router's. */
const testeeWorkerSchema = z
  .strictObject({
    type: z.literal('websocket-testee'),
    id: itemId.optional(),
    options: z.strictObject(workerOptionsShape).optional(),
    transport: testeeWorkerTransport,
  })
  .describe('A WebSocket echo server (Autobahn test suite, benchmarks): every message is sent back as it came.');

const otherCrossbarWorkers: Record<string, string> = {
  xbrmm: notSupportedMessage('XBR market maker workers'),
  hostmonitor: notSupportedMessage('host monitor workers'),
};

const workerSchema = z.discriminatedUnion('type', [routerWorkerSchema, containerWorkerSchema, guestWorkerSchema, proxyWorkerSchema, testeeWorkerSchema], {
  error: typeError('worker', ['router', 'container', 'guest', 'proxy', 'websocket-testee'], (type) => otherCrossbarWorkers[type]),
});

/**
 * Crossbar FX connects no management uplink for a `fabric` block without a transport (`{}`, or
 * `"transport": null` to switch it off): the node runs on its own, as Junction always does. An
 * uplink is a management plane Junction does not have.
 */
const fabricBlockWithoutUplink = z.strictObject({ transport: z.null().optional(), heartbeat: z.unknown().optional() });
const fabricWithoutUplink = z
  .unknown()
  .transform((value, ctx) => {
    if (fabricBlockWithoutUplink.safeParse(value).success) {
      return new Ignored((path) => notice('config.notice.ignored', path, 'a Crossbar FX management block without an uplink (fabric)'));
    }
    ctx.addIssue({ code: 'custom', message: notSupportedMessage('Crossbar FX management uplinks (fabric)') });
    return z.NEVER;
  })
  .optional()
  .describe('Crossbar FX management uplink: accepted with a notice without one ({} or "transport": null); an uplink is not supported.');

/** Crossbar's node controller is its process manager: Junction reads its shutdown triggers and ignores its process settings. */
const controllerSchema = z
  .strictObject({
    id: ignored('the controller id (id)'),
    options: controllerOptionsSchema,
    manhole: ignored('the controller manhole (a Python debug shell)'),
    connections: ignored('controller database connections (connections)'),
    keyring: ignored('the node key ring (keyring)'),
    // Crossbar FX / Crossbar Fabric Center: a management plane that Junction does not have.
    fabric: fabricWithoutUplink,
    'fabric-center': unsupported('Crossbar Fabric Center master nodes (fabric-center)'),
    // false: no Docker control, as Junction has none.
    enable_docker: z
      .literal(false, { error: notSupportedMessage('Docker control from the node controller (enable_docker)') })
      .transform(() => new Ignored((path) => notice('config.notice.ignored', path, 'Docker control switched off (enable_docker: false)')))
      .optional()
      .describe('Crossbar FX Docker control: false is accepted with a notice; true is not supported.'),
    blockchain: unsupported('XBR blockchain settings (blockchain)'),
    ipfs: unsupported('IPFS settings (ipfs)'),
  })
  .prefault({})
  .describe('Crossbar node controller settings: its shutdown triggers are read, its process settings ignored; Crossbar FX keys are not supported.');

export const configFileSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema for editors (see `junction schema`).'),
    version: z
      .union([z.literal(1), z.literal(2)], { error: 'expected 2 (or 1, whose permissions are read as `crossbar upgrade` converts them)' })
      .default(2)
      .describe('Crossbar configuration format version: 2, or 1 (permissions converted as `crossbar upgrade` does).'),
    controller: controllerSchema,
    workers: z.array(workerSchema).default([]).describe('Router workers (several are served as one router), container workers, guest workers (programs started beside the router) proxy workers (served by the router) and websocket-testee workers (echo servers).'),
  })
  .describe('Junction configuration (the Crossbar.io config.json / config.yaml format).');

export type ConfigFile = z.output<typeof configFileSchema>;
export type RouterWorkerFile = z.output<typeof routerWorkerSchema>;
export type WorkerFile = z.output<typeof workerSchema>;
export type ProxyWorkerFile = z.output<typeof proxyWorkerSchema>;
export type TesteeWorkerFile = z.output<typeof testeeWorkerSchema>;
