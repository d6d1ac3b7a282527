import type { IncomingMessage } from 'node:http';
import type { JunctionConfig, ListenerConfig, PathService } from '../../config/model.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import type { Dict } from '../../protocol/messages.js';
import type { InternalSession } from '../../router/internal-session.js';
import type { Logger } from '../../router/log.js';
import type { Router } from '../../router/router.js';
import type { NodeAuth } from '../auth-wiring.js';
import type { ClusterFeeds } from '../cluster/leased-feed.js';
import type { PortSource } from '../socket-server.js';
import type { CookieJars } from './cookie-jars.js';
import type { HistoryStores } from '../history/history-stores.js';
import type { PathHandler } from './listener.js';

/** Where a request really comes from, once trusted proxies are taken into account. */
export interface ClientAddress {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
  /** Arrived over TLS: our own, or the trusted proxy's (X-Forwarded-Proto: https). */
  secure: boolean;
  /** "tcp4:203.0.113.7:51234", the label sessions and logs use. */
  label: string;
}

/** What the node hands to the parts it runs: the router, auth, logs, metrics and shared helpers. */
export interface NodeContext {
  router: Router;
  auth: NodeAuth;
  /** The configuration this part was built from. */
  config: JunctionConfig;
  /** The configuration the node runs now: config reloads change it after this part was built. */
  runningConfig(): JunctionConfig;
  log: Logger;
  metrics: MetricsRegistry;
  /** When the node started (nodeinfo's uptime). */
  startedAt: Date;
  /** In a cluster: leased feeds, for components that must run on one node at a time (a forwarder). */
  feeds?: ClusterFeeds;
  /** Where listeners get their connections: their own ports, or a `--workers` parent's. */
  ports: PortSource;
  /** Folder for durable state (the forwarder's outbox); created on demand by whoever uses it. */
  dataDir: string;
  /** The cookie sign-ins of the WebSocket paths, kept across config reloads. */
  cookieJars: CookieJars;
  /** The realms' event history files ("cfxdb" stores). */
  historyStores: HistoryStores;
  /** "starting" until every listener is up, "stopping" once shutdown began (health checks). */
  state(): 'starting' | 'serving' | 'stopping';
  /**
   * Joins `realm` as a bridge session acting for HTTP clients or the app: not trusted, so the
   * role's permissions apply to everything it does; not held to the realm's per-session limits,
   * since it carries the traffic of many HTTP clients (the bridge limits those itself). Ends when
   * the node stops.
   */
  joinBridgeSession(realm: string, role: string, authid: string): Promise<InternalSession>;
  /** Joins `realm` as one of the router's own trusted sessions (a component configured without a role). */
  joinTrustedSession(realm: string, authid: string, authextra?: Dict): Promise<InternalSession>;
}

/** What a path service factory gets: the node's context plus where the service is mounted. */
export interface ServiceContext extends NodeContext {
  listener: ListenerConfig;
  /** The normalized path ("/publish"). */
  path: string;
  /** For logs and errors: 'transport "web" path "/publish"'. */
  where: string;
  /** The client's address for a request: the TCP peer's, or X-Forwarded-For's when the peer is a trusted proxy. */
  clientAddress(request: IncomingMessage): ClientAddress;
}

/** Builds the handler of one path service type; may fail start-up with an UnsupportedConfigError. */
export type PathServiceFactory<S extends PathService> = (service: S, context: ServiceContext) => PathHandler | Promise<PathHandler>;
