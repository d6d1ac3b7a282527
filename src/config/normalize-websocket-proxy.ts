/** A `websocket-reverseproxy` path service, from the file's shape to the model's. */

import type { WebSocketProxyBackend, WebSocketProxyService } from './model.js';
import { connectingTlsConfig } from './normalize-connecting-tls.js';
import { fromConfigDir, type NormalizeContext } from './normalize-context.js';
import { compressionEnabled, sharedWebSocketOptions } from './normalize-websocket-options.js';
import type { WebSocketProxyServiceFile } from './schema-websocket-proxy.js';

export function websocketProxyConfig(service: WebSocketProxyServiceFile, context: NormalizeContext): WebSocketProxyService {
  return {
    type: 'websocket-reverseproxy',
    options: { ...sharedWebSocketOptions(service.options), maxConnections: service.options.max_connections },
    backend: backendConfig(service.backend, context),
  };
}

function backendConfig(backend: WebSocketProxyServiceFile['backend'], context: NormalizeContext): WebSocketProxyBackend {
  const file = backend.endpoint;
  const options = backend.options;
  const endpoint: WebSocketProxyBackend['endpoint'] = file.type === 'unix'
    ? { type: 'unix', path: fromConfigDir(context, file.path) }
    : {
      type: 'tcp', host: file.host, port: file.port, family: file.version,
      ...(file.tls === undefined ? {} : { tls: connectingTlsConfig(file.tls, file.host, (path) => fromConfigDir(context, path)) }),
    };
  return {
    endpoint,
    connectTimeoutMs: file.timeout * 1000,
    url: backend.url ?? defaultBackendUrl(endpoint),
    maxMessageSize: options.max_message_size,
    autoPingInterval: options.auto_ping_interval,
    autoPingTimeout: options.auto_ping_timeout,
    compression: compressionEnabled(options.compression),
  };
}

/** Without a `url`, the handshake names the endpoint itself (a Unix socket: localhost). */
function defaultBackendUrl(endpoint: WebSocketProxyBackend['endpoint']): string {
  if (endpoint.type === 'unix') return 'ws://localhost/';
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${endpoint.tls ? 'wss' : 'ws'}://${host}:${endpoint.port}/`;
}
