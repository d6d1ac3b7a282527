/**
 * Crossbar's `stream.testee`: a TCP echo server, every byte sent back as it came. The stream's own
 * backpressure bounds what waits for a client that does not read (it is not read meanwhile);
 * connections at once and idle time are bounded too.
 */

import type { Socket } from 'node:net';
import type { BoundCounter, BoundGauge, MetricsRegistry } from '../metrics/registry.js';
import type { RawSocketAcceptor } from './rawsocket/sniff.js';

export const streamEchoLimits = {
  /** Connections held at once; more are closed as they arrive. */
  maxConnections: 1_000,
  /** Ms without a byte either way before a connection is closed. */
  idleTimeoutMs: 300_000,
};

export class StreamEchoService implements RawSocketAcceptor {
  private readonly open = new Set<Socket>();
  private readonly connections: BoundGauge;
  private readonly bytes: BoundCounter;
  private readonly refused: BoundCounter;

  constructor(metrics: MetricsRegistry, labels: Record<string, string>, private readonly limits: typeof streamEchoLimits = streamEchoLimits) {
    this.connections = metrics.gauge('junction_stream_testee_connections', 'TCP echo server (stream.testee) connections open now').bind(labels);
    this.bytes = metrics.counter('junction_stream_testee_bytes_total', 'Bytes echoed by TCP echo servers (stream.testee)').bind(labels);
    this.refused = metrics.counter('junction_stream_testee_refused_total', 'TCP echo server connections closed on arrival: the transport held its maximum').bind(labels);
  }

  accept(socket: Socket): void {
    if (this.open.size >= this.limits.maxConnections) {
      this.refused.inc();
      socket.destroy();
      return;
    }
    this.open.add(socket);
    this.connections.set(this.open.size);
    socket.setTimeout(this.limits.idleTimeoutMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      this.open.delete(socket);
      this.connections.set(this.open.size);
    });
    socket.on('data', (chunk: Buffer) => this.bytes.inc(chunk.length));
    // pipe stops reading the socket while what it wrote back waits.
    socket.pipe(socket);
  }

  async close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
  }
}
