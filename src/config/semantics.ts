/**
 * Checks across parts of the file that a per-value schema cannot see: one router, at least one
 * transport, unique names, ids and listen addresses, one service per URL path,
 * references to realms and roles that exist; proxy workers' routes and connections (semantics-proxy.ts).
 *
 * They read the raw (unvalidated) document defensively, so they report alongside schema errors
 * elsewhere in the file instead of waiting for those to be fixed first.
 */

import { posix } from 'node:path';
import { defaultUriCheck } from './model.js';
import { problem, type ConfigProblem } from './problems.js';
import { type ConfigPath } from './config-path.js';
import { checkClientCertificates } from './semantics-certificates.js';
import { checkComponents, runsPythonComponents } from './semantics-components.js';
import { checkProxies, uniqueProxyTransports } from './semantics-proxy.js';
import { uniqueTesteeTransports } from './semantics-testee.js';
import { entries, isRecord, RealmReferences, type Entry, type RealmFacts } from './semantics-realms.js';
import { checkAuthRealms, checkListenerPaths, checkMqttRoles, checkPrincipalRoles } from './semantics-web.js';
import { anyAddress, firstDifference, onePerPort, sharedEndpointKey, transportDifference } from './shared-ports.js';
import { uniqueRealms } from './shared-realms.js';

export function crossCheck(document: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (!isRecord(document)) return problems; // the schema reports the wrong type

  const workers = entries(document.workers, ['workers']);
  uniqueWorkerIds(workers, problems);
  const routers = workers.filter((worker) => worker.value.type === 'router');
  const testeeWorkers = workers.filter((worker) => worker.value.type === 'websocket-testee');
  const testees = uniqueTesteeTransports(testeeWorkers, problems);
  if (routers.length === 0) {
    // A node of echo servers only (Crossbar's benchmark configs) needs no router.
    if (testeeWorkers.length > 0) {
      if (testees.length > 0) checkTransports(routers, testees, new RealmReferences(new Map(), problems), problems);
    } else if (document.workers === undefined || Array.isArray(document.workers)) {
      problems.push(problem('config.router.missing', ['workers']));
    }
    return problems;
  }
  // Several router workers are served as one router (see normalize): names, ids and ports are checked across them.
  const realms = uniqueRealms(routers, problems);
  const refs = new RealmReferences(checkRealms(realms, problems), problems);
  checkAuthorizers(realms, refs);
  const routerTransports = routers.flatMap((router) => entries(router.value.transports, [...router.path, 'transports']));
  const proxies = workers.filter((worker) => worker.value.type === 'proxy');
  checkProxies(proxies, routerTransports, refs, problems);
  checkTransports(routers, [...uniqueRouterTransports(routers, problems), ...uniqueProxyTransports(proxies, problems), ...testees], refs, problems);
  checkComponents([...routers, ...workers.filter((worker) => worker.value.type === 'container')], refs, problems);
  for (const extra of routers.slice(1)) {
    if (extra.value.sign_in !== undefined) {
      problems.push(problem('config.router.sign_in_repeated', [...extra.path, 'sign_in'], routers[0]!.path));
    }
  }
  return problems;
}

/** The realms, one per name (several router workers may define one: shared-realms.ts). */
function checkRealms(realms: Entry[], problems: ConfigProblem[]): Map<string, RealmFacts> {
  // No realm at all is allowed, as in Crossbar: a node that serves only web paths (normalize notes it).
  const facts = new Map<string, RealmFacts>();
  for (const realm of realms) {
    const roles = uniqueNames(entries(realm.value.roles, [...realm.path, 'roles']), 'role name', problems);
    const name = realm.value.name;
    if (typeof name !== 'string') continue;
    const options = realm.value.options;
    facts.set(name, { roles: new Set(roles.keys()), strict: (isRecord(options) && typeof options.uri_check === 'string' ? options.uri_check : defaultUriCheck) === 'strict' });
  }
  return facts;
}

/** A dynamic authorizer is called in its role's realm, so its URI must pass that realm's rule. */
function checkAuthorizers(realms: Entry[], refs: RealmReferences): void {
  for (const realm of realms) {
    for (const role of entries(realm.value.roles, [...realm.path, 'roles'])) {
      refs.calledProcedure(realm.value.name, role.value.authorizer, [...role.path, 'authorizer']);
    }
  }
}

/**
 * The router workers' transports, those on a `"shared": true` port once (Crossbar's way to spread
 * connections over several router processes): Junction opens such a port once, so the transports
 * on it, and the Python settings their workers give Python paths, must be the same.
 */
function uniqueRouterTransports(routers: readonly Entry[], problems: ConfigProblem[]): Entry[] {
  const pythonOf = (worker: Entry) => {
    const options = isRecord(worker.value.options) ? worker.value.options : {};
    return { python: options.python, pythonpath: options.pythonpath, env: options.env };
  };
  return onePerPort(
    routers,
    sharedEndpointKey,
    (first, later) => transportDifference(first.transport, later.transport) ?? firstDifference(pythonOf(first.worker), pythonOf(later.worker), [...later.worker.path, 'options']),
    (later, first, differsAt) => {
      const port = listenAddress(later.transport.value.endpoint)?.port;
      const at = port === undefined ? [...later.transport.path, 'endpoint'] : [...later.transport.path, 'endpoint', 'port'];
      problems.push(problem('config.transport.port_shared', at, port === undefined ? 'this endpoint' : `port ${port}`, first.transport.path, differsAt));
    },
  );
}

/** The router workers' transports and the proxy workers' (one per endpoint): all are the router's listeners. */
function checkTransports(routers: Entry[], transports: Entry[], refs: RealmReferences, problems: ConfigProblem[]): void {
  const noTransports = routers.every((router) => router.value.transports === undefined || Array.isArray(router.value.transports));
  if (transports.length === 0 && noTransports && !routers.some(runsPythonComponents)) {
    problems.push(problem('config.transport.missing', [...routers[0]!.path, 'transports']));
  }

  const ids = new Map<string, ConfigPath>();
  const addresses: { port: number; host: string; path: ConfigPath; shared: boolean }[] = [];
  const socketFiles = new Map<string, ConfigPath>();
  for (const transport of transports) {
    const id = transport.value.id;
    if (typeof id === 'string') {
      const first = ids.get(id);
      if (first === undefined) ids.set(id, [...transport.path, 'id']);
      else problems.push(problem('config.id.duplicate', [...transport.path, 'id'], 'transport id', id, first));
    }

    const address = listenAddress(transport.value.endpoint);
    if (address !== undefined && address.port !== 0) {
      const clash = addresses.find((other) => other.port === address.port && hostsOverlap(other.host, address.host));
      const path = [...transport.path, 'endpoint', 'port'];
      const shared = isRecord(transport.value.endpoint) && transport.value.endpoint.shared === true;
      if (clash === undefined) addresses.push({ ...address, path, shared });
      else if (shared && clash.shared) {
        problems.push(problem('config.transport.port_shared', path, `port ${address.port}`, clash.path.slice(0, -2)));
      } else {
        problems.push(problem('config.transport.address_taken', path, `port ${address.port} on ${address.host}`, clash.path.slice(0, -2), clash.host));
      }
    }
    checkSocketFile(transport, socketFiles, problems);
    checkTransportServices(transport, refs, problems);
    checkClientCertificates(transport, problems);
  }
}

function checkTransportServices(transport: Entry, refs: RealmReferences, problems: ConfigProblem[]): void {
  const { value, path } = transport;
  switch (value.type) {
    case 'web':
      if (isRecord(value.paths) && Object.keys(value.paths).length === 0) {
        problems.push(problem('config.path.none', [...path, 'paths'], 'web transport'));
      }
      checkListenerPaths([{ table: value.paths, at: [...path, 'paths'] }], refs, problems);
      return;
    case 'universal': {
      const web = isRecord(value.web) ? value.web : {};
      if (value.rawsocket === undefined && value.websocket === undefined && value.web === undefined && value.mqtt === undefined) {
        problems.push(problem('config.transport.empty_universal', path));
      }
      if (isRecord(value.rawsocket)) {
        checkAuthRealms(value.rawsocket.auth, [...path, 'rawsocket', 'auth'], refs);
        checkPrincipalRoles(value.rawsocket.auth, [...path, 'rawsocket', 'auth'], refs);
      }
      if (isRecord(value.mqtt)) {
        checkAuthRealms(value.mqtt.auth, [...path, 'mqtt', 'auth'], refs);
        checkMqttRoles(value.mqtt, [...path, 'mqtt'], refs);
      }
      checkListenerPaths(
        [
          { table: value.websocket, at: [...path, 'websocket'], takesPrecedence: true },
          { table: web.paths, at: [...path, 'web', 'paths'] },
        ],
        refs,
        problems,
      );
      return;
    }
    case 'pusher':
      checkPusherApps(value.apps, [...path, 'apps'], refs, problems);
      return;
    case 'mqtt':
      checkAuthRealms(value.auth, [...path, 'auth'], refs);
      checkMqttRoles(value, path, refs);
      return;
    case 'flashpolicy':
    case 'websocket.testee':
    case 'stream.testee':
      return; // no sign-in: none serves a realm
    default:
      checkAuthRealms(value.auth, [...path, 'auth'], refs);
      checkPrincipalRoles(value.auth, [...path, 'auth'], refs);
  }
}

/** Each app's realm and role exist; ids and keys are unique within the transport. */
function checkPusherApps(apps: unknown, at: ConfigPath, refs: RealmReferences, problems: ConfigProblem[]): void {
  const seen = { id: new Map<unknown, ConfigPath>(), key: new Map<unknown, ConfigPath>() };
  for (const app of entries(apps, at)) {
    refs.realm(app.value.realm, [...app.path, 'realm']);
    refs.role(app.value.realm, app.value.role, [...app.path, 'role']);
    for (const field of ['id', 'key'] as const) {
      const value = app.value[field];
      if (typeof value !== 'string') continue;
      const first = seen[field].get(value);
      if (first === undefined) seen[field].set(value, [...app.path, field]);
      else problems.push(problem('config.id.duplicate', [...app.path, field], `app ${field}`, value, first));
    }
  }
}

/** Two rawsocket transports cannot bind one Unix socket file. */
function checkSocketFile(transport: Entry, seen: Map<string, ConfigPath>, problems: ConfigProblem[]): void {
  const endpoint = transport.value.endpoint;
  if (!isRecord(endpoint) || endpoint.type !== 'unix' || typeof endpoint.path !== 'string') return;
  const file = posix.normalize(endpoint.path);
  const path = [...transport.path, 'endpoint', 'path'];
  const first = seen.get(file);
  if (first === undefined) seen.set(file, path);
  else problems.push(problem('config.transport.address_taken', path, `the Unix socket ${endpoint.path}`, first.slice(0, -2)));
}

/** Names (`name` key) that appear once; later duplicates are problems. */
/** Crossbar refuses to start a second worker under an id already running; guests are named by it in logs and metrics. */
function uniqueWorkerIds(workers: Entry[], problems: ConfigProblem[]): void {
  const ids = new Map<string, ConfigPath>();
  for (const worker of workers) {
    const id = worker.value.id;
    if (typeof id !== 'string') continue;
    const first = ids.get(id);
    if (first === undefined) ids.set(id, [...worker.path, 'id']);
    else problems.push(problem('config.id.duplicate', [...worker.path, 'id'], 'worker id', id, first));
  }
}

function uniqueNames(items: Entry[], what: string, problems: ConfigProblem[]): Map<string, ConfigPath> {
  const names = new Map<string, ConfigPath>();
  for (const item of items) {
    const name = item.value.name;
    if (typeof name !== 'string') continue;
    const path = [...item.path, 'name'];
    const first = names.get(name);
    if (first === undefined) names.set(name, path);
    else problems.push(problem('config.name.duplicate', path, what, name, first));
  }
  return names;
}

/** The port and address a tcp endpoint will bind, with Crossbar's default of all interfaces. */
function listenAddress(endpoint: unknown): { port: number; host: string } | undefined {
  if (!isRecord(endpoint) || endpoint.type !== 'tcp') return undefined;
  const port = typeof endpoint.port === 'string' && /^\d+$/.test(endpoint.port) ? Number(endpoint.port) : endpoint.port;
  if (typeof port !== 'number' || !Number.isInteger(port)) return undefined;
  return { port, host: typeof endpoint.interface === 'string' ? endpoint.interface : defaultInterface(endpoint.version) };
}

export function defaultInterface(version: unknown): string {
  return version === 6 ? '::' : '0.0.0.0';
}

function hostsOverlap(a: string, b: string): boolean {
  return a === b || anyAddress.has(a) || anyAddress.has(b);
}
