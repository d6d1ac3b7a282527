import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { maskSecrets } from '../config/mask-secrets.js';
import type { Args, Dict } from '../protocol/messages.js';
import { ErrorUri } from '../protocol/errors.js';
import { InternalCallError, type InternalHandler, type InternalSession } from '../router/internal-session.js';
import { refuseUnknownKeywords } from '../router/meta/arguments.js';
import { MAX_LISTING_BYTES, registrationListing, sessionListing, subscriptionListing, type Listing } from '../router/meta/inventory.js';
import type { Realm } from '../router/realm.js';
import type { SessionOrigin } from '../router/session.js';
import type { Counter } from '../metrics/registry.js';
import { ConsoleCluster, type ConsoleAnswers, type ListingKind } from './console-cluster.js';
import { mergeListings, mergeStats } from './console-merge.js';
import { nodeInfo, packageVersion } from './web/nodeinfo.js';
import type { NodeContext } from './web/service-context.js';

/**
 * What the console needs beyond the WAMP meta API, as ordinary procedures of the console's realm
 * (docs/console.md): a role may call them only where its permissions allow `call` on them.
 *
 *   junction.node.stats          version, uptime, realms, counts, message counters, memory, event-loop delay
 *   junction.config.get          the running configuration with every secret masked
 *   junction.session.list        every session with its details, join time, subscriptions and registrations
 *   junction.subscription.list   every subscription with match policy, subscriber count, retained topics, history size
 *   junction.registration.list   every registration with invocation policy and callees
 *
 * In a cluster the listings and the stats answer for every node (console-cluster.ts asks, console-merge.ts merges).
 */
export const consoleProcedureUris = {
  nodeStats: 'junction.node.stats',
  configGet: 'junction.config.get',
  sessionList: 'junction.session.list',
  subscriptionList: 'junction.subscription.list',
  registrationList: 'junction.registration.list',
} as const;

/** Items a listing answers at most; the answer says when there were more (kwarg `limit` lowers it). */
export const MAX_LISTING = 1_000;
/** The event-loop delay is measured over windows of this length; stats report the last full window. */
export const DELAY_WINDOW_MS = 5_000;

export interface ConsoleProcedures {
  stop(): void;
}

/** Registers the console's procedures in `realm` through a trusted session of the node. */
export async function startConsoleProcedures(node: NodeContext, realm: Realm): Promise<ConsoleProcedures> {
  const delay = new DelaySampler();
  const version = packageVersion();
  const here: ConsoleAnswers = {
    listing: (kind: ListingKind) => listingsByKind[kind](realm, MAX_LISTING),
    stats: () => nodeStats(node, realm, version, delay),
  };
  // In a cluster the other nodes' consoles ask this one for its part, and it asks theirs.
  const cluster = node.router.backplane ? new ConsoleCluster(node.router.backplane, realm.name, here) : undefined;
  const stop = () => {
    cluster?.stop();
    delay.stop();
  };
  const session = await node.joinTrustedSession(realm.name, 'junction.console').catch((error: unknown) => {
    stop();
    throw error;
  });
  try {
    await registerAll(session, consoleHandlers(node, realm, here, cluster));
  } catch (error) {
    stop();
    session.leave();
    throw error;
  }
  return {
    stop: () => {
      stop();
      session.leave();
    },
  };
}

const listingsByKind: Record<ListingKind, (realm: Realm, limit: number) => Listing> = {
  sessions: sessionListing,
  subscriptions: subscriptionListing,
  registrations: registrationListing,
};

async function registerAll(session: InternalSession, handlers: Record<string, InternalHandler>): Promise<void> {
  for (const [uri, handler] of Object.entries(handlers)) await session.register(uri, handler);
}

function consoleHandlers(node: NodeContext, realm: Realm, here: ConsoleAnswers, cluster: ConsoleCluster | undefined): Record<string, InternalHandler> {
  // Without a cluster, this node's listing; in one, every node's, merged within the same bounds.
  const listed = (kind: ListingKind) => async (args: Args, kwargs: Dict) => {
    const limit = readLimit(args, kwargs);
    if (!cluster) return listingsByKind[kind](realm, limit);
    return mergeListings(await cluster.listings(kind), limit, MAX_LISTING_BYTES);
  };
  return {
    [consoleProcedureUris.nodeStats]: async (_args, kwargs) => {
      refuseUnknownKeywords(kwargs, []);
      if (!cluster) return here.stats();
      // This node's own figures as without a cluster, plus every node's and the sums.
      const parts = await cluster.stats();
      const own = parts.find((part) => part.node === cluster.nodeId);
      return { ...(own && 'answer' in own ? own.answer : {}), node: cluster.nodeId, cluster: mergeStats(parts) };
    },
    // The configuration running now: a reload's, once one was applied.
    [consoleProcedureUris.configGet]: (_args, kwargs) => {
      refuseUnknownKeywords(kwargs, []);
      return maskSecrets(node.runningConfig());
    },
    [consoleProcedureUris.sessionList]: listed('sessions'),
    [consoleProcedureUris.subscriptionList]: listed('subscriptions'),
    [consoleProcedureUris.registrationList]: listed('registrations'),
  };
}

function nodeStats(node: NodeContext, realm: Realm, version: string, delay: DelaySampler): Dict {
  const config = node.runningConfig();
  const info = nodeInfo({ ...node, config }, version);
  const forwarders = config.components.filter((component) => component.kind === 'forwarder' && component.realm === realm.name).map((component) => component.id);
  const counters = node.router.metrics;
  const labels = { realm: realm.name };
  const memory = process.memoryUsage();
  return {
    version,
    started: info.started,
    uptime_seconds: info.uptime_seconds,
    realm: realm.name,
    realms: info.realms,
    // As the listings count them: the bridge's sessions in, the router's own and wamp.* ones out.
    sessions: sessionListing(realm, 0).total,
    subscriptions: subscriptionListing(realm, 0).total,
    registrations: registrationListing(realm, 0).total,
    // Counters since start, clients' and the node's own sessions' together; the console turns two readings into rates.
    messages_received: allOrigins(counters.messagesReceived, {}),
    publications: allOrigins(counters.published, labels),
    events_sent: allOrigins(counters.eventsSent, labels),
    calls: allOrigins(counters.calls, labels),
    memory: { rss: memory.rss, heap_used: memory.heapUsed, heap_total: memory.heapTotal },
    event_loop_delay_ms: delay.lastWindow(),
    forwarders,
    now: new Date().toISOString(),
  };
}

const origins: readonly SessionOrigin[] = ['client', 'internal'];

function allOrigins(counter: Counter, labels: Record<string, string>): number {
  let total = 0;
  for (const origin of origins) total += counter.value({ ...labels, origin });
  return total;
}

/** A listing's `limit` (kwarg or first positional argument); no other keyword is known. */
function readLimit(args: Args, kwargs: Dict): number {
  refuseUnknownKeywords(kwargs, ['limit']);
  const value = kwargs.limit ?? args[0];
  if (value === undefined || value === null) return MAX_LISTING;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_LISTING) {
    throw new InternalCallError(ErrorUri.invalidArgument, [`limit must be an integer from 1 to ${MAX_LISTING}`]);
  }
  return value;
}

/** Event-loop delay (mean, p99, max in ms) of the last full window, so that readers do not reset each other's figures. */
class DelaySampler {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private last = { mean: 0, p99: 0, max: 0 };
  private readonly timer: ReturnType<typeof setInterval>;

  constructor() {
    this.histogram.enable();
    this.timer = setInterval(() => this.roll(), DELAY_WINDOW_MS);
    this.timer.unref();
  }

  lastWindow(): { mean: number; p99: number; max: number } {
    return this.last;
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  private roll(): void {
    const ms = (ns: number) => (Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : 0);
    this.last = { mean: ms(this.histogram.mean), p99: ms(this.histogram.percentile(99)), max: ms(this.histogram.max) };
    this.histogram.reset();
  }
}
