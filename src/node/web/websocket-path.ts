import { codecByName } from '../../codec/index.js';
import type { WebSocketService as WebSocketPathConfig } from '../../config/model.js';
import { WebSocketService } from '../../transport/websocket-service.js';
import type { PathServiceFactory } from './service-context.js';

/** WAMP over WebSocket at a path: the same options and auth as a standalone websocket transport. */
export const websocketPath: PathServiceFactory<WebSocketPathConfig> = (service, context) => {
  const gate = context.auth.gate(service.auth, context.where);
  const ws = new WebSocketService(
    (peer) => context.router.attach(peer, gate, { helloTimeoutMs: service.options.openHandshakeTimeout, sessionSeries: true }),
    {
      ...service.options, codecs: service.serializers.map(codecByName), clientAddress: context.clientAddress,
      maxNestingDepth: context.config.maxNestingDepth,
    },
    context.log,
    context.metrics,
  );
  return {
    upgrade: (request, socket, head) => ws.handleUpgrade(request, socket, head),
    openSessions: () => ws.connectionCount,
    close: () => ws.closeAll(),
  };
};
