import type { Server, Socket } from 'node:net';
import type { MetricsRegistry } from '../metrics/registry.js';

/**
 * Counts one listener's TCP (or Unix socket) connections and the bytes they carry, whatever they
 * speak (WebSocket, HTTP, long-poll, SSE, RawSocket; over TLS, the encrypted bytes). The bytes of
 * open sockets are read at each scrape, so nothing is added to the path of a message. Returns how
 * to stop counting (the totals stay).
 */
export function meterConnections(server: Server, transport: string, registry: MetricsRegistry): () => void {
  const labels = { transport };
  const open = new Set<Socket>();
  const openGauge = registry.gauge('junction_connections', 'Connections open now, by transport (the config\'s transport id)');
  const accepted = registry.counter('junction_connections_accepted_total', 'Connections accepted, by transport').bind(labels);
  const received = registry.counter('junction_bytes_received_total', 'Bytes read from connections, by transport');
  const sent = registry.counter('junction_bytes_sent_total', 'Bytes written to connections, by transport');
  // What closed sockets carried; an open socket's counts are added at each scrape.
  let closedRead = 0;
  let closedWritten = 0;
  openGauge.set(0, labels);
  received.setTotal(0, labels);
  sent.setTotal(0, labels);

  // One listener for every socket (called with it as `this`): `once` with a closure per socket
  // would cost about 250 bytes per connection (the closure, its wrapper and the wrapper's state).
  function closed(this: Socket): void {
    if (!open.delete(this)) return;
    closedRead += this.bytesRead;
    closedWritten += this.bytesWritten;
    openGauge.set(open.size, labels);
  }
  const onConnection = (socket: Socket): void => {
    open.add(socket);
    accepted.inc();
    openGauge.set(open.size, labels);
    socket.on('close', closed);
  };
  // 'connection' is the raw socket for net, TLS and HTTP(S) servers alike.
  server.on('connection', onConnection);
  const stopCollecting = registry.collect(() => {
    let read = closedRead;
    let written = closedWritten;
    for (const socket of open) {
      read += socket.bytesRead;
      written += socket.bytesWritten;
    }
    received.setTotal(read, labels);
    sent.setTotal(written, labels);
  });
  return () => {
    server.off('connection', onConnection);
    stopCollecting();
  };
}
