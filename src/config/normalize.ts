/**
 * From a validated file (Crossbar's shape, defaults applied by the schema) to the model:
 * camelCase, star URIs resolved, transports as listeners, absent auth made explicit.
 * Runs only after validation and cross-checks passed, so it does not re-check anything.
 */

import { isAbsolute, resolve } from 'node:path';
import type { AuthFile } from './schema-auth.js';
import type { ConfigFile, RouterWorkerFile } from './file-schema.js';
import type {
  AuthConfig,
  ComponentConfig,
  DynamicAuthConfig,
  EndpointConfig,
  JunctionConfig,
  ListenerConfig,
  PermissionConfig,
  RealmConfig,
  RoleConfig,
  WebSocketService,
} from './model.js';
import { ignoredSettingNotices, notice } from './notices.js';
import type { PermissionFile, RealmFile, RoleFile } from './schema-router.js';
import type { EndpointFile, TransportFile, WebSocketServiceFile } from './schema-transport.js';
import { defaultInterface } from './semantics.js';
import { resolvePermissionUri } from './uri-patterns.js';
import { normalizeWebPath } from './web-paths.js';

export interface NormalizeOptions {
  /** Folder that relative file paths (TLS keys and certificates) are relative to. */
  baseDir?: string;
}

export function normalize(file: ConfigFile, options: NormalizeOptions = {}): JunctionConfig {
  const notices = ignoredSettingNotices(file);
  const routerIndex = file.workers.findIndex((worker) => worker.type === 'router');
  const router = file.workers[routerIndex] as RouterWorkerFile;
  const components: ComponentConfig[] = [];

  file.workers.forEach((worker, workerIndex) => {
    const where = worker.type === 'router' ? 'router' : 'container';
    worker.components.forEach((component, componentIndex) => {
      const name = component.type === 'class' ? `Python component ${component.classname}` : 'Python function component';
      notices.push(
        notice(
          ['workers', workerIndex, 'components', componentIndex],
          `${name} is not run by Junction: start it as a separate WAMP client that connects to the router`,
        ),
      );
      components.push({
        kind: 'python',
        where,
        type: component.type,
        ...(component.id === undefined ? {} : { id: component.id }),
        ...(component.type === 'class' ? { classname: component.classname } : {}),
        realm: component.realm,
        ...('role' in component && component.role !== undefined ? { role: component.role } : {}),
        extra: component.extra ?? {},
      });
    });
  });

  return {
    realms: router.realms.map(realmConfig),
    listeners: listenerConfigs(router.transports, options),
    components,
    notices,
    signIn: {
      failureBudget: router.sign_in.failure_budget,
      forgiveAfterMs: router.sign_in.forgive_after,
      spacingMs: router.sign_in.spacing,
      maxWaitMs: router.sign_in.max_wait,
      challengeTimeoutMs: router.sign_in.challenge_timeout,
      dynamicTimeoutMs: router.sign_in.dynamic_timeout,
    },
  };
}

function realmConfig(realm: RealmFile): RealmConfig {
  const store = realm.store;
  return {
    name: realm.name,
    roles: realm.roles.map(roleConfig),
    options: { enableMetaApi: realm.options.enable_meta_api, uriCheck: realm.options.uri_check },
    store: {
      eventHistory: (store?.['event-history'] ?? []).map((entry) => ({
        uri: entry.uri,
        match: entry.match,
        limit: entry.limit ?? store!.limit,
      })),
    },
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

function listenerConfigs(transports: TransportFile[], options: NormalizeOptions): ListenerConfig[] {
  const explicitIds = new Set(transports.flatMap((transport) => (transport.id === undefined ? [] : [transport.id])));
  return transports.map((transport, index) => {
    const id = transport.id ?? generatedId(index, explicitIds);
    const endpoint = endpointConfig(transport.endpoint, options);
    if (transport.type === 'websocket') {
      const paths: Record<string, WebSocketService> = Object.create(null);
      paths['/'] = websocketService(transport);
      return { id, kind: 'websocket', endpoint, paths, trustedProxies: [] };
    }
    const paths: Record<string, WebSocketService> = Object.create(null);
    for (const [key, service] of Object.entries(transport.paths)) paths[normalizeWebPath(key)] = websocketService(service);
    return { id, kind: 'web', endpoint, paths, trustedProxies: [] };
  });
}

/** `transport<index>`, skipping ids the file already uses. */
function generatedId(index: number, taken: ReadonlySet<string>): string {
  let id = `transport${index}`;
  while (taken.has(id)) id = `${id}_`;
  return id;
}

function endpointConfig(endpoint: EndpointFile, options: NormalizeOptions): EndpointConfig {
  const file = (path: string) => (options.baseDir === undefined || isAbsolute(path) ? path : resolve(options.baseDir, path));
  const tls = endpoint.tls;
  return {
    port: endpoint.port,
    interface: endpoint.interface ?? defaultInterface(endpoint.version),
    ...(endpoint.backlog === undefined ? {} : { backlog: endpoint.backlog }),
    ...(tls === undefined
      ? {}
      : {
          tls: {
            key: file(tls.key),
            certificate: file(tls.certificate),
            chainCertificates: tls.chain_certificates.map(file),
            ...(tls.ciphers === undefined ? {} : { ciphers: tls.ciphers }),
            ...(tls.dhparam === undefined ? {} : { dhparam: file(tls.dhparam) }),
          },
        }),
  };
}

function websocketService(service: Omit<WebSocketServiceFile, 'type' | 'id'>): WebSocketService {
  const options = service.options;
  return {
    type: 'websocket',
    serializers: [...new Set(service.serializers)],
    options: {
      maxMessageSize: options.max_message_size,
      autoPingInterval: options.auto_ping_interval,
      autoPingTimeout: options.auto_ping_timeout,
      openHandshakeTimeout: options.open_handshake_timeout,
      allowedOrigins: [...options.allowed_origins],
      allowNullOrigin: options.allow_null_origin,
      // Crossbar enables compression with {"deflate": {...}}; an object without it means off.
      compression: typeof options.compression === 'boolean' ? options.compression : options.compression.deflate !== undefined,
      maxBufferedBytes: options.max_buffered_bytes,
    },
    auth: service.auth === undefined ? { anonymous: { type: 'static', role: 'anonymous' } } : authConfig(service.auth),
  };
}

function authConfig(auth: AuthFile): AuthConfig {
  const result: AuthConfig = {};
  if (auth.anonymous !== undefined) {
    const method = auth.anonymous;
    result.anonymous =
      method.type === 'dynamic'
        ? dynamicAuth(method)
        : { type: 'static', role: method.role, ...(method.authid === undefined ? {} : { authid: method.authid }) };
  }
  if (auth.ticket !== undefined) {
    const method = auth.ticket;
    result.ticket =
      method.type === 'dynamic'
        ? dynamicAuth(method)
        : { type: 'static', principals: mapValues(method.principals, (p) => ({ ticket: p.ticket, role: p.role })) };
  }
  if (auth.wampcra !== undefined) {
    const method = auth.wampcra;
    result.wampcra =
      method.type === 'dynamic'
        ? dynamicAuth(method)
        : {
            type: 'static',
            users: mapValues(method.users, (user) => ({
              secret: user.secret,
              role: user.role,
              ...(user.salt === undefined ? {} : { salt: user.salt, iterations: user.iterations!, keylen: user.keylen! }),
            })),
          };
  }
  if (auth.cryptosign !== undefined) {
    const method = auth.cryptosign;
    result.cryptosign =
      method.type === 'dynamic'
        ? dynamicAuth(method)
        : {
            type: 'static',
            principals: mapValues(method.principals, (principal) => ({
              authorizedKeys: principal.authorized_keys.map((key) => key.toLowerCase()),
              role: principal.role,
              ...(principal.realm === undefined ? {} : { realm: principal.realm }),
            })),
          };
  }
  return result;
}

function dynamicAuth(method: {
  authenticator: string;
  'authenticator-realm'?: string | undefined;
  'authenticator-role'?: string | undefined;
}): DynamicAuthConfig {
  return {
    type: 'dynamic',
    authenticator: method.authenticator,
    ...(method['authenticator-realm'] === undefined ? {} : { authenticatorRealm: method['authenticator-realm'] }),
    ...(method['authenticator-role'] === undefined ? {} : { authenticatorRole: method['authenticator-role'] }),
  };
}

/**
 * Records keyed by names from the file (authids, URL paths) have no prototype, so looking up a
 * client-supplied name such as "constructor" finds nothing instead of an Object method.
 */
function mapValues<T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> {
  const result: Record<string, U> = Object.create(null);
  for (const [key, value] of Object.entries(record)) result[key] = map(value);
  return result;
}
