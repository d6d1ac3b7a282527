/**
 * Crossbar's proxy workers, served by the router itself: their transports become the router's
 * (one listener per endpoint: Crossbar's shared port), each sign-in on them held to the worker's
 * routes. Their connections are not opened (the cross-checks made sure they name this node), but
 * the router transport a route's connection reaches still has its say: where Crossbar's backend
 * would call a dynamic `cryptosign-proxy` authenticator, and where it would refuse the proxy.
 */

import type { ConfigFile, ProxyWorkerFile } from './file-schema.js';
import { reaches, targetOf } from './local-targets.js';
import type { ProxyAuthenticators, ProxyBackendSignIn, WorkerPython } from './model.js';
import { authenticatorConfig } from './normalize-auth.js';
import type { FunctionAuthenticators } from './normalize-function-auth.js';
import type { TransportToListen } from './normalize-listeners.js';
import { notice } from './notices.js';
import { formatPath, type ConfigPath } from './config-path.js';
import { ProxySignInFile } from './schema-auth.js';
import { isRecord } from './semantics-realms.js';
import { openedBefore } from './shared-ports.js';

/** The proxy workers' transports to listen on, in file order; a later one on an endpoint already opened is the same (checked) and merged. */
export function proxyTransports(file: ConfigFile, python: WorkerPython, notices: string[], functions: FunctionAuthenticators): TransportToListen[] {
  const opened = new Map<string, ConfigPath>();
  const result: TransportToListen[] = [];
  const routerTransports = file.workers.flatMap((worker, index) =>
    worker.type === 'router' ? worker.transports.map((value, position): Held => ({ value, path: ['workers', index, 'transports', position] })) : []);
  file.workers.forEach((worker, index) => {
    if (worker.type !== 'proxy') return;
    const at: ConfigPath = ['workers', index];
    notices.push(notice('config.notice.proxy_served', at));
    const routes = routeTable(worker.routes);
    const authenticators = proxyAuthenticators(worker, at, (name, connection) => backendSignIn(name, connection, routerTransports, functions), notices);
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

/**
 * The routes whose connections the backend has a say on (a dynamic `cryptosign-proxy`
 * authenticator, or a refusal of every session), each refusal with a notice; undefined when none has.
 */
function proxyAuthenticators(worker: ProxyWorkerFile, at: ConfigPath, backendOf: (name: string, connection: Connection) => ProxyBackendSignIn, notices: string[]): ProxyAuthenticators | undefined {
  const table: ProxyAuthenticators = Object.create(null);
  let any = false;
  for (const [realm, roles] of Object.entries(worker.routes)) {
    for (const [role, targets] of Object.entries(roles)) {
      const names = Array.isArray(targets) ? targets : [targets];
      const found = names.map((name) => {
        const connection = worker.connections[name];
        const signIn = connection === undefined ? null : backendOf(name, connection);
        if (signIn?.type === 'refused') notices.push(notice('config.notice.proxy_backend_refuses', [...at, 'routes', realm, role], signIn.why));
        return signIn;
      });
      if (found.every((signIn) => signIn === null)) continue;
      table[realm] ??= Object.create(null);
      table[realm]![role] = found;
      any = true;
    }
  }
  return any ? table : undefined;
}

type Connection = ProxyWorkerFile['connections'][string];

/** A part of the file and where it is. */
interface Held {
  value: unknown;
  path: ConfigPath;
}

/**
 * What Crossbar's backend does with a session the connection brings. Its proxy signs in with
 * `cryptosign-proxy` whenever the connection's `auth` lists it, otherwise (no `auth`, or one with
 * `anonymous-proxy`) with `anonymous-proxy`, over a Unix socket only (worker/proxy.py,
 * make_backend_connection); the router transport it reaches must offer that method, or it refuses
 * every such session (router/session.py, onHello). A dynamic (or `function`) `cryptosign-proxy`
 * there is asked for each one; otherwise the session is admitted without asking (null).
 */
function backendSignIn(name: string, connection: Connection, routerTransports: readonly Held[], functions: FunctionAuthenticators): ProxyBackendSignIn {
  const target = targetOf(connection.transport.endpoint);
  const transport = target && routerTransports.find((candidate) => isRecord(candidate.value) && reaches(target, candidate.value.endpoint));
  const holder = transport && authHolder(transport, connection.transport);
  // A connection this check cannot follow (to a path the URL does not name) is left to the others.
  if (holder === undefined) return null;
  const method = proxyMethodOf(connection);
  const named = `connection ${JSON.stringify(name)}`;
  if (typeof method !== 'string') return { type: 'refused', why: `${named} ${method.cannot}` };
  const auth = isRecord(holder.value.auth) ? holder.value.auth : undefined;
  if (auth === undefined || !(method in auth)) {
    const offered = auth === undefined ? 'which it has no "auth" for (anonymous only)' : `which its "auth" does not list (it lists ${Object.keys(auth).join(', ') || 'nothing'})`;
    return { type: 'refused', why: `${named} signs in to ${formatPath(holder.path)} with ${method}, ${offered}` };
  }
  const settings = auth[method];
  if (method !== 'cryptosign-proxy' || !(settings instanceof ProxySignInFile) || settings.settings.type === 'static') return null;
  return authenticatorConfig(settings.settings, functions);
}

/** The method Crossbar's proxy signs in with over `connection`, or why it cannot sign in at all. */
function proxyMethodOf(connection: Connection): 'cryptosign-proxy' | 'anonymous-proxy' | { cannot: string } {
  const { auth } = connection;
  if (auth !== undefined && 'cryptosign-proxy' in auth) return 'cryptosign-proxy';
  if (auth !== undefined && !('anonymous-proxy' in auth)) return { cannot: 'has an "auth" with neither cryptosign-proxy nor anonymous-proxy, so Crossbar\'s proxy has no way to sign in' };
  if (connection.transport.endpoint.type !== 'unix') {
    return { cannot: 'signs in with anonymous-proxy (its "auth" lists no cryptosign-proxy), which Crossbar\'s proxy does over a Unix socket only' };
  }
  return 'anonymous-proxy';
}

/**
 * What holds the `auth` a connection meets on a router transport: a RawSocket or WebSocket
 * transport itself, a universal transport's RawSocket part, or the WebSocket path of a web or
 * universal transport that the connection's `url` names.
 */
function authHolder(transport: Held, connection: Connection['transport']): { value: Record<string, unknown>; path: ConfigPath } | undefined {
  const { value, path } = transport;
  if (!isRecord(value)) return undefined;
  if (value.type === 'rawsocket' || value.type === 'websocket') return { value, path };
  if (connection.type === 'rawsocket') return value.type === 'universal' && isRecord(value.rawsocket) ? { value: value.rawsocket, path: [...path, 'rawsocket'] } : undefined;
  const [paths, at] = value.type === 'universal' ? [value.websocket, [...path, 'websocket']] : value.type === 'web' ? [value.paths, [...path, 'paths']] : [];
  const key = websocketPath(connection.url);
  return isRecord(paths) && key !== undefined && isRecord(paths[key]) ? { value: paths[key], path: [...at!, key] } : undefined;
}

/** The path table key of a WebSocket URL ("ws://localhost:8080/ws" -> "ws", the root -> "/"). */
function websocketPath(url: unknown): string | undefined {
  if (typeof url !== 'string' || !URL.canParse(url)) return undefined;
  const path = new URL(url).pathname.replace(/^\/+|\/+$/g, '');
  return path === '' ? '/' : path;
}
