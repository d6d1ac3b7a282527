import type { LongPollService } from '../../config/model.js';
import { longPollProtocols } from '../../transport/longpoll/protocols.js';
import { LongPollServer } from '../../transport/longpoll/server.js';
import type { PathServiceFactory } from './service-context.js';

/**
 * HELLO (and authentication) must complete this long after `open`. Crossbar's long-poll service
 * has no such setting; this is a websocket service's default open_handshake_timeout.
 */
const OPEN_HANDSHAKE_TIMEOUT_MS = 10_000;

/** WAMP over HTTP long-poll at a path and below it (<path>/open, <path>/<transport>/send...). */
export const longpollPath: PathServiceFactory<LongPollService> = (service, context) => {
  const gate = context.auth.gate(service.auth, context.where);
  const server = new LongPollServer(
    (peer) => context.router.attach(peer, gate, { helloTimeoutMs: OPEN_HANDSHAKE_TIMEOUT_MS }),
    {
      protocols: longPollProtocols(service.serializers),
      requestTimeoutMs: service.requestTimeoutMs,
      sessionTimeoutMs: service.sessionTimeoutMs,
      queueLimitBytes: service.queueLimitBytes,
      queueLimitMessages: service.queueLimitMessages,
      maxMessageSize: service.maxMessageSize,
      maxTransports: service.maxTransports,
      maxPerAddress: service.maxPerAddress,
      clientAddress: context.clientAddress,
      path: context.path,
    },
    context.log,
    context.metrics,
  );
  return {
    servesBelow: true,
    openSessions: () => server.transportCount,
    holds: (subpath) => server.holds(subpath),
    request: (request, response, subpath) => server.handle(request, response, subpath),
    close: () => server.closeAll(),
  };
};
