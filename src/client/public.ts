/** What every entry point exports besides `connect` (which differs by platform). */
export type { ConnectOptions } from './connect.js';
export type { Session, HandlerErrorReporter } from './session.js';
export type { Subscription } from './subscription.js';
export type { Registration } from './registration.js';
export { Result } from './result.js';
export { WampError, ConnectionLostError, SessionClosedError, InvalidUriError, TransportError } from './errors.js';
export type * from './types.js';
export type * from './auth/types.js';
export type { Transport, TransportFactory, TransportHandlers, Frame } from './transport.js';
export { webSocketTransport, type WebSocketConstructor, type WebSocketLike } from './transports/websocket.js';
export type { Codec, CodecName } from '../codec/codec.js';
