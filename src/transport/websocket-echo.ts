/**
 * Crossbar's WebSocket testee: an echo server for the Autobahn test suite's fuzzing client and for
 * benchmarks. Every message goes back as it came: text as text, binary as binary, the same bytes
 * (a fragmented message as one message). `ws` does the framing, reassembles fragments, checks
 * UTF-8 (1007), answers pings and closes. No WAMP: a client offering subprotocols gets its first
 * (whatever it is), one offering none gets none.
 *
 * Bounds: connections at once and per client address; the largest message (ws's maxPayload,
 * 1009); echoed bytes waiting to be written (past `maxBufferedBytes` the connection is not read
 * until half have gone: a client that sends without reading slows itself down); keepalive.
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { BoundCounter, BoundGauge, MetricsRegistry } from '../metrics/registry.js';
import type { Logger } from '../router/log.js';
import { PerKeyLogThrottle } from '../router/limits/warning-throttle.js';
import { ConnectionSlots, type SlotRefusal } from './connection-slots.js';
import { websocketOriginCheck } from './origin-pattern.js';
import { keepaliveGaveUp, PingWheel } from './ping-wheel.js';
import { capRefusal, failureClose, RelaySide, type CapRefusal, type RelayCounters, type RelayServerOptions } from './relay-side.js';
import { refuseUpgrade } from './upgrade-refusal.js';

/** Why an upgrade was refused: the `reason` label of junction_testee_refused_total. */
export type EchoRefusal = 'origin' | CapRefusal;

/** How a connection failed: the `reason` label of junction_testee_failed_total. */
type EchoFailure = 'too_large' | 'invalid_utf8' | 'protocol' | 'ping_timeout';

/** At most one warning per reason (or client address) this often. */
const WARNING_INTERVAL_MS = 10_000;

export class EchoService {
  private readonly server: WebSocketServer;
  private readonly slots: ConnectionSlots;
  private readonly originAllowed: (origin: string | undefined) => boolean;
  /** Open connections by their WebSocket (the keepalive walks it). */
  private readonly connections = new Map<WebSocket, RelaySide>();
  private readonly wheel: PingWheel | undefined;
  private readonly warnings = new PerKeyLogThrottle(WARNING_INTERVAL_MS);
  private readonly metrics: EchoMetrics;
  private readonly listeners: ReturnType<typeof connectionListeners>;
  private readonly stopCollecting: () => void;

  constructor(private readonly options: RelayServerOptions, private readonly log: Logger, registry: MetricsRegistry) {
    this.server = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: options.maxMessageSize,
      perMessageDeflate: options.compression,
      // A client that offers subprotocols insists on one (browsers and ws fail without): it gets its first.
      handleProtocols: (offers) => offers.values().next().value ?? false,
    });
    this.slots = new ConnectionSlots({ total: options.maxConnections, perKey: options.maxPerAddress });
    this.originAllowed = websocketOriginCheck(options.allowedOrigins, options.allowNullOrigin);
    this.wheel = options.autoPingInterval > 0 && options.autoPingTimeout > 0
      ? new PingWheel(this.connections, { intervalMs: options.autoPingInterval, timeoutMs: options.autoPingTimeout })
      : undefined;
    this.metrics = echoMetrics(registry, options.labels);
    this.listeners = connectionListeners(this);
    this.stopCollecting = registry.collect(() => this.metrics.buffered.set(this.bufferedBytes()));
  }

  /** Echoed bytes waiting to be written to every connection now. */
  bufferedBytes(): number {
    let total = 0;
    for (const ws of this.connections.keys()) total += ws.bufferedAmount;
    return total;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** An HTTP upgrade request to the echo server. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const origin = request.headers.origin;
    if (!this.originAllowed(origin)) return this.refuse(socket, 'origin', 403, `Origin "${origin}" is not allowed on this endpoint.`);
    const address = this.options.clientAddress?.(request).address ?? request.socket.remoteAddress ?? 'unknown';
    const full = this.slots.take(address);
    if (full !== undefined) return this.refuseFull(socket, full, address);
    // ws refuses a malformed handshake by destroying the socket, without calling back: the slot goes back then.
    const failed = (): void => this.slots.give(address);
    socket.once('close', failed);
    this.server.handleUpgrade(request, socket, head, (ws) => {
      socket.off('close', failed);
      this.connected(ws, address);
    });
  }

  /** Closes every connection (the node stops, or the transport went away). */
  closeAll(): void {
    this.stopCollecting();
    this.wheel?.stop();
    const open = [...this.connections.keys()];
    for (const ws of open) ws.close(1001, 'server shutting down');
    const stragglers = setTimeout(() => {
      for (const ws of open) ws.terminate();
    }, 500);
    stragglers.unref();
  }

  connectionOf(ws: WebSocket): RelaySide | undefined {
    return this.connections.get(ws);
  }

  heard(ws: WebSocket): void {
    const connection = this.connections.get(ws);
    if (connection) this.wheel?.heard(connection);
  }

  closed(ws: WebSocket): void {
    const connection = this.connections.get(ws);
    if (!connection) return;
    this.connections.delete(ws);
    this.wheel?.removed();
    this.slots.give(connection.slotKey);
    this.metrics.open.set(this.connections.size);
    const failure = failureOf(connection);
    if (failure !== undefined) this.metrics.failed(failure).inc();
  }

  private connected(ws: WebSocket, slotKey: string): void {
    // Its own peer: what it sends is written back to it, and it is not read while that waits.
    const connection = new RelaySide(ws, this.metrics, this.options.maxBufferedBytes);
    connection.slotKey = slotKey;
    this.connections.set(ws, connection);
    ws.on('message', this.listeners.message);
    ws.on('close', this.listeners.close);
    ws.on('error', this.listeners.error);
    if (this.wheel) {
      ws.on('pong', this.listeners.pong);
      this.wheel.added(connection);
    }
    this.metrics.open.set(this.connections.size);
  }

  private refuse(socket: Duplex, reason: EchoRefusal, status: number, message: string): void {
    this.metrics.refused(reason).inc();
    refuseUpgrade(socket, status, message);
  }

  private refuseFull(socket: Duplex, full: SlotRefusal, address: string): void {
    const refusal = capRefusal(full, this.options, 'WebSocket echo server');
    if (this.warnings.allow(full === 'service_full' ? full : address)) this.log.warn({ address, limit: refusal.limit }, refusal.warning);
    this.refuse(socket, refusal.reason, refusal.status, refusal.message);
  }
}

/** Listeners every connection shares: ws calls them with the connection's WebSocket as `this`. */
function connectionListeners(service: EchoService) {
  return {
    message(this: WebSocket, data: Buffer, isBinary: boolean): void {
      service.connectionOf(this)?.write(data, isBinary);
    },
    close(this: WebSocket): void {
      service.closed(this);
    },
    // ws closes the connection after an error (1009 for a message over the limit, 1007, 1002): 'close' follows.
    error(this: WebSocket, error: Error & { code?: string }): void {
      const connection = service.connectionOf(this);
      if (connection) connection.failure = failureClose(error);
    },
    pong(this: WebSocket): void {
      service.heard(this);
    },
  };
}

/** Why a connection ended, when a limit or the protocol ended it. */
function failureOf(side: RelaySide): EchoFailure | undefined {
  if (keepaliveGaveUp(side)) return 'ping_timeout';
  const code = side.failure?.code;
  if (code === undefined) return undefined;
  return code === 1009 ? 'too_large' : code === 1007 ? 'invalid_utf8' : 'protocol';
}

interface EchoMetrics extends RelayCounters {
  open: BoundGauge;
  buffered: BoundGauge;
  refused(reason: EchoRefusal): BoundCounter;
  failed(reason: EchoFailure): BoundCounter;
}

function echoMetrics(registry: MetricsRegistry, labels: Record<string, string>): EchoMetrics {
  const refused = registry.counter('junction_testee_refused_total', 'WebSocket echo server (websocket-testee) upgrades refused, by reason');
  const failed = registry.counter('junction_testee_failed_total', 'WebSocket echo server connections ended by a limit or a protocol error, by reason');
  return {
    open: registry.gauge('junction_testee_connections', 'WebSocket echo server (websocket-testee) connections open now').bind(labels),
    buffered: registry.gauge('junction_testee_buffered_bytes', 'Echoed bytes waiting to be written to the connections of a WebSocket echo server now').bind(labels),
    messages: registry.counter('junction_testee_messages_total', 'Messages echoed by WebSocket echo servers, text and binary').bind(labels),
    bytes: registry.counter('junction_testee_bytes_total', 'Payload bytes echoed by WebSocket echo servers').bind(labels),
    pauses: registry.counter('junction_testee_paused_total', 'Times an echo connection was no longer read because max_buffered_bytes of echoes waited to be written').bind(labels),
    refused: (reason) => refused.bind({ ...labels, reason }),
    failed: (reason) => failed.bind({ ...labels, reason }),
  };
}
