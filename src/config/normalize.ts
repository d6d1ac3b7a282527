/**
 * From a validated file (Crossbar's shape, defaults applied by the schema) to the model:
 * camelCase, star URIs resolved, transports as listeners (web paths flattened), bridge
 * components as runnable configs, absent auth made explicit.
 * Runs only after validation and cross-checks passed, so it does not re-check anything.
 */

import type { ConfigFile, RouterWorkerFile } from './file-schema.js';
import type { JunctionConfig, PermissionConfig, RealmConfig, RoleConfig, SessionLimitsConfig } from './model.js';
import { componentConfigs } from './normalize-components.js';
import { listenerConfigs } from './normalize-listeners.js';
import type { NormalizeContext } from './normalize-web.js';
import { ignoredSettingNotices } from './notices.js';
import type { PermissionFile, RealmFile, RoleFile } from './schema-router.js';
import { resolvePermissionUri } from './uri-patterns.js';

export interface NormalizeOptions {
  /** Folder that relative file paths (TLS files, static directories, Unix sockets, cwd) are relative to. */
  baseDir?: string;
}

export function normalize(file: ConfigFile, options: NormalizeOptions = {}): JunctionConfig {
  const context: NormalizeContext = { baseDir: options.baseDir, notices: ignoredSettingNotices(file) };
  const routerIndex = file.workers.findIndex((worker) => worker.type === 'router');
  const router = file.workers[routerIndex] as RouterWorkerFile;
  const listeners = listenerConfigs(router.transports, ['workers', routerIndex, 'transports'], context);
  const components = componentConfigs(file, context);

  return {
    realms: router.realms.map(realmConfig),
    listeners,
    components,
    notices: context.notices,
    signIn: {
      failureBudget: router.sign_in.failure_budget,
      forgiveAfterMs: router.sign_in.forgive_after,
      spacingMs: router.sign_in.spacing,
      maxWaitMs: router.sign_in.max_wait,
      challengeTimeoutMs: router.sign_in.challenge_timeout,
      dynamicTimeoutMs: router.sign_in.dynamic_timeout,
    },
    maxNestingDepth: router.max_nesting_depth,
  };
}

function realmConfig(realm: RealmFile): RealmConfig {
  const store = realm.store;
  return {
    name: realm.name,
    roles: realm.roles.map(roleConfig),
    options: { enableMetaApi: realm.options.enable_meta_api, uriCheck: realm.options.uri_check, limits: limitsConfig(realm) },
    store: {
      eventHistory: (store?.['event-history'] ?? []).map((entry) => ({
        uri: entry.uri,
        match: entry.match,
        limit: entry.limit ?? store!.limit,
      })),
    },
  };
}

function limitsConfig(realm: RealmFile): SessionLimitsConfig {
  const limits = realm.options.limits;
  return {
    maxSubscriptionsPerSession: limits.max_subscriptions_per_session,
    maxRegistrationsPerSession: limits.max_registrations_per_session,
    maxCallsInFlightPerSession: limits.max_calls_in_flight_per_session,
    publishRate: { perSecond: limits.publish_rate.per_second, burst: limits.publish_rate.burst },
  };
}

function roleConfig(role: RoleFile): RoleConfig {
  if (role.authorizer !== undefined) return { name: role.name, authorizer: role.authorizer };
  return { name: role.name, permissions: (role.permissions ?? []).map(permissionConfig) };
}

function permissionConfig(permission: PermissionFile): PermissionConfig {
  const resolved = resolvePermissionUri(permission.uri, permission.match);
  if (!resolved.ok) throw new Error(`unvalidated permission reached normalize: ${resolved.problem}`);
  return {
    uri: resolved.uri,
    match: resolved.match,
    allow: { ...permission.allow },
    disclose: { ...permission.disclose },
    cache: permission.cache,
  };
}
