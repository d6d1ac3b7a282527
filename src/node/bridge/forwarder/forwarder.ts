
import { join } from 'node:path';
import type { ForwarderComponentConfig } from '../../../config/model.js';
import type { MetricsRegistry } from '../../../metrics/registry.js';
import type { Args, Dict } from '../../../protocol/messages.js';
import type { Backplane } from '../../../router/backplane.js';
import type { InternalEventHandler, InternalSession } from '../../../router/internal-session.js';
import type { ClusterFeeds, LeasedFeed } from '../../cluster/leased-feed.js';
import { uriProblem } from '../../../protocol/uri.js';
import { UnsupportedConfigError } from '../../auth-wiring.js';
import type { ComponentContext, ComponentFactory, RunningComponent } from '../component-types.js';
import { HttpSender } from './delivery.js';
import { forwarderMetaHandlers, forwarderMetaUris, registerForwarderMeta, registerMetaUris, type ForwarderMetaHandlers } from './meta.js';
import { answerMetaCalls, relayMetaCall } from './meta-relay.js';
import { Outbox } from './outbox.js';
import { acquireOutboxLock, OutboxInUseError, type OutboxLock } from './outbox-lock.js';
import type { Logger } from '../../../router/log.js';
import { sessionDetailsOf } from '../../../router/session-details-key.js';
import { DeliveryQueues, type ForwarderMetrics } from './queues.js';
import type { ForwardEvent } from './forward-event.js';
import { Refusals } from './refusals.js';
import { forwardBody } from './request.js';
import { ForwarderSessions } from './sessions.js';
import { urlForLog } from '../../../config/mask-secrets.js';

/**
 * Crossbar's MessageForwarder, made durable: the events of the configured subscriptions become
 * HTTP requests to the app, each written to an outbox on disk (LMDB under
 * <dataDir>/forwarder/<id>) before it is sent, retried with backoff until the app accepts it,
 * in order per topic, and kept as a dead letter when it never does.
 */

/** Dead letters kept per forwarder; the oldest are dropped (with an error log) beyond this. */
export const DEAD_LETTER_LIMIT = 10_000;
/** At stop, requests in flight get this long (at most the request timeout) to finish. */
const STOP_GRACE_MS = 5_000;
/** An id names a folder and a URI component: nothing that could climb out of either. */
const SAFE_ID = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;

export const forwarderComponent: ComponentFactory<ForwarderComponentConfig> = async (config, context) => {
  checkNames(config, context);
  const metrics = { ...forwarderMetrics(context.metrics, config.id), oldestAge: oldestAgeGauge(context.metrics, config.id) };
  return context.feeds ? clusteredForwarder(config, context, metrics, context.feeds) : singleForwarder(config, context, metrics);
};

type Metrics = ReturnType<typeof forwarderMetrics> & { oldestAge: ReturnType<typeof oldestAgeGauge> };
/** Takes one event of the forwarder's subscriptions (inside the router's fan-out: it must not throw). */
type Intake = (event: ForwardEvent) => void;

/** The forwarder on a node alone: it takes the events, stores and delivers them. */
async function singleForwarder(config: ForwarderComponentConfig, context: ComponentContext, metrics: Metrics): Promise<RunningComponent> {
  const log = context.log;
  const delivery = openDelivery(config, context, metrics);
  const sessions = new ForwarderSessions(async (joined) => {
    const { control, events } = await joinSessions(config, context, joined);
    await subscribe(config, events, (event) => delivery.queues.accept(event), delivery.queues);
    // Registered last: once the meta procedures answer, the subscriptions are in place.
    await registerForwarderMeta(control, config.id, delivery.queues, delivery.outbox);
  }, log);

  const stop = async (graceMs: number): Promise<void> => {
    sessions.stop(); // no new events from here on
    await delivery.stop(graceMs);
  };
  try {
    const resumed = delivery.queues.resume();
    await sessions.start();
    log.info({ realm: config.realm, subscriptions: config.subscriptions.length, resumed, directory: delivery.directory }, 'forwarder started');
  } catch (error) {
    await stop(0);
    throw error;
  }
  return {
    stop: async () => {
      await stop(Math.min(STOP_GRACE_MS, config.timeoutMs));
      log.info({ pending: delivery.queues.pending }, 'forwarder stopped');
    },
  };
}

/**
 * The forwarder in a cluster (leased-feed.ts): every node subscribes and appends the events of
 * the publications made on it to the forwarder's shared feed; the one node holding the lease
 * opens the outbox, takes the feed into it in order, delivers, and answers the meta procedures
 * (registered on every node; the others relay a call to the holder: meta-relay.ts).
 * A publication from another node is skipped here: its own node took it. The on_leave events of
 * a dead node's sessions, which every living node makes, are taken by the first living node.
 */
async function clusteredForwarder(config: ForwarderComponentConfig, context: ComponentContext, metrics: Metrics, feeds: ClusterFeeds): Promise<RunningComponent> {
  const log = context.log;
  const broker = context.router.realm(config.realm)!.broker;
  const feed = feeds.feed(`forwarder:${config.id}`, { messages: config.outboxLimit, bytes: config.outboxLimitBytes });
  const refusals = new Refusals(metrics.refused, log);
  let held: { delivery: Delivery; meta: ForwarderMetaHandlers } | undefined;
  const release = async (graceMs: number): Promise<void> => {
    const current = held;
    held = undefined;
    await current?.delivery.stop(graceMs);
  };
  /** Opens the outbox on taking the lease, or at the next batch when that failed (the previous holder's lock not yet let go). */
  const hold = async (): Promise<Delivery> => {
    if (held) return held.delivery;
    const delivery = openDelivery(config, context, metrics);
    held = { delivery, meta: forwarderMetaHandlers(delivery.queues, delivery.outbox) };
    const resumed = delivery.queues.resume();
    log.info({ resumed, directory: delivery.directory }, 'forwarder lease held: this node delivers its events');
    return delivery;
  };
  feed.run({
    granted: async () => void (await hold()),
    take: async (entries) => {
      const { queues } = await hold();
      // A refused entry is logged and counted by the queues, and leaves the feed like a stored one.
      await Promise.all(entries.map((entry) => queues.take(entry)));
    },
    lost: () => release(Math.min(STOP_GRACE_MS, config.timeoutMs)),
    heldElsewhere: () => handBack(feed, { directory: join(context.dataDir, 'forwarder', config.id), what: `forwarder "${config.id}"`, log, onBytesChanged: metrics.outboxBytes.set }),
  });
  const backplane = context.router.backplane;
  if (!backplane) throw new Error(`forwarder "${config.id}": a cluster's feeds were given without its backplane`);
  const stopAnswering = answerMetaCalls(backplane, config.id, () => held?.meta);
  // Registered on every node: the holder's answers from its outbox, the others ask the holder.
  const meta = Object.fromEntries((['status', 'deadLetters', 'retryDeadLetters'] as const).map((kind) => [kind,
    async (args: Args, kwargs: Dict) => held ? held.meta[kind](args, kwargs)
      : relayMetaCall(backplane, await feed.holderNode(), { id: config.id, kind, args, kwargs })])) as ForwarderMetaHandlers;
  const intake: Intake = (event) => {
    const delivering = broker.delivering;
    if (delivering === 'remote') return; // its own node took it
    // Each living node makes the on_leave of a dead node's sessions for its own subscribers: one takes them.
    if (delivering === 'stand-in' && !firstOfLivingNodes(backplane)) return;
    void feed.append(event).then((refused) => {
      if (refused !== undefined) refusals.refuse(event, refused);
    });
  };
  const sessions = new ForwarderSessions(async (joined) => {
    const { control, events } = await joinSessions(config, context, joined);
    await subscribe(config, events, intake, refusals);
    await registerMetaUris(control, config.id, meta);
  }, log);
  try {
    await sessions.start();
    log.info({ realm: config.realm, subscriptions: config.subscriptions.length }, 'forwarder started: this node takes its publications into the cluster\'s feed');
  } catch (error) {
    stopAnswering();
    await feed.close();
    throw error;
  }
  return {
    stop: async () => {
      sessions.stop();
      stopAnswering();
      await feed.close(); // the holder's lost() runs before the lease is handed on
      refusals.flush();
      log.info({}, 'forwarder stopped');
    },
  };
}

/**
 * Another node (maybe on another machine) holds the lease: what this node's outbox still holds
 * from its own time as holder goes back to the feed, oldest first per queue, so that the holder
 * delivers it. Each message leaves the outbox once the feed has it; if the feed refuses one, the
 * rest of its queue stays for later. Dead letters stay here (this node's meta procedures list
 * them when it holds the lease again). Skipped when the outbox is in use on this machine.
 */
export async function handBack(feed: LeasedFeed, outboxAt: { directory: string; what: string; log: Logger; onBytesChanged: (bytes: number) => void }): Promise<void> {
  const { directory, what, log, onBytesChanged } = outboxAt;
  let opened: ReturnType<typeof openLockedOutbox>;
  try {
    opened = openLockedOutbox(directory, what, log, onBytesChanged);
  } catch (error) {
    if (error instanceof OutboxInUseError) return; // a process of this machine holds it: it delivers
    throw error;
  }
  const { outbox, lock } = opened;
  let handed = 0;
  try {
    for (const queue of outbox.load()) {
      for (const seq of queue.seqs) {
        const ref = { url: queue.url, topic: queue.topic, seq };
        const message = outbox.get(ref);
        if (!message) continue;
        const { url, topic, publication, body, feed: place } = message;
        // With its place the feed skips it if it has it already (its removal did not run when this node lost the lease) or another holder does.
        const refused = await feed.append({ url, topic, publication, body, ...(place === undefined ? {} : { feed: place }) });
        if (refused !== undefined) {
          log.warn({ url: urlForLog(queue.url), topic: queue.topic, reason: refused }, 'could not hand the rest of a queue back to the cluster\'s feed; it stays in this node\'s outbox');
          break;
        }
        await outbox.remove(ref);
        handed++;
      }
    }
  } finally {
    await outbox.close();
    lock.release();
    onBytesChanged(0); // the holder reports the outbox, not this node
  }
  if (handed > 0) log.warn({ handed, directory }, 'another node holds the forwarder lease: handed what this node\'s outbox held back to the cluster\'s feed (order against newer events of the same topic is not kept)');
}

/** Whether this node's name comes first among the living nodes it knows (they agree once they know each other). */
function firstOfLivingNodes(backplane: Backplane): boolean {
  return backplane.peers().every((peer) => backplane.nodeId < peer);
}

/**
 * The forwarder's sessions: a trusted one for its meta procedures, and the one that takes the
 * events (the same session unless the config names a role, whose permissions then apply).
 */
async function joinSessions(
  config: ForwarderComponentConfig, context: ComponentContext, joined: InternalSession[],
): Promise<{ control: InternalSession; events: InternalSession }> {
  const authid = forwarderAuthid(config);
  const control = await context.joinTrustedSession(config.realm, authid);
  joined.push(control);
  const events = config.role === undefined ? control : await context.joinBridgeSession(config.realm, config.role, authid);
  if (events !== control) joined.push(events);
  return { control, events };
}

function forwarderAuthid(config: ForwarderComponentConfig): string {
  return `forwarder:${config.id}`;
}

/** Subscribes `events` to each of the forwarder's topics; each event becomes a ForwardEvent for `intake`. */
async function subscribe(config: ForwarderComponentConfig, events: InternalSession, intake: Intake, refusals: Pick<Refusals, 'refuse'>): Promise<void> {
  for (const subscription of config.subscriptions) {
    const onEvent: InternalEventHandler = (args, kwargs, details) => {
      // A pattern subscription's event names its own topic; an exact one's is the pattern.
      const topic = typeof details.topic === 'string' ? details.topic : subscription.topic;
      const facts = { url: subscription.url, topic, publication: details.publication };
      let body: string;
      try {
        // wamp.session.on_leave: the webhook's kwargs are the leaving session's details (docs/forwarder.md).
        body = forwardBody(args, sessionDetailsOf(details) ?? kwargs);
      } catch (error) {
        // This runs inside the router's fan-out: nothing may escape to the other subscribers.
        refusals.refuse(facts, `its payload cannot be written as JSON: ${(error as Error).message}`);
        return;
      }
      intake({ ...facts, body });
    };
    try {
      await events.subscribe(subscription.topic, onEvent, subscription.match === 'exact' ? {} : { match: subscription.match });
    } catch (error) {
      throw new Error(`forwarder "${config.id}" could not subscribe to "${subscription.topic}" (${subscription.match}) in realm "${config.realm}"${config.role === undefined ? '' : ` as role "${config.role}"`}: ${(error as Error).message}`);
    }
  }
}

/** The outbox (locked), its delivery queues and their sender: what the node that delivers holds. */
interface Delivery {
  directory: string;
  outbox: Outbox;
  queues: DeliveryQueues;
  /** Stops delivering (requests in flight get `graceMs`), closes the outbox and lets go of its lock. */
  stop(graceMs: number): Promise<void>;
}

function openDelivery(config: ForwarderComponentConfig, context: ComponentContext, metrics: Metrics): Delivery {
  const log = context.log;
  const directory = join(context.dataDir, 'forwarder', config.id);
  const { outbox, lock } = openLockedOutbox(directory, `forwarder "${config.id}"`, log, metrics.outboxBytes.set);
  const sender = new HttpSender({
    method: config.method,
    timeoutMs: config.timeoutMs,
    connectionsPerOrigin: config.concurrencyPerUrl,
    ...(config.expectedCode === undefined ? {} : { expectedCode: config.expectedCode }),
  });
  const queues = new DeliveryQueues(
    {
      headers: config.headers,
      retry: config.retry,
      outboxLimit: config.outboxLimit,
      outboxLimitBytes: config.outboxLimitBytes,
      concurrencyPerUrl: config.concurrencyPerUrl,
      ...(config.signingSecret === undefined ? {} : { signingSecret: config.signingSecret }),
    },
    { outbox, sender, log, metrics },
  );
  const stopCollecting = context.metrics.collect(() => metrics.oldestAge.set(queues.oldestAgeMs() / 1000));
  return {
    directory, outbox, queues,
    stop: async (graceMs) => {
      stopCollecting(); // the outbox is about to close
      metrics.oldestAge.set(0); // nothing waits on this node any more
      await queues.stop(graceMs);
      await sender.close();
      await outbox.close();
      lock.release();
      // Not this node's outbox any more (a lost lease): the next holder reports it.
      metrics.pending.set(0);
      metrics.outboxBytes.set(0);
    },
  };
}

/**
 * Locks the folder, then opens its outbox: a second node on the same folder would deliver the
 * same messages. `what` names the owner in the lock's messages.
 */
export function openLockedOutbox(directory: string, what: string, log: Logger, onBytesChanged: (bytes: number) => void): { outbox: Outbox; lock: OutboxLock } {
  const lock = acquireOutboxLock(directory, what, log);
  try {
    return { outbox: new Outbox(directory, { deadLetterLimit: DEAD_LETTER_LIMIT, onBytesChanged }), lock };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** The id becomes a folder name and part of the meta procedures' URIs: check both before use. */
function checkNames(config: ForwarderComponentConfig, context: ComponentContext): void {
  if (!SAFE_ID.test(config.id)) {
    throw new UnsupportedConfigError(`forwarder "${config.id}": its id names its outbox folder and meta procedures; use 1 to 64 letters, digits, "_" or "-"`);
  }
  const realm = context.config.realms.find((candidate) => candidate.name === config.realm);
  if (!realm) throw new UnsupportedConfigError(`forwarder "${config.id}": realm "${config.realm}" is not configured`);
  const problem = uriProblem(forwarderMetaUris(config.id).status, { strict: realm.options.uriCheck === 'strict' });
  if (problem) throw new UnsupportedConfigError(`forwarder "${config.id}": its meta procedures' URIs need an id valid in realm "${config.realm}": ${problem}`);
}

/**
 * Every node running the forwarder exports the gauge from its start, not only the node that holds
 * the lease and delivers (and only once it took it): a scrape of any node, at any time, finds it.
 */
function oldestAgeGauge(registry: MetricsRegistry, id: string): { set(seconds: number): void } {
  const labels = { component: id };
  const gauge = registry.gauge('junction_forwarder_oldest_age_seconds', 'How long the oldest message in the forwarder outbox has waited for delivery, by component (0: none waiting)');
  gauge.set(0, labels);
  return { set: (seconds) => gauge.set(seconds, labels) };
}

/** The forwarder's counters for one component id (a Pusher app's webhooks use them too). */
export function forwarderMetrics(registry: MetricsRegistry, id: string): ForwarderMetrics & { outboxBytes: { set(bytes: number): void } } {
  const labels = { component: id };
  const pending = registry.gauge('junction_forwarder_pending', 'Messages in the forwarder outbox not yet delivered, by component');
  pending.set(0, labels);
  const bytes = registry.gauge('junction_forwarder_outbox_bytes', 'Bytes the forwarder outbox holds on disk (undelivered messages and dead letters), by component');
  bytes.set(0, labels);
  return {
    outboxBytes: { set: (value) => bytes.set(value, labels) },
    delivered: registry.counter('junction_forwarder_delivered_total', 'Messages the app accepted, by component').bind(labels),
    retried: registry.counter('junction_forwarder_retries_total', 'Failed delivery attempts that were scheduled again, by component').bind(labels),
    deadLettered: registry.counter('junction_forwarder_dead_lettered_total', 'Messages moved to the dead letters after their last attempt, by component').bind(labels),
    refused: registry.counter('junction_forwarder_refused_total', 'Events not taken into the outbox (full, or not storable), by component').bind(labels),
    pending: { set: (value) => pending.set(value, labels) },
  };
}
