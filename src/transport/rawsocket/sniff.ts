import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { MAGIC } from './handshake.js';

/** Where a connection goes once its first octet said RawSocket (or another protocol a universal port serves). */
export interface RawSocketAcceptor {
  accept(socket: Socket): void;
  /** Ends every connection it accepted. */
  close(): Promise<void>;
}

/** The first octet of RawSocket's handshake. */
export const rawSocketFirstOctet = MAGIC;

export interface Diversion {
  /** Destroys the connections still waiting for their first octet. */
  close(): void;
}

/**
 * Crossbar's universal transport on a Node HTTP(S) server: each new connection is held until its
 * first octet arrives; an octet in `routes` (0x7F for RawSocket, 0x10 for an MQTT CONNECT: no HTTP
 * request can start with either) hands the socket to that route, anything else to the HTTP
 * server's own connection handling, with the octet put back in front.
 *
 * It takes over the server's `event` listeners rather than sitting in front of the server, so the
 * server still listens itself and keeps its header and request timeouts. Use 'connection' for a
 * plain HTTP server and 'secureConnection' for HTTPS, where the octet is read after TLS: RawSocket
 * then runs inside TLS, as Crossbar's universal transport does over TLS.
 *
 * A connection that sends nothing within `firstOctetTimeoutMs` (0 = no limit) is dropped.
 */
export function divertByFirstOctet(
  server: EventEmitter,
  event: 'connection' | 'secureConnection',
  routes: ReadonlyMap<number, (socket: Socket) => void>,
  firstOctetTimeoutMs: number,
): Diversion {
  const httpListeners = server.listeners(event) as ((socket: Socket) => void)[];
  server.removeAllListeners(event);
  const waiting = new Set<Socket>();

  server.on(event, (socket: Socket) => {
    waiting.add(socket);
    const timer = firstOctetTimeoutMs > 0 ? setTimeout(() => socket.destroy(), firstOctetTimeoutMs) : undefined;
    timer?.unref();
    const done = (): void => {
      waiting.delete(socket);
      if (timer) clearTimeout(timer);
      socket.off('readable', readable);
      socket.off('error', failed);
      socket.off('end', failed);
      socket.off('close', done);
    };
    // Until a handler owns the socket, its errors (a reset, a TLS failure) only end it, and so does
    // the client ending its side: an HTTP server's socket would stay half-open until the timeout.
    const failed = (): void => {
      socket.destroy();
    };
    const readable = (): void => {
      const first = socket.read(1) as Buffer | null;
      if (first === null) return; // nothing yet, or the end ('end' follows)
      done();
      socket.unshift(first);
      const route = routes.get(first[0]!);
      if (route) route(socket);
      else for (const listener of httpListeners) listener.call(server, socket);
    };
    socket.on('readable', readable);
    socket.on('error', failed);
    socket.on('end', failed);
    socket.on('close', done);
  });

  return {
    close: () => {
      for (const socket of waiting) socket.destroy();
    },
  };
}
