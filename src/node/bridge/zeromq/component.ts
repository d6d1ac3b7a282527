import { Pull, Subscriber } from 'zeromq';
import type { ZeromqComponentConfig } from '../../../config/model.js';
import { InternalCallError } from '../../../router/internal-session.js';
import { UnsupportedConfigError } from '../../auth-wiring.js';
import { BridgeSession } from '../../web/http-bridge/bridge-session.js';
import { joinComponentSession } from '../component-session.js';
import type { ComponentContext, ComponentFactory } from '../component-types.js';
import { readZeromqMessage, type ZeromqPublication } from './zeromq-message.js';
import { QuietWarning } from '../../../router/limits/warning-throttle.js';

/**
 * Publications awaiting the router's acknowledgement; past this the socket is not read, so the
 * sender's ZeroMQ queue (its high-water mark) holds the rest.
 */
const MAX_IN_FLIGHT = 256;

/**
 * Junction's `zeromq` component: binds or connects a PULL (or SUB) socket and publishes each
 * message it receives, through one bridge session in the configured realm and role, so the
 * realm's authorization applies. A malformed or refused message is counted and logged (at most
 * every 10 s), never fatal; ZeroMQ itself refuses messages over max_message_bytes (uncounted: the
 * socket reports only a plain disconnect, as when a sender closes).
 */
export const zeromqComponent: ComponentFactory<ZeromqComponentConfig> = async (config, context) => {
  const where = `component "${config.id}"`;
  const realm = context.config.realms.find((candidate) => candidate.name === config.realm);
  if (!realm) throw new UnsupportedConfigError(`${where}: realm "${config.realm}" is not configured`);
  const rules = { strict: realm.options.uriCheck === 'strict' };
  const log = context.log;
  const metrics = zeromqMetrics(context, config.id);
  const malformed = new QuietWarning(log);
  const refused = new QuietWarning(log);
  let stopping = false;
  const bridge = new BridgeSession(() => joinComponentSession(config, context), () => stopping, config.realm, log);
  await bridge.start(where);

  const socket = openSocket(config);
  try {
    if (config.endpoint.mode === 'bind') await socket.bind(config.endpoint.address);
    else socket.connect(config.endpoint.address);
  } catch (error) {
    socket.close();
    await bridge.close();
    throw new UnsupportedConfigError(`${where}: cannot ${config.endpoint.mode} ${config.endpoint.address}: ${(error as Error).message}`);
  }

  const inFlight = new Set<Promise<void>>();
  const publish = (publication: ZeromqPublication): Promise<void> =>
    bridge.get()
      .then((session) => session.publishAcknowledged(publication.topic, publication.args, publication.kwargs, publication.options))
      .then(
        () => metrics.published.inc(),
        (error: Error) => {
          metrics.refused.inc();
          const reason = error instanceof InternalCallError ? `${error.uri}: ${String(error.args[0] ?? '')}` : error.message;
          refused.warn({ topic: publication.topic, reason }, 'a ZeroMQ message was not published');
        },
      );

  const receiving = (async () => {
    for await (const frames of socket) {
      metrics.received.inc();
      let publication: ZeromqPublication;
      try {
        publication = readZeromqMessage(frames, config.topicField, rules, context.config.maxNestingDepth);
      } catch (error) {
        metrics.malformed.inc();
        malformed.warn({ reason: (error as Error).message, bytes: frames.reduce((sum, frame) => sum + frame.length, 0) }, 'a malformed ZeroMQ message was dropped');
        continue;
      }
      const sent = publish(publication).finally(() => inFlight.delete(sent));
      inFlight.add(sent);
      if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    }
  })().catch((error: Error) => {
    if (!stopping) log.error({ error: error.message }, 'the ZeroMQ socket stopped receiving');
  });

  log.info({ socket: config.socket, [config.endpoint.mode]: config.endpoint.address, realm: config.realm }, 'ZeroMQ socket receiving');
  return {
    async stop() {
      stopping = true;
      socket.close(); // ends the receiving loop
      await receiving;
      await Promise.all(inFlight);
      await bridge.close();
    },
  };
};

function openSocket(config: ZeromqComponentConfig): Pull | Subscriber {
  // linger 0: closing never waits on a peer; maxMessageSize: ZeroMQ drops a peer that sends more.
  const options = { linger: 0, maxMessageSize: config.maxMessageBytes };
  if (config.socket === 'pull') return new Pull(options);
  const subscriber = new Subscriber(options);
  subscriber.subscribe(...config.subscribe);
  return subscriber;
}

function zeromqMetrics(context: ComponentContext, id: string) {
  const labels = { component: id };
  const registry = context.metrics;
  return {
    received: registry.counter('junction_zeromq_received_total', 'ZeroMQ messages received, by component').bind(labels),
    published: registry.counter('junction_zeromq_published_total', 'ZeroMQ messages published, by component').bind(labels),
    malformed: registry.counter('junction_zeromq_malformed_total', 'ZeroMQ messages dropped as malformed, by component').bind(labels),
    refused: registry.counter('junction_zeromq_refused_total', 'ZeroMQ messages the router refused to publish (not authorized...), by component').bind(labels),
  };
}
