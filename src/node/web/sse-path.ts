import type { SseService as SsePathConfig } from '../../config/model.js';
import type { Router } from '../../router/router.js';
import { DEFAULT_RETRY_MS, SseService, type KeptEvents, type StreamSubscription } from '../../transport/sse/sse-service.js';
import type { SseIdentity } from '../../transport/sse/sse-peer.js';
import { UnsupportedConfigError } from '../auth-wiring.js';
import type { PathServiceFactory } from './service-context.js';

/** Sign-in methods a plain EventSource can use: it can present a ticket, but not answer a computed challenge. */
const streamMethods = new Set(['anonymous', 'ticket']);

/** Server-Sent Events at a path: GET ?topic=... streams the events of those topics (docs/sse.md). */
export const ssePath: PathServiceFactory<SsePathConfig> = (service, context) => {
  if (!context.router.realm(service.realm)) {
    throw new UnsupportedConfigError(`${context.where}: realm "${service.realm}" does not exist`);
  }
  const unusable = Object.keys(service.auth).filter((method) => !streamMethods.has(method));
  if (unusable.length > 0) {
    throw new UnsupportedConfigError(`${context.where}: an SSE stream can sign in only with anonymous or ticket, not ${unusable.join(', ')}`);
  }
  const gate = context.auth.gate(service.auth, context.where);
  const sse = new SseService({
    realm: service.realm,
    maxTopics: service.maxTopics,
    cookieName: service.cookieName,
    heartbeatMs: service.heartbeatMs,
    maxBufferedBytes: service.maxBufferedBytes,
    maxStreams: service.maxStreams,
    maxPerAddress: service.maxPerAddress,
    retryMs: DEFAULT_RETRY_MS,
    // The router's HELLO limit (10 s by default) bounds a sign-in that hangs (a slow dynamic authenticator).
    attach: (peer) => context.router.attach(peer, gate),
    history: (subscription, reader) => storedEvents(context.router, subscription, reader),
    positions: (realm) => context.router.realm(realm)?.broker.positions,
    resumeWaitMs: service.resumeWaitMs,
    clientAddress: context.clientAddress,
    log: context.log.child({ sse: context.where }),
    metrics: context.metrics,
  });
  return {
    request: (request, response) => sse.handle(request, response),
    openSessions: () => sse.streamCount,
    close: () => sse.closeAll(),
  };
};

/**
 * The events kept for a subscription of a stream, as its session may read them (authid and
 * authrole lists of each publication apply), read synchronously from the broker: the session was
 * authorized to subscribe, which is the right get_events asks for. An exact topic without a history
 * of its own is served from a pattern subscription's history that covers it, filtered to the topic,
 * so the reader sees only events it would have received.
 */
export function storedEvents(router: Router, subscription: StreamSubscription, reader: SseIdentity): KeptEvents | undefined {
  const broker = router.realm(reader.realm)?.broker;
  if (!broker) return undefined;
  const own = broker.subscription(subscription.id)?.history;
  const covering = own || subscription.match !== 'exact'
    ? undefined
    : broker.matching(subscription.uri).find((found) => found.match !== 'exact' && found.history !== undefined)?.history;
  const history = own ?? covering;
  if (!history) return undefined;
  const events = history.queryPositioned(own ? {} : { topic: subscription.uri }, reader).map(({ event, position }) => position ? { ...event, position } : event);
  return { events, droppedUpTo: (source) => history.droppedUpTo(source) };
}
