import type { WebSocketTesteeService } from '../../config/model.js';
import { EchoService } from '../../transport/websocket-echo.js';
import type { PathServiceFactory } from './service-context.js';

/** Crossbar's WebSocket testee: every message echoed back as it came (transport/websocket-echo.ts). */
export const websocketTesteePath: PathServiceFactory<WebSocketTesteeService> = (service, context) => {
  const echo = new EchoService(
    { ...service.options, clientAddress: context.clientAddress, labels: { transport: context.listener.id } },
    context.log.child({ part: 'websocket-testee' }),
    context.metrics,
  );
  return {
    // A test tool: any page may connect unless allowed_origins narrows it, as on a websocket path.
    hostCheck: 'none',
    upgradeRequired: 'This is a WebSocket echo server (websocket-testee): connect with a WebSocket client; every message is sent back as it came.',
    upgrade: (request, socket, head) => echo.handleUpgrade(request, socket, head),
    openSessions: () => echo.connectionCount,
    close: () => echo.closeAll(),
  };
};
