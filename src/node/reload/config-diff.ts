import { isDeepStrictEqual } from 'node:util';
import type { ComponentConfig, JunctionConfig, ListenerConfig, PathService, RealmConfig } from '../../config/model.js';
import type { RunnableComponentConfig } from '../bridge/component-types.js';

/**
 * What changed between the configuration a node runs and a newly loaded one, part by part, as
 * the reload appliers need it. Pure: it compares two validated models and touches nothing.
 * Parts that cannot change while the node runs are listed in `fixed` (each a sentence saying
 * what and why); the appliers leave them as they are.
 */
export interface ConfigDiff {
  realms: {
    added: RealmConfig[];
    removed: RealmConfig[];
    changed: RealmChange[];
  };
  listeners: {
    added: ListenerConfig[];
    removed: ListenerConfig[];
    changed: ListenerChange[];
  };
  /** Python components never run in the router (a container's run as a guest process, reloaded with the guests): they are not listed. */
  components: {
    added: RunnableComponentConfig[];
    removed: RunnableComponentConfig[];
    /** Stopped and started again with the new settings. */
    changed: { before: RunnableComponentConfig; after: RunnableComponentConfig }[];
  };
  /** What the node keeps as it is until a restart, in words. */
  fixed: string[];
}

export interface RealmChange {
  before: RealmConfig;
  after: RealmConfig;
  rolesAdded: string[];
  /** Sessions signed in with one of these roles are closed. */
  rolesRemoved: string[];
  /** Permissions or authorizer changed. */
  rolesChanged: string[];
  limitsChanged: boolean;
  uriCheckChanged: boolean;
}

export interface ListenerChange {
  before: ListenerConfig;
  after: ListenerConfig;
  pathsAdded: string[];
  pathsRemoved: string[];
  /** Rebuilt: the service's settings (its auth included) or something it depends on changed. */
  pathsChanged: string[];
  /** The RawSocket side's settings (its auth included) of a rawsocket or universal listener. */
  rawsocketChanged: boolean;
  /** The MQTT side's settings (its auth included) of an mqtt or universal listener. */
  mqttChanged: boolean;
  /** request_body_timeout: the HTTP server keeps the one it started with (the listener reports it). */
  requestBodyTimeoutChanged: boolean;
  /** allowed_hosts: applies from the next request. */
  allowedHostsChanged: boolean;
}

export function diffConfig(before: JunctionConfig, after: JunctionConfig): ConfigDiff {
  const fixed: string[] = [];
  const realms = diffRealms(before.realms, after.realms, fixed);
  // A realm's URI rule is read by the bridge paths and components acting in it when they are built.
  const uriRuleChanged = new Set(realms.changed.filter((change) => change.uriCheckChanged).map((change) => change.after.name));
  const listeners = diffListeners(before.listeners, after.listeners, uriRuleChanged, fixed);
  const components = diffComponents(before.components, after.components, uriRuleChanged);
  if (!isDeepStrictEqual(before.signIn, after.signIn)) {
    fixed.push('the router worker\'s "sign_in" limits changed: they apply from the next restart');
  }
  if (!isDeepStrictEqual(before.shutdownTriggers, after.shutdownTriggers)) {
    fixed.push('the node\'s shutdown triggers ("controller.options.shutdown") changed: they apply from the next restart');
  }
  if (!isDeepStrictEqual(before.rlinks, after.rlinks)) {
    fixed.push('a realm\'s router links ("rlinks") changed: they apply from the next restart');
  }
  return { realms, listeners, components, fixed };
}

/** Pairs two lists by key: what is only in `after`, only in `before`, and in both. */
function pair<T>(before: readonly T[], after: readonly T[], key: (item: T) => string): { added: T[]; removed: T[]; kept: [T, T][] } {
  const old = new Map(before.map((item) => [key(item), item]));
  const fresh = new Set(after.map(key));
  return {
    added: after.filter((item) => !old.has(key(item))),
    removed: before.filter((item) => !fresh.has(key(item))),
    kept: after.filter((item) => old.has(key(item))).map((item) => [old.get(key(item))!, item]),
  };
}

function diffRealms(before: readonly RealmConfig[], after: readonly RealmConfig[], fixed: string[]): ConfigDiff['realms'] {
  const { added, removed, kept } = pair(before, after, (realm) => realm.name);
  const changed: RealmChange[] = [];
  for (const [old, fresh] of kept) {
    if (old.options.enableMetaApi !== fresh.options.enableMetaApi) {
      fixed.push(`realm "${fresh.name}": "enable_meta_api" changed: it applies from the next restart`);
    }
    if (!isDeepStrictEqual(old.options.stats, fresh.options.stats)) {
      fixed.push(`realm "${fresh.name}": its session statistics ("stats") changed: they apply from the next restart`);
    }
    if (!isDeepStrictEqual(old.store, fresh.store)) {
      fixed.push(`realm "${fresh.name}": its event history or call queues ("store") changed: it applies from the next restart`);
    }
    const roles = pair(old.roles, fresh.roles, (role) => role.name);
    const change: RealmChange = {
      before: old,
      after: fresh,
      rolesAdded: roles.added.map((role) => role.name),
      rolesRemoved: roles.removed.map((role) => role.name),
      rolesChanged: roles.kept.filter(([a, b]) => !isDeepStrictEqual(a, b)).map(([, role]) => role.name),
      limitsChanged: !isDeepStrictEqual(old.options.limits, fresh.options.limits),
      uriCheckChanged: old.options.uriCheck !== fresh.options.uriCheck,
    };
    if (change.rolesAdded.length + change.rolesRemoved.length + change.rolesChanged.length > 0 || change.limitsChanged || change.uriCheckChanged) {
      changed.push(change);
    }
  }
  return { added, removed, changed };
}

function diffListeners(before: readonly ListenerConfig[], after: readonly ListenerConfig[], uriRuleChanged: ReadonlySet<string>,
  fixed: string[]): ConfigDiff['listeners'] {
  const { added, removed, kept } = pair(before, after, (listener) => listener.id);
  const changed: ListenerChange[] = [];
  for (const [old, fresh] of kept) {
    if (old.kind !== fresh.kind) {
      fixed.push(`transport "${fresh.id}": its type changed (${old.kind} to ${fresh.kind}): a listening socket cannot change what it speaks while connections use it; restart to apply (its other changes were not applied either)`);
      continue;
    }
    if (!isDeepStrictEqual(old.endpoint, fresh.endpoint)) {
      fixed.push(`transport "${fresh.id}": its endpoint changed (${describeEndpoint(old)} to ${describeEndpoint(fresh)}): a listening socket cannot move while connections use it; restart to apply`);
    }
    if (!isDeepStrictEqual(old.pusher, fresh.pusher)) {
      fixed.push(`transport "${fresh.id}": its pusher apps or options changed: they hold live connections, presence and webhook outboxes; restart to apply`);
    }
    if (!isDeepStrictEqual(old.flashPolicy, fresh.flashPolicy)) {
      fixed.push(`transport "${fresh.id}": its Flash policy (allowed_domain, allowed_ports) changed: restart to apply`);
    }
    // Every path service reads the client's address through the listener's trusted proxies.
    const proxiesChanged = !isDeepStrictEqual(old.trustedProxies, fresh.trustedProxies);
    const paths = pair(Object.keys(old.paths), Object.keys(fresh.paths), (path) => path);
    const change: ListenerChange = {
      before: old,
      after: fresh,
      pathsAdded: paths.added,
      pathsRemoved: paths.removed,
      pathsChanged: paths.kept
        .filter(([path]) => proxiesChanged || !isDeepStrictEqual(old.paths[path], fresh.paths[path]) || readsUriRule(fresh.paths[path]!, uriRuleChanged))
        .map(([path]) => path),
      rawsocketChanged: !isDeepStrictEqual(old.rawsocket, fresh.rawsocket),
      mqttChanged: !isDeepStrictEqual(old.mqtt, fresh.mqtt),
      requestBodyTimeoutChanged: old.requestBodyTimeoutMs !== fresh.requestBodyTimeoutMs,
      allowedHostsChanged: !isDeepStrictEqual(old.allowedHosts, fresh.allowedHosts),
    };
    if (change.pathsAdded.length + change.pathsRemoved.length + change.pathsChanged.length > 0 || change.rawsocketChanged || change.mqttChanged
      || change.requestBodyTimeoutChanged || change.allowedHostsChanged) {
      changed.push(change);
    }
  }
  return { added, removed, changed };
}

function describeEndpoint(listener: ListenerConfig): string {
  const { endpoint } = listener;
  if (endpoint.type === 'unix') return `unix socket ${endpoint.path ?? ''}`;
  return `${endpoint.tls ? 'TLS ' : ''}port ${endpoint.port} on ${endpoint.interface}`;
}

/** The HTTP bridge paths check URIs by their realm's rule, read when they are built. */
function readsUriRule(service: PathService, uriRuleChanged: ReadonlySet<string>): boolean {
  return (service.type === 'publisher' || service.type === 'caller' || service.type === 'webhook') && uriRuleChanged.has(service.realm);
}

function diffComponents(before: readonly ComponentConfig[], after: readonly ComponentConfig[], uriRuleChanged: ReadonlySet<string>): ConfigDiff['components'] {
  const { added, removed, kept } = pair(before.filter(isRunnable), after.filter(isRunnable), (component) => component.id);
  return {
    added,
    removed,
    changed: kept
      .filter(([old, fresh]) => !isDeepStrictEqual(old, fresh) || uriRuleChanged.has(fresh.realm))
      .map(([old, fresh]) => ({ before: old, after: fresh })),
  };
}

function isRunnable(component: ComponentConfig): component is RunnableComponentConfig {
  return component.kind !== 'python';
}
