/**
 * From a validated file (Crossbar's shape, defaults applied by the schema) to the model:
 * camelCase, star URIs resolved, transports as listeners (web paths flattened), bridge
 * components as runnable configs, absent auth made explicit.
 * Runs only after validation and cross-checks passed, so it does not re-check anything.
 */

import { resolve } from 'node:path';
import { routerWorkerSchema, type ConfigFile, type RouterWorkerFile } from './file-schema.js';
import type { JunctionConfig, PermissionConfig, RealmConfig, RoleConfig, RealmLimitsConfig, SessionStatsConfig } from './model.js';
import { componentConfigs } from './normalize-components.js';
import { FunctionAuthenticators } from './normalize-function-auth.js';
import { guestConfigs, routerPythonConfigs, unusedPythonNotices, workerPython } from './normalize-guests.js';
import { listenerConfigs, servesPython, type TransportToListen } from './normalize-listeners.js';
import { proxyTransports } from './normalize-proxy.js';
import { testeeTransports } from './normalize-testee.js';
import type { NormalizeContext } from './normalize-context.js';
import { realmStore } from './normalize-realm-store.js';
import { realmLinks } from './normalize-rlinks.js';
import { ignoredSettingNotices, notice } from './notices.js';
import { formatPath, type ConfigPath } from './config-path.js';
import type { PermissionFile, RealmFile, RoleFile } from './schema-router.js';
import { openedBefore } from './shared-ports.js';
import { realmsOnce } from './shared-realms.js';
import { resolvePermission } from './uri-patterns.js';

export interface NormalizeOptions {
  /** Folder that relative file paths (TLS files, static directories, Unix sockets, cwd) are relative to. */
  baseDir?: string;
  /** Notices of steps before validation (a version-1 file read as converted), listed first. */
  notices?: readonly string[];
}

export function normalize(file: ConfigFile, options: NormalizeOptions = {}): JunctionConfig {
  // Crossbar runs each router worker as a process of its own; Junction serves them all as one router.
  const routers = file.workers.flatMap((worker, index) => (worker.type === 'router' ? [{ router: worker, at: ['workers', index] as ConfigPath }] : []));
  // A node of websocket-testee workers only has no router worker: its router has the defaults and no realms.
  const first = routers[0] ?? { router: routerWorkerSchema.parse({ type: 'router' }), at: ['workers'] };
  const baseDir = resolve(options.baseDir ?? '.');
  const firstPython = workerPython(first.router.options, first.at, baseDir);
  const functions = new FunctionAuthenticators({
    python: firstPython.executable,
    pythonpath: firstPython.pythonpath,
    env: firstPython.env,
    // Without realms no host is made: the cross-checks refuse a function authenticator then.
    realm: routers.flatMap(({ router }) => router.realms)[0]?.name ?? '',
    cwd: baseDir,
  });
  const context: NormalizeContext = { baseDir: options.baseDir, notices: [...(options.notices ?? []), ...ignoredSettingNotices(file)], functions };
  for (const { at } of routers.slice(1)) {
    context.notices.push(notice('config.notice.routers_merged', at, first.at));
  }
  const listeners = listenerConfigs(
    [
      ...routerTransports(routers, baseDir, context.notices),
      ...proxyTransports(file, firstPython, context.notices, functions),
      ...testeeTransports(file, firstPython, context.notices),
    ],
    context,
  );
  if (routers.length > 0 && routers.every(({ router }) => router.realms.length === 0)) {
    // Crossbar accepts a router that only serves web paths (static files, JSON, redirects).
    context.notices.push(notice('config.notice.no_realms', [...first.at, 'realms']));
  }
  const routerPython = routerPythonConfigs(file, options.baseDir);
  // A router's Python settings are for its Python components, paths and function authenticators
  // (known once the listeners' auth is read); without any they have no process to configure.
  for (const { router, at } of routers) {
    const runsComponents = routerPython.some((worker) => worker.guest.at === formatPath(at));
    if (!runsComponents && !router.transports.some(servesPython) && functions.components().length === 0) {
      unusedPythonNotices(router.options, at, 'a router without Python components, Python paths (wsgi, resource, wap, static package) or function authenticators', context.notices);
    }
  }
  const components = componentConfigs(file, context);
  const realms = realmsOnce(routers, context.notices);
  const listening = routers.flatMap(({ router }) => router.transports.map((transport) => transport.endpoint));
  const signIn = first.router.sign_in;
  const cluster = first.router.cluster;

  return {
    realms: realms.map(({ realm, at }) => realmConfig(realm, at, context)),
    listeners,
    components: [...components, ...functions.components()],
    guests: guestConfigs(file, options.baseDir, context.notices),
    shutdownTriggers: [...new Set(file.controller.options.shutdown)],
    routerPython,
    notices: context.notices,
    signIn: {
      failureBudget: signIn.failure_budget,
      forgiveAfterMs: signIn.forgive_after,
      spacingMs: signIn.spacing,
      maxWaitMs: signIn.max_wait,
      challengeTimeoutMs: signIn.challenge_timeout,
      dynamicTimeoutMs: signIn.dynamic_timeout,
    },
    ...(cluster ? {
      cluster: {
        redis: {
          url: cluster.redis.url, sentinels: cluster.redis.sentinels, name: cluster.redis.name, sentinelPassword: cluster.redis.sentinel_password,
          username: cluster.redis.username, password: cluster.redis.password,
        },
        prefix: cluster.redis.prefix, maxPendingBytes: cluster.redis.max_pending_bytes,
        commandTimeoutMs: cluster.redis.command_timeout, nodeId: cluster.node_id,
        heartbeatMs: cluster.heartbeat, leaseMs: cluster.lease,
      },
    } : {}),
    maxNestingDepth: first.router.max_nesting_depth,
    rlinks: realms.flatMap((realm) => realmLinks(realm, listening, baseDir, context.notices)),
  };
}

/**
 * The router workers' transports to listen on; one on a port another opened is on a `"shared": true`
 * port and the same (the cross-checks refuse any other), so it is opened once.
 */
function routerTransports(routers: readonly { router: RouterWorkerFile; at: ConfigPath }[], baseDir: string, notices: string[]): TransportToListen[] {
  const opened = new Map<string, ConfigPath>();
  return routers.flatMap(({ router, at }) => {
    const python = workerPython(router.options, at, baseDir);
    return router.transports.flatMap((transport, index) => {
      const where: ConfigPath = [...at, 'transports', index];
      const first = openedBefore(opened, transport.endpoint, where);
      if (first === undefined) return [{ transport, where, python }];
      notices.push(notice('config.notice.port_shared', where, first));
      return [];
    });
  });
}

function realmConfig(realm: RealmFile, at: ConfigPath, context: NormalizeContext): RealmConfig {
  return {
    name: realm.name,
    roles: realm.roles.map((role, index) => roleConfig(role, [...at, 'roles', index], context.notices)),
    options: {
      enableMetaApi: realm.options.enable_meta_api, uriCheck: realm.options.uri_check, limits: limitsConfig(realm),
      ...(realm.stats ? { stats: statsConfig(realm.stats) } : {}),
    },
    store: realmStore(realm.store, [...at, 'store'], context),
  };
}

function statsConfig(stats: NonNullable<RealmFile['stats']>): SessionStatsConfig {
  return {
    ratedMessageSize: stats.rated_message_size,
    afterRatedMessages: stats.trigger_after_rated_messages,
    afterDurationMs: stats.trigger_after_duration * 1000,
    onJoin: stats.trigger_on_join,
    onLeave: stats.trigger_on_leave,
  };
}

function limitsConfig(realm: RealmFile): RealmLimitsConfig {
  const limits = realm.options.limits;
  return {
    maxSubscriptionsPerSession: limits.max_subscriptions_per_session,
    maxRegistrationsPerSession: limits.max_registrations_per_session,
    maxCallsInFlightPerSession: limits.max_calls_in_flight_per_session,
    publishRate: { perSecond: limits.publish_rate.per_second, burst: limits.publish_rate.burst },
    maxQueuedMessagesPerSession: limits.max_queued_messages_per_session,
    maxQueuedBytesPerSession: limits.max_queued_bytes_per_session,
    maxHeldLiveBytesPerSession: limits.max_held_live_bytes_per_session,
    maxWaitingRetainedPerSession: limits.max_waiting_retained_per_session,
    maxRetainedEventBytes: limits.max_retained_event_bytes,
    maxRetainedBytes: limits.max_retained_bytes,
    maxRetainedTopics: limits.max_retained_topics,
  };
}

/** Crossbar's role kinds: dynamic (authorizer), static (permissions), or neither (allow-by-default decides). */
function roleConfig(role: RoleFile, at: ConfigPath, notices: string[]): RoleConfig {
  const allowByDefault = role['allow-by-default'];
  const decidedBy = role.authorizer !== undefined ? 'its authorizer' : role.permissions !== undefined ? 'its permissions' : undefined;
  if (allowByDefault && decidedBy !== undefined) {
    notices.push(notice('config.notice.allow_by_default', [...at, 'allow-by-default'], decidedBy));
  }
  if (role.authorizer !== undefined) return { name: role.name, authorizer: role.authorizer };
  if (role.permissions === undefined) return { name: role.name, permissions: allowByDefault ? [everything] : [] };
  return {
    name: role.name,
    permissions: role.permissions.map((permission, index) => permissionConfig(permission, [...at, 'permissions', index], notices)),
  };
}

/** What an allow-by-default role may do: every action on every URI, answers not cached. */
const everything: PermissionConfig = {
  uri: '',
  match: 'prefix',
  allow: { call: true, register: true, publish: true, subscribe: true },
  disclose: { caller: false, publisher: false },
  cache: false,
};

function permissionConfig(permission: PermissionFile, at: ConfigPath, notices: string[]): PermissionConfig {
  const resolved = resolvePermission(permission.uri, permission.match);
  if (!resolved.ok) throw new Error(`unvalidated permission reached normalize: ${resolved.problem}`);
  if (resolved.note === 'config.notice.empty_exact_uri') notices.push(notice(resolved.note, [...at, 'uri']));
  if (resolved.note === 'config.notice.literal_star') notices.push(notice(resolved.note, [...at, 'uri'], permission.uri));
  return {
    uri: resolved.uri,
    match: resolved.match,
    allow: { ...permission.allow },
    disclose: { ...permission.disclose },
    cache: permission.cache,
  };
}
