/**
 * Peer.hasRoom / whenRoom for stream transports: a connection has room for another message of a
 * burst the router makes itself (retained events) while less than half its slow-consumer limit
 * is queued, so a burst paced this way never reaches the limit (unless one message alone is that
 * large). What a client that reads gets next is sent when its socket drains.
 */
export function hasRoom(queuedBytes: number, maxBufferedBytes: number): boolean {
  return queuedBytes <= maxBufferedBytes / 2;
}

/** The part of a socket whenDrained needs (net.Socket, tls.TLSSocket). */
export interface DrainingSocket {
  readonly writableNeedDrain?: boolean;
  readonly destroyed: boolean;
  once?(event: 'drain', listener: () => void): unknown;
}

/**
 * How soon a connection whose bytes wait in a queue of its own (ws compressing), not in the
 * socket, is looked at again: such a queue says nothing when it empties.
 */
const RECHECK_MS = 10;

/** Calls `resume` once the socket's queue drained, or after RECHECK_MS when the socket is not what holds the bytes. */
export function whenDrained(socket: DrainingSocket | undefined, resume: () => void): void {
  if (socket?.once && socket.writableNeedDrain && !socket.destroyed) {
    socket.once('drain', resume);
    return;
  }
  setTimeout(resume, RECHECK_MS).unref();
}
