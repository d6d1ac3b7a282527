/**
 * The transport seam: how a session reaches the router. The session knows nothing of sockets;
 * it asks a factory for a connection that carries whole frames. Browser WebSocket, `ws` in
 * Node, and the in-memory pair of the unit tests all implement it.
 */

export type Frame = string | Uint8Array;

export interface TransportHandlers {
  message(frame: Frame): void;
  /** Called once, when the connection is gone (whoever closed it). */
  close(code: number, reason: string): void;
}

export interface Transport {
  /** The WebSocket subprotocol the router chose, e.g. "wamp.2.json"; "" if it chose none. */
  readonly protocol: string;
  send(frame: Frame): void;
  close(code?: number, reason?: string): void;
}

/** Opens one connection: resolves once it is open, rejects (TransportError) when it cannot be opened. */
export type TransportFactory = (url: string, protocols: string[], handlers: TransportHandlers) => Promise<Transport>;
