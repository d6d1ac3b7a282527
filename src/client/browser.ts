/** The full browser bundle: the page's WebSocket, with JSON, MessagePack and CBOR. */
import { cborCodec } from '../codec/cbor.js';
import { jsonCodec } from '../codec/json.js';
import { msgpackCodec } from '../codec/msgpack.js';
import { connectWith, type ConnectOptions } from './connect.js';
import type { Session } from './session.js';
import { webSocketTransport, type WebSocketConstructor } from './transports/websocket.js';

export * from './public.js';
export { jsonCodec, msgpackCodec, cborCodec };

export function connect(options: ConnectOptions): Promise<Session> {
  const transport = webSocketTransport(globalThis.WebSocket as unknown as WebSocketConstructor);
  return connectWith({ transport, codecs: [jsonCodec, msgpackCodec, cborCodec] }, options);
}
