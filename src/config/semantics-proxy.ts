/**
 * Cross-checks of Crossbar's proxy workers, which Junction serves inside its router: each route
 * names a connection of its worker, a realm and a role the router has; each connection names a
 * transport of the router workers (this node); proxy workers that open the same port (Crossbar's
 * `"shared": true`) open it with the same transport and routes, since Junction opens it once (shared-ports.ts).
 */

import { reaches, targetOf } from './local-targets.js';
import { problem, type ConfigProblem } from './problems.js';
import type { ConfigPath } from './config-path.js';
import { entries, isRecord, type Entry, type RealmReferences } from './semantics-realms.js';
import { endpointKey, onePerPort, transportDifference, type WorkerTransport } from './shared-ports.js';
import { flattenPathTable } from './web-paths.js';

/** The proxy workers' transports, one per endpoint (later ones opening the same endpoint the same way are merged into the first). */
export function uniqueProxyTransports(proxies: readonly Entry[], problems: ConfigProblem[]): Entry[] {
  return onePerPort(proxies, endpointKey, proxyServiceDifference, (later, first) => {
    problems.push(problem('config.proxy.port_differs', [...later.transport.path, 'endpoint'], first.transport.path));
  });
}

/** Routes name existing connections, realms and roles; connections reach this node; bridge services have a route. */
export function checkProxies(proxies: readonly Entry[], routerTransports: readonly Entry[], refs: RealmReferences, problems: ConfigProblem[]): void {
  const local = routerTransports.map((transport) => transport.value.endpoint);
  for (const proxy of proxies) {
    const connections = isRecord(proxy.value.connections) ? proxy.value.connections : {};
    for (const [name, connection] of Object.entries(connections)) {
      const endpoint = isRecord(connection) && isRecord(connection.transport) ? connection.transport.endpoint : undefined;
      const target = targetOf(endpoint);
      if (target !== undefined && !local.some((listening) => reaches(target, listening))) {
        problems.push(problem('config.proxy.remote_connection', [...proxy.path, 'connections', name, 'transport', 'endpoint'], name, target.text));
      }
    }
    const routes = routesOf(proxy);
    for (const { realm, role, targets, path } of routes) {
      refs.realm(realm, path.slice(0, -1));
      if (role !== 'anonymous') refs.role(realm, role, path);
      for (const target of targets) {
        if (!(target in connections)) problems.push(problem('config.proxy.no_connection', path, target, realm, role));
      }
    }
    for (const transport of transportsOf(proxy)) checkBridgeRoutes(transport, routes, problems);
  }
}

/**
 * HTTP bridge services and Pusher apps join their realm under a fixed role, without a sign-in:
 * a proxy's routes must let them, as Crossbar's proxy service sessions need a route.
 */
function checkBridgeRoutes(transport: Entry, routes: readonly Route[], problems: ConfigProblem[]): void {
  const { value, path } = transport;
  const tables = value.type === 'web'
    ? [{ table: value.paths, at: [...path, 'paths'] }]
    : value.type === 'universal' && isRecord(value.web) ? [{ table: value.web.paths, at: [...path, 'web', 'paths'] }] : [];
  const joiners = tables
    .flatMap(({ table, at }) => flattenPathTable(table, '/', at, () => {}))
    .filter((entry) => ['publisher', 'caller', 'webhook'].includes(entry.service.type as string))
    .map((entry) => ({ value: entry.service, path: entry.path }));
  if (value.type === 'pusher') joiners.push(...entries(value.apps, [...path, 'apps']));
  for (const { value: joiner, path: at } of joiners) {
    const { realm, role } = joiner;
    if (typeof realm !== 'string' || typeof role !== 'string') continue;
    if (!routes.some((route) => route.realm === realm && route.role === role)) problems.push(problem('config.proxy.no_route', at, realm, role));
  }
}

interface Route {
  realm: string;
  role: string;
  targets: string[];
  path: ConfigPath;
}

function routesOf(proxy: Entry): Route[] {
  if (!isRecord(proxy.value.routes)) return [];
  return Object.entries(proxy.value.routes).flatMap(([realm, roles]) =>
    isRecord(roles)
      ? Object.entries(roles).map(([role, targets]) => ({
          realm,
          role,
          targets: (Array.isArray(targets) ? targets : [targets]).filter((target): target is string => typeof target === 'string'),
          path: [...proxy.path, 'routes', realm, role],
        }))
      : [],
  );
}

function transportsOf(proxy: Entry): Entry[] {
  return entries(proxy.value.transports, [...proxy.path, 'transports']);
}

/** Two proxy transports on one endpoint are one listener only when neither they nor their workers' routes differ. */
function proxyServiceDifference(first: WorkerTransport, later: WorkerTransport): ConfigPath | undefined {
  const routeSet = (proxy: Entry) => routesOf(proxy).map((route) => `${route.realm}\u0000${route.role}`).sort().join('\u0001');
  return transportDifference(first.transport, later.transport) ?? (routeSet(first.worker) === routeSet(later.worker) ? undefined : [...later.worker.path, 'routes']);
}
