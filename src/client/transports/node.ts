import type { TransportFactory } from '../transport.js';
import { webSocketTransport, type WebSocketConstructor } from './websocket.js';

let cached: Promise<WebSocketConstructor> | undefined;

/** The platform's WebSocket when there is one (Node >= 22, Deno, Bun), the `ws` package otherwise. */
function platformWebSocket(): Promise<WebSocketConstructor> {
  const native = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (native) return Promise.resolve(native);
  cached ??= import('ws').then((module) => module.WebSocket as unknown as WebSocketConstructor);
  return cached;
}

export const nodeTransport: TransportFactory = async (url, protocols, handlers) =>
  webSocketTransport(await platformWebSocket())(url, protocols, handlers);
