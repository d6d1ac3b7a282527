import type { Server } from 'node:net';
import { resolve } from 'node:path';
import type { JunctionConfig, ListenerConfig } from '../config/model.js';
import { defaultRequestBodyTimeoutMs } from '../config/schema-web-services.js';
import { defaultOpenHandshakeTimeoutMs } from '../config/schema-websocket.js';
import { MetricsRegistry } from '../metrics/registry.js';
import { InternalSession } from '../router/internal-session.js';
import type { Logger } from '../router/log.js';
import { Router } from '../router/router.js';
import { NodeAuth } from './auth-wiring.js';
import { meterConnections } from './connection-meter.js';
import { startProcessMetrics } from './process-metrics.js';
import { startComponents, stopComponents, type RunningComponent } from './bridge/components.js';
import { mqttFirstOctet } from '../transport/mqtt/connection.js';
import { rawSocketFirstOctet, type RawSocketAcceptor } from '../transport/rawsocket/sniff.js';
import { mqttAcceptor, mqttListener } from './mqtt-listener.js';
import { rawSocketAcceptor, rawSocketListener } from './rawsocket-listener.js';
import { authorityOf, portOf } from './socket-server.js';
import { clientAddressReader } from './web/client-address.js';
import type { HttpTimeouts } from './web/http-timeouts.js';
import { HttpListener, type PathHandler } from './web/listener.js';
import { buildPathHandler } from './web/path-services.js';
import type { NodeContext, ServiceContext } from './web/service-context.js';

export interface NodeOptions {
  log: Logger;
  metrics?: MetricsRegistry;
  /** Grace period for sessions to answer GOODBYE at shutdown. */
  shutdownGraceMs?: number;
  /** Folder for durable state (the forwarder's outbox). Default: ".junction" in the working directory. */
  dataDir?: string;
}

export interface RunningNode {
  readonly router: Router;
  readonly metrics: MetricsRegistry;
  /** Every WebSocket URL served, e.g. ws://127.0.0.1:8080/ws. */
  readonly urls: string[];
  /** Every service served, with its URL: { url: "http://127.0.0.1:8080/publish", service: "publisher" }. */
  readonly services: ServedUrl[];
  /** The ports actually bound, by listener id (useful when the config asked for port 0). */
  readonly ports: Map<string, number>;
  /** GOODBYE to every session, then close every connection and port. */
  stop(): Promise<void>;
}

export interface ServedUrl {
  url: string;
  service: string;
}

/** A listening socket of the node, whatever it speaks. */
export interface Listener {
  /** Binds; resolves to the port bound and the URLs served there. */
  listen(): Promise<{ port: number; served: ServedUrl[] }>;
  close(): Promise<void>;
  /** The socket server, for the connection and byte counts. */
  readonly server: Server;
}

/** Wires a validated configuration into a running router with its components and listeners. */
export async function startNode(config: JunctionConfig, options: NodeOptions): Promise<RunningNode> {
  const log = options.log;
  const metrics = options.metrics ?? new MetricsRegistry();
  const { signIn } = config;
  const auth = new NodeAuth(config, {
    log: log.child({ part: 'auth' }),
    throttle: { budget: signIn.failureBudget, forgiveMs: signIn.forgiveAfterMs, spacingMs: signIn.spacingMs, maxWaitMs: signIn.maxWaitMs },
    challengeTimeoutMs: signIn.challengeTimeoutMs,
    dynamicCallTimeoutMs: signIn.dynamicTimeoutMs,
  });
  const router = new Router({
    realms: config.realms.map((realm) => ({
      ...auth.realmSettings(realm),
      enableMetaApi: realm.options.enableMetaApi,
      eventHistory: realm.store.eventHistory,
    })),
    log,
    metrics,
  });
  auth.attach(router);
  await router.ready(); // the meta API is registered before any client can connect

  let state: 'starting' | 'serving' | 'stopping' = 'starting';
  const attach = router.attach.bind(router);
  const context: NodeContext = {
    router, auth, config, log, metrics,
    startedAt: new Date(),
    dataDir: resolve(options.dataDir ?? '.junction'),
    state: () => state,
    joinBridgeSession: (realm, role, authid) =>
      InternalSession.join(attach, realm, { authid, authrole: role, authmethod: 'bridge', authprovider: 'junction' }, { trusted: false, exemptFromLimits: true }),
    joinTrustedSession: (realm, authid) => InternalSession.join(attach, realm, { authid, authrole: 'trusted' }),
  };

  const listeners: Listener[] = [];
  const urls: string[] = [];
  const services: ServedUrl[] = [];
  const ports = new Map<string, number>();
  let components: RunningComponent[] = [];
  const stopProcessMetrics = startProcessMetrics(metrics);
  try {
    components = await startComponents(config.components, context);
    for (const listenerConfig of config.listeners) {
      const listener = await buildListener(listenerConfig, context);
      meterConnections(listener.server, listenerConfig.id, metrics);
      const bound = await listener.listen();
      listeners.push(listener);
      ports.set(listenerConfig.id, bound.port);
      services.push(...bound.served);
      urls.push(...bound.served.filter((served) => served.service === 'websocket').map((served) => served.url));
    }
  } catch (error) {
    await Promise.all(listeners.map((listener) => listener.close()));
    await stopComponents(components);
    await auth.close();
    await router.shutdown(0);
    stopProcessMetrics();
    throw error;
  }
  for (const served of services) log.info(served, 'listening');
  state = 'serving';

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      state = 'stopping';
      const joined = router.joinedSessions();
      log.info({ client_sessions: joined.client, internal_sessions: joined.internal }, 'shutting down');
      await stopComponents(components);
      await auth.close();
      await router.shutdown(options.shutdownGraceMs);
      await Promise.all(listeners.map((listener) => listener.close()));
      stopProcessMetrics();
      log.info({}, 'stopped');
    })());

  return { router, metrics, urls, services, ports, stop };
}

async function buildListener(config: ListenerConfig, node: NodeContext): Promise<Listener> {
  if (config.kind === 'rawsocket') return rawSocketListener(config, node);
  if (config.kind === 'mqtt') return mqttListener(config, node);
  const log = node.log.child({ transport: config.id });
  const clientAddress = clientAddressReader(config.trustedProxies);
  const handlers = new Map<string, PathHandler>();
  for (const [path, service] of Object.entries(config.paths)) {
    const where = config.kind === 'websocket' ? `transport "${config.id}"` : `transport "${config.id}" path "${path}"`;
    const context: ServiceContext = { ...node, log: log.child({ path }), listener: config, path, where, clientAddress };
    handlers.set(path, await buildPathHandler(service, context));
  }
  // A universal listener also speaks RawSocket and MQTT to connections that open with their first octet.
  const unixPath = config.endpoint.type === 'unix' ? config.endpoint.path : undefined;
  const diverted = new Map<number, RawSocketAcceptor>();
  if (config.kind === 'universal' && config.rawsocket) diverted.set(rawSocketFirstOctet, rawSocketAcceptor(config, node, unixPath));
  if (config.kind === 'universal' && config.mqtt) diverted.set(mqttFirstOctet, mqttAcceptor(config, node, unixPath));
  const http = new HttpListener(config, handlers, listenerTimeouts(config), log, node.metrics, diverted);
  return {
    server: http.server,
    close: () => http.close(),
    listen: async () => {
      const address = await http.listen();
      const authority = authorityOf(address);
      const served: ServedUrl[] = Object.entries(config.paths).map(([path, service]) => {
        const upgrade = service.type === 'websocket' || service.type === 'mqtt';
        const scheme = upgrade ? (http.secure ? 'wss' : 'ws') : (http.secure ? 'https' : 'http');
        return { url: `${scheme}://${authority}${path}`, service: service.type };
      });
      if (diverted.has(rawSocketFirstOctet)) served.push({ url: `${http.secure ? 'rss' : 'rs'}://${authority}`, service: 'rawsocket' });
      if (diverted.has(mqttFirstOctet)) served.push({ url: `${http.secure ? 'mqtts' : 'mqtt'}://${authority}`, service: 'mqtt' });
      return { port: portOf(address), served };
    },
  };
}

/**
 * One port reads every request the same way: its headers within the shortest open_handshake_timeout
 * of its websocket paths (the default without one; a path's 0 lifts only its WAMP opening's limit),
 * its body within request_body_timeout.
 */
function listenerTimeouts(config: ListenerConfig): HttpTimeouts {
  const handshakes = Object.values(config.paths).flatMap((service) =>
    service.type === 'websocket' && service.options.openHandshakeTimeout > 0 ? [service.options.openHandshakeTimeout] : []);
  return {
    headersMs: handshakes.length > 0 ? Math.min(...handshakes) : defaultOpenHandshakeTimeoutMs,
    bodyMs: config.requestBodyTimeoutMs ?? defaultRequestBodyTimeoutMs,
  };
}
