import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { WebSocketProxyBackend, WebSocketProxyService } from '../../config/model.js';
import { WebSocketProxy, type ProxyBackendOptions } from '../../transport/websocket-proxy.js';
import { tlsConnectOptions } from '../tls-connect.js';
import type { PathServiceFactory } from './service-context.js';

/** Crossbar's `websocket-reverseproxy`: each client's WebSocket relayed to the backend (transport/websocket-proxy.ts). */
export const websocketProxyPath: PathServiceFactory<WebSocketProxyService> = (service, context) => {
  const { backend, options } = service;
  const proxy = new WebSocketProxy(
    {
      ...options,
      backend: { ...backend, connect: backendConnector(backend.endpoint, context.where) },
      clientAddress: context.clientAddress,
      labels: { transport: context.listener.id, path: context.path },
    },
    context.log.child({ part: 'websocket-reverseproxy' }),
    context.metrics,
  );
  return {
    // As a websocket path: any page may connect from its own origin unless allowed_origins narrows
    // it, and the browser's credentials (cookies) are not passed on to the backend.
    hostCheck: 'none',
    upgradeRequired: 'This is a WebSocket proxy path: connect with a WebSocket client; the connection is relayed to its backend.',
    upgrade: (request, socket, head) => proxy.handleUpgrade(request, socket, head),
    openSessions: () => proxy.connectionCount,
    close: () => proxy.closeAll(),
  };
};

/** Opens the connection to the backend's endpoint; the TLS files are checked and read once, here (tls-connect.ts). */
function backendConnector(endpoint: WebSocketProxyBackend['endpoint'], where: string): ProxyBackendOptions['connect'] {
  if (endpoint.type === 'unix') return () => netConnect({ path: endpoint.path });
  const { host, port, family, tls } = endpoint;
  if (!tls) return () => netConnect({ host, port, family });
  // tls.connect takes net.connect's options too (family), though its type does not list them.
  const options: ConnectionOptions & { family: 4 | 6 } = { host, port, family, ...tlsConnectOptions(tls, where, 'backend.endpoint') };
  return () => tlsConnect(options);
}
