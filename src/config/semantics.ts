/**
 * Checks across parts of the file that a per-value schema cannot see: one router, at least one
 * realm and transport, unique names and listen addresses, references to realms that exist.
 *
 * They read the raw (unvalidated) document defensively, so they report alongside schema errors
 * elsewhere in the file instead of waiting for those to be fixed first.
 */

import { formatPath, type ConfigPath, type ConfigProblem } from './problems.js';
import { normalizeWebPath } from './web-paths.js';

type Entry = { value: Record<string, unknown>; path: ConfigPath };

export function crossCheck(document: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (!isRecord(document)) return problems; // the schema reports the wrong type

  const workers = entries(document.workers, ['workers']);
  const routers = workers.filter((worker) => worker.value.type === 'router');
  if (routers.length === 0) {
    if (document.workers === undefined || Array.isArray(document.workers)) {
      problems.push({
        path: ['workers'],
        message: 'no router worker: add a worker with "type": "router", its realms and its transports',
      });
    }
    return problems;
  }
  const [router, ...extraRouters] = routers as [Entry, ...Entry[]];
  for (const extra of extraRouters) {
    problems.push({
      path: extra.path,
      message: `Junction runs one router: merge this worker's realms and transports into ${formatPath(router.path)}`,
    });
  }

  const realmNames = checkRealms(router, problems);
  checkTransports(router, realmNames, problems);
  return problems;
}

function checkRealms(router: Entry, problems: ConfigProblem[]): Set<string> {
  const realmsPath = [...router.path, 'realms'];
  const realms = entries(router.value.realms, realmsPath);
  if (realms.length === 0 && (router.value.realms === undefined || Array.isArray(router.value.realms))) {
    problems.push({ path: realmsPath, message: 'no realms defined: add at least one realm' });
  }
  const names = uniqueNames(realms, 'realm name', problems);
  for (const realm of realms) uniqueNames(entries(realm.value.roles, [...realm.path, 'roles']), 'role name', problems);
  return new Set(names.keys());
}

function checkTransports(router: Entry, realmNames: ReadonlySet<string>, problems: ConfigProblem[]): void {
  const transportsPath = [...router.path, 'transports'];
  const transports = entries(router.value.transports, transportsPath);
  if (transports.length === 0 && (router.value.transports === undefined || Array.isArray(router.value.transports))) {
    problems.push({
      path: transportsPath,
      message: 'no transports defined, so no client could connect: add a "websocket" or "web" transport',
    });
  }

  const ids = new Map<string, ConfigPath>();
  const addresses: { port: number; host: string; path: ConfigPath }[] = [];
  for (const transport of transports) {
    const id = transport.value.id;
    if (typeof id === 'string') {
      const first = ids.get(id);
      if (first === undefined) ids.set(id, [...transport.path, 'id']);
      else problems.push({ path: [...transport.path, 'id'], message: `duplicate transport id "${id}" (first used at ${formatPath(first)})` });
    }

    const address = listenAddress(transport.value.endpoint);
    if (address !== undefined && address.port !== 0) {
      const clash = addresses.find((other) => other.port === address.port && hostsOverlap(other.host, address.host));
      const path = [...transport.path, 'endpoint', 'port'];
      if (clash === undefined) addresses.push({ ...address, path });
      else {
        problems.push({
          path,
          message: `port ${address.port} on ${address.host} is already used by ${formatPath(clash.path.slice(0, -2))} (${clash.host})`,
        });
      }
    }

    if (transport.value.type === 'web') checkWebPaths(transport, realmNames, problems);
    else checkAuthRealms(transport.value.auth, [...transport.path, 'auth'], realmNames, problems);
  }
}

function checkWebPaths(transport: Entry, realmNames: ReadonlySet<string>, problems: ConfigProblem[]): void {
  const paths = transport.value.paths;
  if (!isRecord(paths)) return;
  const seen = new Map<string, string>();
  const keys = Object.keys(paths);
  if (keys.length === 0) {
    problems.push({ path: [...transport.path, 'paths'], message: 'a web transport needs at least one path' });
  }
  for (const key of keys) {
    const normalized = normalizeWebPath(key);
    const first = seen.get(normalized);
    if (first !== undefined) {
      problems.push({
        path: [...transport.path, 'paths', key],
        at: 'key',
        message: `paths ${JSON.stringify(first)} and ${JSON.stringify(key)} are the same URL path ${normalized}`,
      });
    } else {
      seen.set(normalized, key);
    }
    const service = paths[key];
    if (isRecord(service)) checkAuthRealms(service.auth, [...transport.path, 'paths', key, 'auth'], realmNames, problems);
  }
}

/** Realms named by dynamic authenticators and cryptosign principals must exist in this file. */
function checkAuthRealms(auth: unknown, path: ConfigPath, realmNames: ReadonlySet<string>, problems: ConfigProblem[]): void {
  if (!isRecord(auth)) return;
  const requireRealm = (name: unknown, at: ConfigPath) => {
    if (typeof name === 'string' && !realmNames.has(name)) {
      problems.push({ path: at, message: `realm "${name}" is not defined in this configuration` });
    }
  };
  for (const [method, config] of Object.entries(auth)) {
    if (!isRecord(config)) continue;
    requireRealm(config['authenticator-realm'], [...path, method, 'authenticator-realm']);
    if (method === 'cryptosign' && isRecord(config.principals)) {
      for (const [authid, principal] of Object.entries(config.principals)) {
        if (isRecord(principal)) requireRealm(principal.realm, [...path, method, 'principals', authid, 'realm']);
      }
    }
  }
}

/** Names (`name` key) that appear once; later duplicates are problems. */
function uniqueNames(items: Entry[], what: string, problems: ConfigProblem[]): Map<string, ConfigPath> {
  const names = new Map<string, ConfigPath>();
  for (const item of items) {
    const name = item.value.name;
    if (typeof name !== 'string') continue;
    const path = [...item.path, 'name'];
    const first = names.get(name);
    if (first === undefined) names.set(name, path);
    else problems.push({ path, message: `duplicate ${what} "${name}" (first defined at ${formatPath(first)})` });
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

const anyAddress = new Set(['0.0.0.0', '::', '']);

function hostsOverlap(a: string, b: string): boolean {
  return a === b || anyAddress.has(a) || anyAddress.has(b);
}

function entries(list: unknown, path: ConfigPath): Entry[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((value, index) => (isRecord(value) ? [{ value, path: [...path, index] }] : []));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
