/**
 * Cross-checks of a listener's path services: after nested `path` services are flattened, no two
 * services share a URL path; realms and roles named by bridge, upload and SSE services exist; realms named
 * by authentication exist.
 */

import { problem, type ConfigProblem } from './problems.js';
import type { ConfigPath } from './config-path.js';
import { isRecord, type RealmReferences } from './semantics-realms.js';
import { flattenPathTable } from './web-paths.js';

/** One path table of a listener: a web transport's `paths`, or a universal transport's `websocket` part or `web.paths`. */
export interface PathTable {
  table: unknown;
  at: ConfigPath;
  /** A universal transport's websocket part: it takes every request to its paths, so a later table's same path is not a clash (as in Crossbar). */
  takesPrecedence?: boolean;
}

export function checkListenerPaths(tables: readonly PathTable[], refs: RealmReferences, problems: ConfigProblem[]): void {
  const report = (found: ConfigProblem) => problems.push(found);
  const entries = tables.flatMap(({ table, at, takesPrecedence }) =>
    flattenPathTable(table, '/', at, report).map((entry) => ({ ...entry, takesPrecedence: takesPrecedence === true })),
  );
  const served = new Map<string, { path: ConfigPath; takesPrecedence: boolean }>();
  for (const entry of entries) {
    const first = served.get(entry.url);
    if (first === undefined) served.set(entry.url, entry);
    else if (!first.takesPrecedence || entry.takesPrecedence) {
      problems.push({ ...problem('config.path.clash', entry.path, entry.url, first.path, entry.path), at: 'key' });
    }
    checkService(entry.service, entry.path, refs);
  }
}

function checkService(service: Record<string, unknown>, path: ConfigPath, refs: RealmReferences): void {
  checkAuthRealms(service.auth, [...path, 'auth'], refs);
  switch (service.type) {
    case 'publisher':
    case 'caller':
    case 'webhook':
    case 'upload':
    case 'fileupload': {
      const realm = refs.realm(service.realm, [...path, 'realm']);
      if (realm === undefined) return;
      refs.role(service.realm, service.role, [...path, 'role']);
      if (service.type === 'webhook' && isRecord(service.options)) {
        refs.routerUri(service.realm, service.options.topic, 'exact', [...path, 'options', 'topic']);
      }
      return;
    }
    case 'wap':
      if (isRecord(service.wamp) && refs.realm(service.wamp.realm, [...path, 'wamp', 'realm']) !== undefined) {
        refs.role(service.wamp.realm, service.wamp.authrole, [...path, 'wamp', 'authrole']);
      }
      return;
    case 'sse':
      checkSseRoles(service, path, refs);
      return;
    case 'console':
      checkConsoleRoles(service, path, refs);
      return;
    case 'mqtt':
      checkMqttRoles(service, path, refs);
      return;
    case 'websocket':
    case 'longpoll':
      checkPrincipalRoles(service.auth, [...path, 'auth'], refs);
      return;
  }
}

/**
 * Where the client names the realm (WebSocket, RawSocket, long-poll), each role a static sign-in
 * gives (anonymous, ticket principals, WAMP-CRA users, cryptosign and scram principals) must exist in some
 * realm. Roles a dynamic authenticator returns are not known until it answers.
 */
export function checkPrincipalRoles(auth: unknown, path: ConfigPath, refs: RealmReferences): void {
  if (!isRecord(auth)) return;
  for (const [method, config] of Object.entries(auth)) {
    if (!isRecord(config) || config.type !== 'static') continue;
    if (method === 'anonymous') {
      refs.roleInSomeRealm(config.role, [...path, method, 'role']);
      continue;
    }
    const table = method === 'wampcra' ? 'users' : 'principals';
    if (!isRecord(config[table])) continue;
    for (const [authid, principal] of Object.entries(config[table])) {
      if (isRecord(principal)) refs.roleInSomeRealm(principal.role, [...path, method, table, authid, 'role']);
    }
  }
}

/** An mqtt transport or path: its realm in options, its auth in options.auth or at the top (whose realms the caller checks). */
export function checkMqttRoles(service: Record<string, unknown>, path: ConfigPath, refs: RealmReferences): void {
  const options = isRecord(service.options) ? service.options : {};
  const [auth, authAt] = service.auth !== undefined ? [service.auth, [...path, 'auth']] : [options.auth, [...path, 'options', 'auth']];
  checkAuthRealms(options.auth, [...path, 'options', 'auth'], refs); // a top-level auth is checked with every service's
  checkSignInRoles({
    realm: options.realm, realmAt: [...path, 'options', 'realm'], auth, authAt, who: 'MQTT clients',
    defaultRole: options.role, defaultRoleAt: options.role === undefined ? path : [...path, 'options', 'role'],
  }, refs);
  checkCodecProcedures(options, [...path, 'options', 'payload_mapping'], refs);
}

/** A dynamic payload format's realm must exist, and its encoder and decoder be procedures that realm could register. */
function checkCodecProcedures(options: Record<string, unknown>, path: ConfigPath, refs: RealmReferences): void {
  if (!isRecord(options.payload_mapping)) return;
  for (const [prefix, format] of Object.entries(options.payload_mapping)) {
    if (!isRecord(format) || format.type !== 'dynamic') continue;
    const realm = format.realm ?? options.realm;
    if (format.realm !== undefined) refs.realm(format.realm, [...path, prefix, 'realm']);
    for (const key of ['encoder', 'decoder']) refs.calledProcedure(realm, format[key], [...path, prefix, key]);
  }
}

/** An SSE listener gets the role of its anonymous or ticket sign-in; those roles belong to the SSE realm. */
function checkSseRoles(service: Record<string, unknown>, path: ConfigPath, refs: RealmReferences): void {
  checkSignInRoles({ realm: service.realm, realmAt: [...path, 'realm'], auth: service.auth, authAt: [...path, 'auth'], who: 'listeners' }, refs);
}

/**
 * A door with one realm (SSE, MQTT): the roles its static sign-ins (anonymous, ticket, tls) give must exist
 * in that realm; without `auth`, `defaultRole` (default "anonymous") must.
 */
export function checkSignInRoles(
  door: { realm: unknown; realmAt: ConfigPath; auth: unknown; authAt: ConfigPath; who: string; defaultRole?: unknown; defaultRoleAt?: ConfigPath },
  refs: RealmReferences,
): void {
  const { realm, auth, authAt } = door;
  if (refs.realm(realm, door.realmAt) === undefined) return;
  if (auth === undefined) {
    const role = typeof door.defaultRole === 'string' ? door.defaultRole : 'anonymous';
    refs.role(realm, role, door.defaultRoleAt ?? authAt.slice(0, -1), ` (the role of anonymous ${door.who} when "auth" is not given); add the role or give "auth"`);
    return;
  }
  if (!isRecord(auth)) return;
  const anonymous = auth.anonymous;
  if (isRecord(anonymous) && anonymous.type === 'static') {
    refs.role(realm, anonymous.role ?? 'anonymous', [...authAt, 'anonymous', 'role']);
  }
  // Static principals of ticket (SSE, MQTT) and tls (MQTT) sign in with their own roles.
  for (const method of ['ticket', 'tls'] as const) {
    const config = auth[method];
    if (!isRecord(config) || config.type !== 'static' || !isRecord(config.principals)) continue;
    for (const [authid, principal] of Object.entries(config.principals)) {
      if (isRecord(principal)) refs.role(realm, principal.role, [...authAt, method, 'principals', authid, 'role']);
    }
  }
}

/** The roles a console signs its operators in with belong to the console's realm. */
function checkConsoleRoles(service: Record<string, unknown>, path: ConfigPath, refs: RealmReferences): void {
  if (refs.realm(service.realm, [...path, 'realm']) === undefined || !isRecord(service.auth)) return;
  const { anonymous, ticket, wampcra } = service.auth;
  if (isRecord(anonymous) && anonymous.type !== 'dynamic') {
    refs.role(service.realm, anonymous.role ?? 'anonymous', [...path, 'auth', 'anonymous', 'role']);
  }
  for (const [method, config, table] of [['ticket', ticket, 'principals'], ['wampcra', wampcra, 'users']] as const) {
    if (!isRecord(config) || config.type === 'dynamic' || !isRecord(config[table])) continue;
    for (const [authid, principal] of Object.entries(config[table])) {
      if (isRecord(principal)) refs.role(service.realm, principal.role, [...path, 'auth', method, table, authid, 'role']);
    }
  }
}

/** Realms named by dynamic authenticators and cryptosign principals, and the realm a function authenticator's host joins, must exist in this file. */
export function checkAuthRealms(auth: unknown, path: ConfigPath, refs: RealmReferences): void {
  if (!isRecord(auth)) return;
  for (const [method, config] of Object.entries(auth)) {
    if (!isRecord(config)) continue;
    if (config.type === 'function') refs.functionHostRealm([...path, method]);
    refs.realm(config['authenticator-realm'], [...path, method, 'authenticator-realm']);
    if (config.type === 'dynamic') refs.calledProcedure(config['authenticator-realm'], config.authenticator, [...path, method, 'authenticator']);
    if (method === 'cryptosign' && isRecord(config.principals)) {
      for (const [authid, principal] of Object.entries(config.principals)) {
        if (isRecord(principal)) refs.realm(principal.realm, [...path, method, 'principals', authid, 'realm']);
      }
    }
  }
}
