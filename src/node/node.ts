import { resolve } from 'node:path';
import type { JunctionConfig } from '../config/model.js';
import { defaultOpenHandshakeTimeoutMs } from '../config/schema-websocket.js';
import { MetricsRegistry } from '../metrics/registry.js';
import { InternalSession } from '../router/internal-session.js';
import type { Backplane } from '../router/backplane.js';
import type { ClusterFeeds } from './cluster/leased-feed.js';
import type { Logger } from '../router/log.js';
import { defaultShutdownGraceMs, Router } from '../router/router.js';
import type { RealmSettings } from '../router/realm.js';
import { callQueuesInClusterRefusal } from '../router/dealer/call-queue.js';
import { NodeAuth, UnsupportedConfigError } from './auth-wiring.js';
import { meterConnections } from './connection-meter.js';
import { startProcessMetrics } from './process-metrics.js';
import { meterSignIn } from './sign-in-metrics.js';
import { meterCaches } from './cache-metrics.js';
import { bindFailure, checkPortsFree, checkTlsFiles, type EndpointSettings } from './startup-errors.js';
import { startComponents, stopComponents } from './bridge/components.js';
import type { RunningComponent } from './bridge/component-types.js';
import { rlinkMetrics } from './rlink/rlink-metrics.js';
import type { RunningRouterLinks } from './rlink/router-links.js';
import { buildListener } from './listeners.js';
import type { Listener, ServedUrl } from './listener-types.js';
import { realmSettings } from './realm-settings.js';
import { HistoryStores } from './history/history-stores.js';
import type { ReloadReport } from './reload/apply.js';
import { ownPorts, type PortSource } from './socket-server.js';
import { CookieJars } from './web/cookie-jars.js';
import type { NodeContext } from './web/service-context.js';
import { GuestWorkers } from './workers/guest-workers.js';
import { RouterPython, runsRouterComponents } from './workers/router-python.js';
import { onDemand } from './on-demand.js';

/** Router links and the Redis cookie store, loaded when the configuration has them; what applies a reload, at the first. */
const rlinkModule = onDemand('router links', () => import('./rlink/router-links.js'));
const redisCookieModule = onDemand('the Redis cookie store', () => import('./cluster/redis-cookie-store.js'));
const reloadModule = onDemand('what applies a reload', () => import('./reload/apply.js'));

export type { Listener, ServedUrl };

export interface NodeOptions {
  log: Logger;
  metrics?: MetricsRegistry;
  /** How long the sessions have, at a stop, to finish their calls and answer the GOODBYE (twice: the clients', then the node's own). */
  shutdownGraceMs?: number;
  /** Folder for durable state (the forwarder's outbox). Default: ".junction" in the working directory. */
  dataDir?: string;
  /** Makes this node one of a cluster (`--workers`); closed after the router shut down. */
  backplane?: Backplane;
  /** With a backplane: the leased feeds through which forwarders run once per cluster; closed with it. */
  feeds?: ClusterFeeds;
  /**
   * Whether to bind and release every fixed port first (default true). False in a worker of
   * `--workers`: its parent checked them and binds them (see `ports`).
   */
  checkPorts?: boolean;
  /** What a failed bind tells the user to change (default: the config; the command line alone for the embedded default). */
  endpointSettings?: EndpointSettings;
  /** Where listeners get their connections (default: they bind their endpoints; a `--workers` worker gets them from its parent). */
  ports?: PortSource;
  /** Asks the node's owner to stop it when a guest or container worker's exit fires a shutdown trigger (default: the node keeps running). */
  stopNode?: () => void;
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
  /**
   * Applies a new, validated configuration while running (see docs/configuration.md,
   * "Reloading"): what changed is rebuilt and swapped in; sessions on unchanged parts stay.
   * Reloads run one at a time, in the order asked.
   */
  reload(next: JunctionConfig): Promise<ReloadReport>;
  /** GOODBYE to every session, then close every connection and port. */
  stop(): Promise<void>;
}

/** Wires a validated configuration into a running router with its components and listeners. */
export async function startNode(config: JunctionConfig, options: NodeOptions): Promise<RunningNode> {
  const log = options.log;
  checkTlsFiles(config.listeners, config.rlinks);
  // Each process of a cluster would mirror and forward the same traffic again.
  if (options.backplane && config.rlinks.length > 0) throw new UnsupportedConfigError((await rlinkModule('rlinks')).rlinksInClusterRefusal);
  if (options.backplane && config.realms.some((realm) => realm.store.callQueue.length > 0)) throw new UnsupportedConfigError(callQueuesInClusterRefusal);
  if (options.checkPorts ?? true) await checkPortsFree(config.listeners, options.endpointSettings); // before any session joins: a busy port fails quietly and at once
  const redisCookies = config.cluster && await redisCookieModule('cluster'); // loaded before anything is opened
  const metrics = options.metrics ?? new MetricsRegistry();
  const { signIn } = config;
  const auth = new NodeAuth(config, {
    log: log.child({ part: 'auth' }),
    throttle: { budget: signIn.failureBudget, forgiveMs: signIn.forgiveAfterMs, spacingMs: signIn.spacingMs, maxWaitMs: signIn.maxWaitMs },
    challengeTimeoutMs: signIn.challengeTimeoutMs,
    dynamicCallTimeoutMs: signIn.dynamicTimeoutMs,
  });
  const historyStores = new HistoryStores(log, metrics);
  const realms: RealmSettings[] = [];
  try {
    // One at a time: a second realm naming the first one's history file is refused.
    for (const realm of config.realms) realms.push(await realmSettings(auth, realm, historyStores));
  } catch (error) {
    await historyStores.close();
    throw error;
  }
  const router = new Router({
    realms,
    log,
    metrics,
    helloTimeoutMs: defaultOpenHandshakeTimeoutMs,
    backplane: options.backplane,
    leaseMs: config.cluster?.leaseMs,
  });
  auth.attach(router);
  await router.ready(); // the meta API is registered before any client can connect

  let state: 'starting' | 'serving' | 'stopping' = 'starting';
  let running = config;
  const attach = router.attach.bind(router);
  const dataDir = resolve(options.dataDir ?? '.junction');
  const cookieJars = new CookieJars({
    log: log.child({ part: 'cookie' }), metrics, dataDir,
    ...(options.backplane && { backplane: options.backplane }),
    ...(config.cluster && redisCookies?.redisCookieStores(config.cluster, options.backplane?.nodeId ?? 'node', log.child({ part: 'cookie' }), metrics)),
  });
  const context: NodeContext = {
    router, auth, config, log, metrics,
    ...(options.feeds && { feeds: options.feeds }),
    startedAt: new Date(),
    ports: options.ports ?? ownPorts,
    dataDir,
    cookieJars,
    historyStores,
    state: () => state,
    runningConfig: () => running,
    joinBridgeSession: (realm, role, authid) =>
      InternalSession.join(attach, realm, { authid, authrole: role, authmethod: 'bridge', authprovider: 'junction' }, { trusted: false, exemptFromLimits: true }),
    joinTrustedSession: (realm, authid, authextra) => InternalSession.join(attach, realm, { authid, authrole: 'trusted', ...(authextra && { authextra }) }),
  };

  const listeners = new Map<string, Listener>();
  const ports = new Map<string, number>();
  let components = new Map<string, RunningComponent>();
  const stopProcessMetrics = startProcessMetrics(metrics);
  const stopSignInMetrics = meterSignIn(auth, metrics);
  const stopCacheMetrics = meterCaches(auth, metrics);
  const guests = new GuestWorkers({
    log: log.child({ part: 'guests' }), metrics,
    ...(options.stopNode && { shutdown: { triggers: config.shutdownTriggers, stopNode: options.stopNode } }),
  });
  const routerPython = new RouterPython(context);
  let rlinks: RunningRouterLinks | undefined;
  try {
    components = await startComponents(config.components, context);
    for (const listenerConfig of config.listeners) {
      const listener = await buildListener(listenerConfig, context);
      meterConnections(listener.server, listenerConfig.id, metrics);
      const bound = await listener.listen().catch((error: unknown) => {
        throw bindFailure(error, listenerConfig, options.endpointSettings);
      });
      listeners.set(listenerConfig.id, listener);
      ports.set(listenerConfig.id, bound.port);
    }
    // As Crossbar starts them after the router worker: a guest that connects at once finds the router listening.
    await guests.apply([...config.guests, ...(await routerPython.guests(config.routerPython))]);
    if (config.rlinks.length > 0) rlinks = (await rlinkModule('rlinks')).startRouterLinks(config.rlinks, { joinLocal: context.joinTrustedSession, log: log.child({ part: 'rlink' }), metrics });
    else rlinkMetrics(metrics); // the links' metrics are exported at zero without links too
  } catch (error) {
    await rlinks?.stop();
    await guests.stop();
    await routerPython.close();
    await Promise.all([...listeners.values()].map((listener) => listener.close()));
    await stopComponents(components.values());
    await cookieJars.close();
    await auth.close();
    await router.shutdown(0);
    await historyStores.close();
    await options.feeds?.close();
    await options.backplane?.close();
    stopProcessMetrics();
    stopSignInMetrics();
    stopCacheMetrics();
    throw error;
  }
  const services: ServedUrl[] = [];
  const urls: string[] = [];
  const listServed = (): void => {
    services.splice(0, services.length, ...[...listeners.values()].flatMap((listener) => listener.served()));
    urls.splice(0, urls.length, ...services.filter((served) => served.service === 'websocket').map((served) => served.url));
  };
  listServed();
  for (const served of services) log.info(served, 'listening');
  state = 'serving';

  let reloading: Promise<unknown> = Promise.resolve();
  const reload = (next: JunctionConfig): Promise<ReloadReport> => {
    const applied = reloading.then(async () => {
      if (state !== 'serving') throw new Error('the node is shutting down');
      const { applyConfig } = await reloadModule('reload');
      const report = await applyConfig({ router, auth, context, listeners, components, ports, guests, routerPython }, running, next);
      running = report.running;
      listServed();
      return report;
    });
    reloading = applied.catch(() => undefined);
    return applied;
  };

  let stopping: Promise<void> | undefined;
  const grace = options.shutdownGraceMs ?? defaultShutdownGraceMs;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      state = 'stopping';
      // First, on every door at once: a client arriving now is refused before it signs in, while
      // the sessions joined keep working until the router's GOODBYE below.
      router.refuseClientSessions();
      await reloading;
      const joined = router.joinedSessions();
      log.info({ client_sessions: joined.client, internal_sessions: joined.internal }, 'shutting down');
      // The order (docs/configuration.md, "Stopping"): what calls leaves before what it calls.
      // Guests are clients: they leave while everything they use still answers.
      await guests.stop((guest) => !runsRouterComponents(guest));
      // Then the clients: each gets its GOODBYE once its calls are answered, as everything they
      // call (components, router Python components, router links, dynamic authorizers) still serves.
      await router.closeClientSessions(grace, (session) => routerPython.carries(session));
      await rlinks?.stop();
      await guests.stop();
      await routerPython.close();
      await stopComponents(components.values());
      await auth.close();
      await router.shutdown(grace);
      await Promise.all([...listeners.values()].map((listener) => listener.close()));
      await cookieJars.close();
      await historyStores.close();
      await options.feeds?.close();
      await options.backplane?.close();
      stopProcessMetrics();
      stopSignInMetrics();
      stopCacheMetrics();
      log.info({}, 'stopped');
    })());

  return { router, metrics, urls, services, ports, reload, stop };
}
