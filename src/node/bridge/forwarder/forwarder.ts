import { join } from 'node:path';
import type { ForwarderComponentConfig } from '../../../config/model.js';
import type { MetricsRegistry } from '../../../metrics/registry.js';
import type { InternalEventHandler, InternalSession } from '../../../router/internal-session.js';
import { uriProblem } from '../../../protocol/uri.js';
import { UnsupportedConfigError } from '../../auth-wiring.js';
import type { ComponentContext, ComponentFactory, RunningComponent } from '../components.js';
import { HttpSender } from './delivery.js';
import { forwarderMetaUris, registerForwarderMeta } from './meta.js';
import { Outbox } from './outbox.js';
import { acquireOutboxLock, type OutboxLock } from './outbox-lock.js';
import type { Logger } from '../../../router/log.js';
import { DeliveryQueues, type ForwarderMetrics } from './queues.js';
import { forwardBody } from './request.js';
import { ForwarderSessions } from './sessions.js';

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
  const log = context.log;
  const metrics = forwarderMetrics(context.metrics, config.id);
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
  const oldestAge = context.metrics.gauge('junction_forwarder_oldest_age_seconds', 'How long the oldest message in the forwarder outbox has waited for delivery, by component (0: none waiting)');
  const stopCollecting = context.metrics.collect(() => oldestAge.set(queues.oldestAgeMs() / 1000, { component: config.id }));

  const subscribe = async (events: InternalSession): Promise<void> => {
    for (const subscription of config.subscriptions) {
      const onEvent: InternalEventHandler = (args, kwargs, details) => {
        // A pattern subscription's event names its own topic; an exact one's is the pattern.
        const topic = typeof details.topic === 'string' ? details.topic : subscription.topic;
        const facts = { url: subscription.url, topic, publication: details.publication };
        let body: string;
        try {
          body = forwardBody(args, kwargs);
        } catch (error) {
          // This runs inside the router's fan-out: nothing may escape to the other subscribers.
          queues.refuse(facts, `its payload cannot be written as JSON: ${(error as Error).message}`);
          return;
        }
        queues.accept({ ...facts, body });
      };
      try {
        await events.subscribe(subscription.topic, onEvent, subscription.match === 'exact' ? {} : { match: subscription.match });
      } catch (error) {
        throw new Error(`forwarder "${config.id}" could not subscribe to "${subscription.topic}" (${subscription.match}) in realm "${config.realm}"${config.role === undefined ? '' : ` as role "${config.role}"`}: ${(error as Error).message}`);
      }
    }
  };
  const sessions = new ForwarderSessions(async (joined) => {
    const authid = `forwarder:${config.id}`;
    const control = await context.joinTrustedSession(config.realm, authid);
    joined.push(control);
    const events = config.role === undefined ? control : await context.joinBridgeSession(config.realm, config.role, authid);
    if (events !== control) joined.push(events);
    await subscribe(events);
    // Registered last: once the meta procedures answer, the subscriptions are in place.
    await registerForwarderMeta(control, config.id, queues, outbox);
  }, log);

  const stop = async (graceMs: number): Promise<void> => {
    stopCollecting(); // the outbox is about to close
    sessions.stop(); // no new events from here on
    await queues.stop(graceMs);
    await sender.close();
    await outbox.close();
    lock.release();
  };

  try {
    const resumed = queues.resume();
    await sessions.start();
    log.info({ realm: config.realm, subscriptions: config.subscriptions.length, resumed, directory }, 'forwarder started');
  } catch (error) {
    await stop(0);
    throw error;
  }

  const running: RunningComponent = {
    stop: async () => {
      await stop(Math.min(STOP_GRACE_MS, config.timeoutMs));
      log.info({ pending: queues.pending }, 'forwarder stopped');
    },
  };
  return running;
};

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
