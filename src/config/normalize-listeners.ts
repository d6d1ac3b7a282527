/**
 * Transports of the file -> listeners of the model: one per listening socket, with its endpoint,
 * its path table (web paths flattened), its RawSocket settings and its trusted proxies.
 */

import { isAbsolute, resolve } from 'node:path';
import type { AuthConfig, EndpointConfig, FlashPolicyConfig, ListenerConfig, PathService, ProxyAuthenticators, PusherServiceConfig, RawSocketService, WebSocketTesteeService, WorkerPython } from './model.js';
import { authConfig } from './normalize-auth.js';
import { mqttConfig } from './normalize-mqtt.js';
import { fromConfigDir, type NormalizeContext, type TransportNormalizeContext } from './normalize-context.js';
import { addPathServices, websocketConfig } from './normalize-web.js';
import { sharedWebSocketOptions } from './normalize-websocket-options.js';
import { notice } from './notices.js';
import { offeredSerializers } from './schema-websocket.js';
import type { ConfigPath } from './config-path.js';
import { flashPolicyDefaults, type FlashPolicyTransportFile } from './schema-flashpolicy.js';
import type { PusherTransportFile } from './schema-pusher.js';
import { rawSocketDefaults, type RawSocketSettingsFile } from './schema-rawsocket.js';
import type { EndpointFile, TransportFile, UniversalTransportFile } from './schema-transport.js';
import type { TesteeTransportFile } from './schema-testee.js';
import type { PathServiceFile } from './schema-web-services.js';
import { defaultInterface } from './semantics.js';
import { readsClientCertificates } from './semantics-certificates.js';
import { normalizeWebPath } from './web-paths.js';

export interface TransportToListen {
  transport: TransportFile;
  where: ConfigPath;
  python: WorkerPython;
  /** A proxy worker's routes (realm -> roles): every sign-in on the transport must end in one of them. */
  routes?: Record<string, readonly string[]>;
  /** Its routes' backend authenticators (normalize-proxy.ts). */
  authenticators?: ProxyAuthenticators;
}

/** Transports with their paths in the file (of every router worker, then the proxy workers', in file order). */
export function listenerConfigs(transports: readonly TransportToListen[], shared: NormalizeContext): ListenerConfig[] {
  const explicitIds = new Set(transports.flatMap(({ transport }) => (transport.id === undefined ? [] : [transport.id])));
  return transports.map(({ transport, where, python, routes, authenticators }, index) => {
    const listener = listenerConfig(transport, where, { ...shared, python }, transport.id ?? generatedId(index, explicitIds));
    if (routes === undefined) return listener;
    return routedListener(listener, { routes, ...(authenticators === undefined ? {} : { proxyAuthenticators: authenticators }) });
  });
}

/** Every sign-in gate of the listener (WebSocket, long-poll, SSE, console, MQTT paths, RawSocket, MQTT) gets the routes. */
function routedListener(listener: ListenerConfig, routing: Pick<AuthConfig, 'routes' | 'proxyAuthenticators'>): ListenerConfig {
  const paths: Record<string, PathService> = Object.create(null);
  for (const [url, service] of Object.entries(listener.paths)) paths[url] = 'auth' in service ? { ...service, auth: { ...service.auth, ...routing } } : service;
  return {
    ...listener,
    paths,
    ...(listener.rawsocket === undefined ? {} : { rawsocket: { ...listener.rawsocket, auth: { ...listener.rawsocket.auth, ...routing } } }),
    ...(listener.mqtt === undefined ? {} : { mqtt: { ...listener.mqtt, auth: { ...listener.mqtt.auth, ...routing } } }),
  };
}

function listenerConfig(transport: TransportFile, where: ConfigPath, context: TransportNormalizeContext, id: string): ListenerConfig {
  const endpoint = endpointConfig(transport.endpoint, context, !readsClientCertificates(transport as unknown as Record<string, unknown>));
  const paths: Record<string, PathService> = Object.create(null);
  switch (transport.type) {
    case 'websocket':
      paths['/'] = websocketConfig(transport, where, context);
      return { id, kind: 'websocket', endpoint, paths, trustedProxies: [...(transport.options.trusted_proxies ?? [])] };
    case 'web':
      addPathServices(transport.paths, '/', [...where, 'paths'], context, paths);
      return { id, kind: 'web', endpoint, paths, trustedProxies: [...(transport.options?.trusted_proxies ?? [])], ...webListenerOptions(transport.options) };
    case 'rawsocket':
      return { id, kind: 'rawsocket', endpoint, paths, rawsocket: rawSocketConfig(transport, context), trustedProxies: [] };
    case 'universal':
      return universalListener(transport, id, endpoint, where, context);
    case 'pusher':
      return { id, kind: 'pusher', endpoint, paths, pusher: pusherConfig(transport), trustedProxies: [...(transport.options.trusted_proxies ?? [])] };
    case 'mqtt':
      return { id, kind: 'mqtt', endpoint, paths, mqtt: mqttConfig(transport, context.functions), trustedProxies: [] };
    case 'flashpolicy':
      return { id, kind: 'flashpolicy', endpoint, paths, flashPolicy: flashPolicyConfig(transport), trustedProxies: [] };
    case 'websocket.testee':
      // An echo server answers on every path, as a standalone websocket transport does.
      paths['/'] = testeeConfig(transport);
      return { id, kind: 'websocket', endpoint, paths, trustedProxies: [...(transport.options.trusted_proxies ?? [])] };
    case 'stream.testee':
      return { id, kind: 'stream-testee', endpoint, paths, trustedProxies: [] };
  }
}

function testeeConfig(transport: TesteeTransportFile): WebSocketTesteeService {
  const options = transport.options;
  return { type: 'websocket-testee', options: { ...sharedWebSocketOptions(options), maxConnections: options.max_connections } };
}

function flashPolicyConfig(transport: FlashPolicyTransportFile): FlashPolicyConfig {
  const ports = transport.allowed_ports ?? [];
  // As Crossbar: no ports, or an empty list, allows every port.
  return { allowedDomain: transport.allowed_domain, allowedPorts: ports.length > 0 ? ports.join(',') : flashPolicyDefaults.allowedPorts };
}

/**
 * Websocket parts and web paths share one table. Without a rawsocket or mqtt part a universal
 * transport serves exactly what a web transport would, so it becomes one: no RawSocket the file did not ask for.
 */
function universalListener(
  transport: UniversalTransportFile,
  id: string,
  endpoint: EndpointConfig,
  at: ConfigPath,
  context: TransportNormalizeContext,
): ListenerConfig {
  const paths: Record<string, PathService> = Object.create(null);
  const proxies = new Set(transport.web?.options?.trusted_proxies ?? []);
  const partKeys = new Map<string, string>();
  for (const [key, part] of Object.entries(transport.websocket ?? {})) {
    paths[normalizeWebPath(key)] = websocketConfig(part, [...at, 'websocket', key], context);
    partKeys.set(normalizeWebPath(key), key);
    for (const proxy of part.options.trusted_proxies ?? []) proxies.add(proxy);
  }
  if (transport.web !== undefined) {
    const web: Record<string, PathService> = Object.create(null);
    addPathServices(transport.web.paths, '/', [...at, 'web', 'paths'], context, web);
    for (const [url, service] of Object.entries(web)) {
      // As in Crossbar, a websocket part takes every request to its path before the web part is asked.
      const key = partKeys.get(url);
      if (key === undefined) paths[url] = service;
      else context.notices.push(notice('config.notice.path_shadowed', [...at, 'websocket', key], url, service.type));
    }
  }
  const trustedProxies = [...proxies];
  const timeout = webListenerOptions(transport.web?.options);
  if (transport.rawsocket === undefined && transport.mqtt === undefined) return { id, kind: 'web', endpoint, paths, trustedProxies, ...timeout };
  return {
    id, kind: 'universal', endpoint, paths, trustedProxies, ...timeout,
    ...(transport.rawsocket === undefined ? {} : { rawsocket: rawSocketConfig(transport.rawsocket, context) }),
    ...(transport.mqtt === undefined ? {} : { mqtt: mqttConfig(transport.mqtt, context.functions) }),
  };
}

/** A web transport's (or universal transport's web part's) listener-wide options, each only when the file sets it. */
function webListenerOptions(
  options: { request_body_timeout?: number | undefined; allowed_hosts?: string[] | undefined } | undefined,
): Pick<ListenerConfig, 'requestBodyTimeoutMs' | 'allowedHosts'> {
  return {
    ...(options?.request_body_timeout === undefined ? {} : { requestBodyTimeoutMs: options.request_body_timeout }),
    ...(options?.allowed_hosts === undefined ? {} : { allowedHosts: options.allowed_hosts.map((name) => name.toLowerCase().replace(/\.$/, '')) }),
  };
}

function rawSocketConfig(settings: RawSocketSettingsFile, context: NormalizeContext): RawSocketService {
  const options = settings.options;
  return {
    serializers: offeredSerializers(settings.serializers),
    maxMessageSize: settings.max_message_size ?? options.max_message_size ?? rawSocketDefaults.maxMessageSize,
    maxConnections: options.max_connections,
    maxPerAddress: options.max_per_address,
    autoPingInterval: options.auto_ping_interval,
    autoPingTimeout: options.auto_ping_timeout,
    openHandshakeTimeout: options.open_handshake_timeout,
    maxBufferedBytes: options.max_buffered_bytes,
    auth: authConfig(settings.auth, context.functions),
  };
}

function pusherConfig(transport: PusherTransportFile): PusherServiceConfig {
  const options = transport.options;
  return {
    apps: transport.apps.map((app) => ({
      id: app.id, key: app.key, secret: app.secret, realm: app.realm, role: app.role,
      clientEvents: app.client_events, topicPrefix: app.topic_prefix,
      webhooks: app.webhooks.map((webhook) => ({ url: webhook.url, events: [...new Set(webhook.events)] })),
    })),
    activityTimeoutS: options.activity_timeout,
    pongTimeoutMs: options.pong_timeout,
    maxEventSize: options.max_event_size,
    maxMessageSize: options.max_message_size,
    maxChannelsPerConnection: options.max_channels_per_connection,
    maxUserIdLength: options.max_user_id_length,
    maxUserInfoSize: options.max_user_info_size,
    maxPresenceMembers: options.max_presence_members,
    clientEventsPerSecond: options.client_events_per_second,
    maxConnections: options.max_connections,
    maxPerAddress: options.max_per_address,
    maxBufferedBytes: options.max_buffered_bytes,
    maxApiRequestsInFlight: options.max_api_requests_in_flight,
  };
}

/** `transport<index>`, skipping ids the file already uses. */
function generatedId(index: number, taken: ReadonlySet<string>): string {
  let id = `transport${index}`;
  while (taken.has(id)) id = `${id}_`;
  return id;
}

/** `certificateAtHandshake`: no door reads a client certificate, so TLS itself requires one (as Crossbar does). */
function endpointConfig(endpoint: EndpointFile, context: NormalizeContext, certificateAtHandshake: boolean): EndpointConfig {
  const backlog = endpoint.backlog === undefined ? {} : { backlog: endpoint.backlog };
  if (endpoint.type === 'unix') {
    // A Unix socket has no port or interface; `path` is what it binds.
    return { type: 'unix', port: 0, path: fromConfigDir(context, endpoint.path), interface: '', ...backlog };
  }
  // TLS files stay as written when there is no config folder (parseConfig of a value), as before.
  const file = (path: string) => (context.baseDir === undefined || isAbsolute(path) ? path : resolve(context.baseDir, path));
  const tls = endpoint.tls;
  return {
    port: endpoint.port,
    interface: endpoint.interface ?? defaultInterface(endpoint.version),
    ...backlog,
    ...(tls === undefined
      ? {}
      : {
          tls: {
            key: file(tls.key),
            certificate: file(tls.certificate),
            chainCertificates: tls.chain_certificates.map(file),
            ...(tls.ca_certificates === undefined ? {} : { caCertificates: tls.ca_certificates.map(file), clientCertificateAtHandshake: certificateAtHandshake }),
            ...(tls.ciphers === undefined ? {} : { ciphers: tls.ciphers }),
            ...(tls.dhparam === undefined ? {} : { dhparam: file(tls.dhparam) }),
          },
        }),
  };
}

/** Whether a transport of the file has a path run by the router's Python (wsgi, resource, wap, a package's static files), at any depth of nested `path` services. */
export function servesPython(transport: TransportFile): boolean {
  const table = transport.type === 'web' ? transport.paths : transport.type === 'universal' ? transport.web?.paths : undefined;
  return table !== undefined && hasPythonPath(table);
}

function hasPythonPath(table: Record<string, PathServiceFile>): boolean {
  return Object.values(table).some((service) => service.type === 'wsgi' || service.type === 'resource' || service.type === 'wap' || (service.type === 'static' && service.package !== undefined)
    || (service.type === 'path' && hasPythonPath(service.paths)));
}
