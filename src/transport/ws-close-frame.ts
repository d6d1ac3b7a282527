import type { WebSocket } from 'ws';

/**
 * When a client's close frame arrives. `ws` emits 'close' only once the TCP connection has ended:
 * a client that sends its close frame and then reads nothing (nor ends its side) keeps that until
 * ws's close timeout (30 s). The client has said it is leaving, so its session leaves at its close
 * frame; the connection itself stays bounded by that timeout and max_buffered_bytes.
 *
 * The second place that reaches into `ws`'s internals (ws-frame.ts is the first), relying on
 * (ws-close-frame.test.ts fails if it changes under us):
 * - `websocket._receiver`: the connection's frame parser, an EventEmitter;
 * - its 'conclude' event, emitted when it has parsed a close frame, after ws's own listener
 *   (which answers the close and makes readyState CLOSING);
 * - the receiver's own property keyed by the symbol described 'websocket': its WebSocket (so that
 *   one shared listener serves every connection, as the service's others do).
 * Without them the session leaves at 'close', as before; these return false then.
 */

interface Receiver {
  on?(event: 'conclude', listener: (this: Receiver) => void): unknown;
  [key: symbol]: unknown;
}

interface WsInternals {
  _receiver?: Receiver | null;
}

function receiverOf(websocket: WebSocket): Receiver | undefined {
  const receiver = (websocket as unknown as WsInternals)._receiver;
  return typeof receiver?.on === 'function' ? receiver : undefined;
}

/** `listener` (a closure of its connection) runs at the client's close frame. */
export function onCloseFrame(websocket: WebSocket, listener: () => void): boolean {
  const receiver = receiverOf(websocket);
  receiver?.on!('conclude', listener);
  return receiver !== undefined;
}

/** ws's key from a receiver to its WebSocket, found at the first connection. */
let websocketKey: symbol | undefined;
const sharedWrappers = new WeakMap<(this: WebSocket) => void, (this: Receiver) => void>();

/** `listener`, one function for every connection, runs with the connection's WebSocket as `this` at its client's close frame. */
export function onCloseFrameShared(websocket: WebSocket, listener: (this: WebSocket) => void): boolean {
  const receiver = receiverOf(websocket);
  if (!receiver) return false;
  websocketKey ??= Object.getOwnPropertySymbols(receiver).find((key) => key.description === 'websocket' && receiver[key] === websocket);
  const key = websocketKey;
  if (key === undefined || receiver[key] !== websocket) return false;
  let wrapper = sharedWrappers.get(listener);
  if (!wrapper) sharedWrappers.set(listener, wrapper = function concluded(this: Receiver) {
    listener.call(this[key] as WebSocket);
  });
  receiver.on!('conclude', wrapper);
  return true;
}
