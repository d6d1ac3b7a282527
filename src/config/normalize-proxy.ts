/**
 * Crossbar's proxy workers, served by the router itself: their transports become the router's
 * (one listener per endpoint: Crossbar's shared port), each sign-in on them held to the worker's
 * routes. Their connections are not opened (the cross-checks made sure they name this node), but
 * the router transport a route's connection reaches still has its say when Crossbar's backend
 * would call a dynamic `cryptosign-proxy` authenticator there.
 */

import type { ConfigFile, ProxyWorkerFile } from './file-schema.js';
import { reaches, targetOf } from './local-targets.js';
import type { DynamicAuthConfig, ProxyAuthenticators, WorkerPython } from './model.js';
import { authenticatorConfig } from './normalize-auth.js';
import type { FunctionAuthenticators } from './normalize-function-auth.js';
import type { TransportToListen } from './normalize-listeners.js';
import { notice } from './notices.js';
import type { ConfigPath } from './problems.js';
import { ProxySignInFile } from './schema-auth.js';
import { isRecord } from './semantics-realms.js';
import { openedBefore } from './shared-ports.js';

/** The proxy workers' transports to listen on, in file order; a later one on an endpoint already opened is the same (checked) and merged. */
export function proxyTransports(file: ConfigFile, python: WorkerPython, notices: string[], functions: FunctionAuthenticators): TransportToListen[] {
  const opened = new Map<string, ConfigPath>();
  const result: TransportToListen[] = [];
  const routerTransports = file.workers.flatMap((worker) => (worker.type === 'router' ? worker.transports : [])) as unknown[];
  file.workers.forEach((worker, index) => {
    if (worker.type !== 'proxy') return;
    const at: ConfigPath = ['workers', index];
    notices.push(notice('config.notice.proxy_served', at));
    const routes = routeTable(worker.routes);
    const authenticators = proxyAuthenticators(worker, (connection) => backendAuthenticator(connection, routerTransports, functions));
    worker.transports.forEach((transport, position) => {
      const where = [...at, 'transports', position];
      const first = openedBefore(opened, transport.endpoint, where);
      if (first === undefined) result.push({ transport, where, python, routes, ...(authenticators === undefined ? {} : { authenticators }) });
      else notices.push(notice('config.notice.proxies_merged', where, first));
    });
  });
  return result;
}

/** realm -> the roles routed (to whichever connection: all of them are this router). */
function routeTable(routes: ProxyWorkerFile['routes']): Record<string, readonly string[]> {
  const table: Record<string, readonly string[]> = Object.create(null);
  for (const [realm, roles] of Object.entries(routes)) table[realm] = Object.keys(roles);
  return table;
}

/** The routes whose connections reach a dynamic `cryptosign-proxy` authenticator; undefined when none does. */
function proxyAuthenticators(worker: ProxyWorkerFile, backendOf: (connection: Connection | undefined) => DynamicAuthConfig | null): ProxyAuthenticators | undefined {
  const table: ProxyAuthenticators = Object.create(null);
  let any = false;
  for (const [realm, roles] of Object.entries(worker.routes)) {
    for (const [role, targets] of Object.entries(roles)) {
      const names = Array.isArray(targets) ? targets : [targets];
      const found = names.map((name) => backendOf(worker.connections[name]));
      if (found.every((authenticator) => authenticator === null)) continue;
      table[realm] ??= Object.create(null);
      table[realm]![role] = found;
      any = true;
    }
  }
  return any ? table : undefined;
}

type Connection = ProxyWorkerFile['connections'][string];

/**
 * The dynamic authenticator Crossbar's backend calls for a session the connection brings: the
 * connection signs in with `cryptosign-proxy` (Crossbar's proxy prefers it whenever its `auth`
 * lists it; `anonymous-proxy` is accepted without asking) and the router transport it reaches
 * has that method `dynamic` (or `function`).
 */
function backendAuthenticator(connection: Connection | undefined, routerTransports: readonly unknown[], functions: FunctionAuthenticators): DynamicAuthConfig | null {
  if (connection?.auth?.['cryptosign-proxy'] === undefined) return null;
  const target = targetOf(connection.transport.endpoint);
  const transport = target && routerTransports.find((candidate) => isRecord(candidate) && reaches(target, candidate.endpoint));
  const method = authOf(transport, connection.transport)?.['cryptosign-proxy'];
  if (!(method instanceof ProxySignInFile) || method.settings.type === 'static') return null;
  return authenticatorConfig(method.settings, functions);
}

/**
 * The `auth` a connection meets on a router transport: a RawSocket or WebSocket transport's own, a
 * universal transport's RawSocket part, or the WebSocket path of a web or universal transport that
 * the connection's `url` names.
 */
function authOf(transport: unknown, connection: Connection['transport']): Record<string, unknown> | undefined {
  if (!isRecord(transport)) return undefined;
  if (transport.type === 'rawsocket' || transport.type === 'websocket') return authIn(transport);
  if (connection.type === 'rawsocket') return transport.type === 'universal' ? authIn(transport.rawsocket) : undefined;
  const paths = transport.type === 'universal' ? transport.websocket : transport.type === 'web' ? transport.paths : undefined;
  const path = websocketPath(connection.url);
  return isRecord(paths) && path !== undefined ? authIn(paths[path]) : undefined;
}

function authIn(holder: unknown): Record<string, unknown> | undefined {
  return isRecord(holder) && isRecord(holder.auth) ? holder.auth : undefined;
}

/** The path table key of a WebSocket URL ("ws://localhost:8080/ws" -> "ws", the root -> "/"). */
function websocketPath(url: unknown): string | undefined {
  if (typeof url !== 'string' || !URL.canParse(url)) return undefined;
  const path = new URL(url).pathname.replace(/^\/+|\/+$/g, '');
  return path === '' ? '/' : path;
}
