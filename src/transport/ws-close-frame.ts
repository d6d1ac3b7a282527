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
 *   (which answers the close and makes readyState CLOSING).
 * Returns false when ws does not expose them: then the session leaves at 'close', as before.
 */

interface WsInternals {
  _receiver?: { on?(event: 'conclude', listener: () => void): unknown } | null;
}

export function onCloseFrame(websocket: WebSocket, listener: () => void): boolean {
  const receiver = (websocket as unknown as WsInternals)._receiver;
  if (typeof receiver?.on !== 'function') return false;
  receiver.on('conclude', listener);
  return true;
}
