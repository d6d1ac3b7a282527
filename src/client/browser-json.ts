/** The small browser bundle: the page's WebSocket and JSON only. */
import { jsonCodec } from '../codec/json.js';
import { connectWith, type ConnectOptions } from './connect.js';
import type { Session } from './session.js';
import { webSocketTransport, type WebSocketConstructor } from './transports/websocket.js';

export * from './public.js';
export { jsonCodec };

export function connect(options: ConnectOptions): Promise<Session> {
  const transport = webSocketTransport(globalThis.WebSocket as unknown as WebSocketConstructor);
  return connectWith({ transport, codecs: [jsonCodec] }, options);
}
