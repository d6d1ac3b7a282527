import { codecByName } from '../codec/index.js';
import type { JunctionConfig, ListenerConfig } from '../config/model.js';
import { MetricsRegistry } from '../metrics/registry.js';
import type { Logger } from '../router/log.js';
import { Router } from '../router/router.js';
import { WebSocketService } from '../transport/websocket-service.js';
import { NodeAuth } from './auth-wiring.js';
import { HttpListener, type PathHandler } from './web/listener.js';

export interface NodeOptions {
  log: Logger;
  metrics?: MetricsRegistry;
  /** Grace period for sessions to answer GOODBYE at shutdown. */
  shutdownGraceMs?: number;
}

export interface RunningNode {
  readonly router: Router;
  readonly metrics: MetricsRegistry;
  /** Every WebSocket URL served, e.g. ws://127.0.0.1:8080/ws. */
  readonly urls: string[];
  /** The ports actually bound, by listener id (useful when the config asked for port 0). */
  readonly ports: Map<string, number>;
  /** GOODBYE to every session, then close every connection and port. */
  stop(): Promise<void>;
}

/** Wires a validated configuration into a running router with its listeners. */
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
  const listeners: HttpListener[] = [];
  const urls: string[] = [];
  const ports = new Map<string, number>();

  const build = (listener: ListenerConfig): HttpListener => {
    const handlers = new Map<string, PathHandler>();
    let handshakeTimeout = 10_000;
    for (const [path, service] of Object.entries(listener.paths)) {
      const gate = auth.gate(service.auth, `transport "${listener.id}" path "${path}"`);
      const ws = new WebSocketService(
        (peer) => router.attach(peer, gate, { helloTimeoutMs: service.options.openHandshakeTimeout }),
        { ...service.options, codecs: service.serializers.map(codecByName) },
        log.child({ transport: listener.id, path }),
        metrics,
      );
      handshakeTimeout = Math.min(handshakeTimeout, service.options.openHandshakeTimeout);
      handlers.set(path, { upgrade: (request, socket, head) => ws.handleUpgrade(request, socket, head), close: () => ws.closeAll() });
    }
    return new HttpListener(listener, handlers, handshakeTimeout, log.child({ transport: listener.id }));
  };

  try {
    for (const listenerConfig of config.listeners) {
      const listener = build(listenerConfig);
      const address = await listener.listen();
      listeners.push(listener);
      ports.set(listenerConfig.id, address.port);
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      for (const path of Object.keys(listenerConfig.paths)) {
        urls.push(`${listener.secure ? 'wss' : 'ws'}://${host}:${address.port}${path}`);
      }
    }
  } catch (error) {
    await Promise.all(listeners.map((listener) => listener.close()));
    await auth.close();
    throw error;
  }
  for (const url of urls) log.info({ url }, 'listening');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      log.info({ sessions: router.sessionCount }, 'shutting down');
      await auth.close();
      await router.shutdown(options.shutdownGraceMs);
      await Promise.all(listeners.map((listener) => listener.close()));
      log.info({}, 'stopped');
    })());

  return { router, metrics, urls, ports, stop };
}
