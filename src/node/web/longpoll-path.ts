import type { LongPollService } from '../../config/model.js';
import { defaultOpenHandshakeTimeoutMs } from '../../config/schema-websocket.js';
import { longPollProtocols } from '../../transport/longpoll/protocols.js';
import { LongPollServer } from '../../transport/longpoll/server.js';
import { longPollCluster } from './longpoll-cluster.js';
import type { PathServiceFactory } from './service-context.js';


/** WAMP over HTTP long-poll at a path and below it (<path>/open, <path>/<transport>/send...). */
export const longpollPath: PathServiceFactory<LongPollService> = (service, context) => {
  const gate = context.auth.gate(service.auth, context.where);
  const backplane = context.router.backplane;
  const cluster = backplane && longPollCluster(backplane);
  const server = new LongPollServer(
    // Crossbar's long-poll service has no handshake setting: HELLO gets a websocket service's default.
    (peer) => context.router.attach(peer, gate, { helloTimeoutMs: defaultOpenHandshakeTimeoutMs }),
    {
      protocols: longPollProtocols(service.serializers),
      requestTimeoutMs: service.requestTimeoutMs,
      sessionTimeoutMs: service.sessionTimeoutMs,
      queueLimitBytes: service.queueLimitBytes,
      queueLimitMessages: service.queueLimitMessages,
      maxMessageSize: service.maxMessageSize,
      maxNestingDepth: context.config.maxNestingDepth,
      maxTransports: service.maxTransports,
      maxPerAddress: service.maxPerAddress,
      ...(service.debugTransportId !== undefined && { fixedTransportId: service.debugTransportId }),
      clientAddress: context.clientAddress,
      path: context.path,
      ...(cluster && { cluster }),
      stopping: () => context.router.isClosing,
    },
    context.log,
    context.metrics,
  );
  const leaveCluster = cluster?.join(context.path, server);
  return {
    // It grants every origin (transport/longpoll/http.ts): a Host check would refuse without protecting.
    hostCheck: 'none',
    servesBelow: true,
    openSessions: () => server.transportCount,
    holds: (subpath) => server.holds(subpath),
    request: (request, response, subpath) => server.handle(request, response, subpath),
    close: () => {
      server.closeAll();
      leaveCluster?.();
    },
  };
};
