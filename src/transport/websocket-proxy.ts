/**
 * Crossbar's `websocket-reverseproxy`: each client's WebSocket on a path is relayed to a WebSocket
 * of its own to a backend server, message by message, text and binary alike, whatever the
 * subprotocol. The backend is connected first, with the client's subprotocol offers; the client's
 * handshake is answered once the backend's has succeeded, with the subprotocol the backend chose,
 * so a client is never accepted for a backend that is not there (as Crossbar, which answers 503;
 * here 502, or 504 when the backend did not answer in time: the status a gateway gives).
 *
 * Bounds: connections per path and per client address; the largest message on each side (ws's
 * maxPayload, 1009); what waits to be written to one side (past `maxBufferedBytes` the other side
 * is not read until half of it has gone, so a slow reader slows its writer down instead of
 * growing our memory); the backend's opening (`connectTimeoutMs`); keepalive on both sides.
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws';
import type { BoundCounter, BoundGauge, Counter, MetricsRegistry } from '../metrics/registry.js';
import type { Logger } from '../router/log.js';
import { ConnectionSlots, type SlotRefusal } from './connection-slots.js';
import { websocketOriginCheck } from './origin-pattern.js';
import { PingWheel } from './ping-wheel.js';
import { capRefusal, failureClose, RelaySide, type RelayCounters, type RelayServerOptions } from './relay-side.js';
import { offeredSubprotocols } from './subprotocol.js';
import { refuseUpgrade } from './upgrade-refusal.js';
import { PerKeyLogThrottle } from '../router/limits/warning-throttle.js';

export interface ProxyBackendOptions {
  /** The URL of the backend's handshake: its Host header and path (the connection itself is `connect`'s). */
  url: string;
  /** Opens the TCP, TLS or Unix socket connection to the backend. */
  connect: NonNullable<ClientOptions['createConnection']>;
  /** Ms the connection and the backend's handshake may take together. */
  connectTimeoutMs: number;
  /** Largest message accepted from the backend, bytes. */
  maxMessageSize: number;
  autoPingInterval: number;
  autoPingTimeout: number;
  compression: boolean;
}

export interface WebSocketProxyOptions extends RelayServerOptions {
  backend: ProxyBackendOptions;
}

/** Why an upgrade was not relayed: the `reason` label of junction_ws_proxy_refused_total. */
export type ProxyRefusal = 'not_websocket' | 'origin' | 'too_many_connections' | 'too_many_from_address'
  | 'backend_unreachable' | 'backend_timeout' | 'backend_refused';

type Direction = 'to_backend' | 'to_client';

/** At most one warning per reason (or client address) this often. */
const WARNING_INTERVAL_MS = 10_000;

/**
 * How long a side may take to answer a close the proxy relayed to it before its socket is dropped
 * (ws would wait 30 s): the other side is gone already, so a peer that never answers, or a client
 * that vanished without a word, holds no socket past this.
 */
const CLOSE_HANDSHAKE_MS = 1_000;
/** ws's option for it, on both sides (@types/ws does not list it yet: spread, not written in the options). */
const closeHandshake = { closeTimeout: CLOSE_HANDSHAKE_MS };

/** What ws itself accepts as a handshake (websocket-server.js): checked before a backend connection is spent on it. */
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;
/** A subprotocol as RFC 6455 has it (an HTTP token), as ws's client insists. */
const SUBPROTOCOL = /^[!#$%&'*+\-.0-9A-Z^_`|a-z~]+$/;

export class WebSocketProxy {
  private readonly server: WebSocketServer;
  private readonly slots: ConnectionSlots;
  private readonly originAllowed: (origin: string | undefined) => boolean;
  /** Sides of open connections by their WebSocket, one map per side (each side's keepalive walks its own). */
  private readonly clientSides = new Map<WebSocket, RelaySide>();
  private readonly backendSides = new Map<WebSocket, RelaySide>();
  /** Backends still opening, with the client socket waiting for them. */
  private readonly opening = new Map<WebSocket, Duplex>();
  /** The subprotocol each accepted upgrade answers with: the backend's choice. */
  private readonly chosen = new WeakMap<IncomingMessage, string>();
  private readonly clientWheel: PingWheel | undefined;
  private readonly backendWheel: PingWheel | undefined;
  private readonly warnings = new PerKeyLogThrottle(WARNING_INTERVAL_MS);
  private readonly metrics: ProxyMetrics;
  private readonly listeners: ReturnType<typeof sideListeners>;
  private readonly stopCollecting: () => void;

  constructor(private readonly options: WebSocketProxyOptions, private readonly log: Logger, registry: MetricsRegistry) {
    this.server = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: options.maxMessageSize,
      perMessageDeflate: options.compression,
      ...closeHandshake,
      handleProtocols: (_offers, request) => this.chosen.get(request) || false,
    });
    this.slots = new ConnectionSlots({ total: options.maxConnections, perKey: options.maxPerAddress });
    this.originAllowed = websocketOriginCheck(options.allowedOrigins, options.allowNullOrigin);
    this.clientWheel = keepalive(this.clientSides, options.autoPingInterval, options.autoPingTimeout);
    this.backendWheel = keepalive(this.backendSides, options.backend.autoPingInterval, options.backend.autoPingTimeout);
    this.metrics = proxyMetrics(registry, options.labels);
    this.listeners = sideListeners(this);
    this.stopCollecting = registry.collect(() => this.metrics.buffered.set(this.bufferedBytes()));
  }

  /** Proxied connections open now, and clients waiting for their backend. */
  get connectionCount(): number {
    return this.clientSides.size + this.opening.size;
  }

  /** Bytes waiting to be written to either side of every connection now. */
  bufferedBytes(): number {
    let total = 0;
    for (const sides of [this.clientSides, this.backendSides]) {
      for (const ws of sides.keys()) total += ws.bufferedAmount;
    }
    return total;
  }

  /** An HTTP upgrade request routed to this path. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const malformed = handshakeProblem(request);
    if (malformed !== undefined) return this.refuse(socket, 'not_websocket', 400, malformed);
    const origin = request.headers.origin;
    if (!this.originAllowed(origin)) return this.refuse(socket, 'origin', 403, `Origin "${origin}" is not allowed on this endpoint.`);
    const client = this.options.clientAddress?.(request) ?? { address: request.socket.remoteAddress ?? 'unknown', label: request.socket.remoteAddress ?? 'unknown' };
    const full = this.slots.take(client.address);
    if (full !== undefined) return this.refuseFull(socket, full, client.address);
    const secure = client.secure ?? (request.socket as { encrypted?: boolean }).encrypted === true;
    const backend = this.openBackend(request, { address: client.address, secure });
    this.opening.set(backend, socket);
    const outcome: { failure?: Error; timedOut?: boolean; clientGone?: boolean } = {};
    // Until the backend has answered, the client's socket is ours: its errors, and its going away.
    const gone = (): void => {
      outcome.clientGone = true;
      backend.terminate();
    };
    socket.on('error', destroySocket);
    socket.once('close', gone);
    const deadline = setTimeout(() => {
      outcome.timedOut = true;
      backend.terminate();
    }, this.options.backend.connectTimeoutMs);
    backend.on('error', (error) => (outcome.failure ??= error));
    backend.once('close', () => {
      // Once open, the relay hears of its close (sideClosed).
      if (!this.opening.delete(backend)) return;
      clearTimeout(deadline);
      socket.off('close', gone);
      this.slots.give(client.address);
      if (!outcome.clientGone) this.backendFailed(socket, outcome, client.label);
    });
    backend.once('open', () => {
      this.opening.delete(backend);
      clearTimeout(deadline);
      socket.off('close', gone);
      socket.off('error', destroySocket);
      this.chosen.set(request, backend.protocol);
      // ws answers the client at once and calls back, or refuses it and destroys the socket.
      const failed = (): void => {
        backend.close(1001, 'client went away');
        this.slots.give(client.address);
      };
      socket.once('close', failed);
      this.server.handleUpgrade(request, socket, head, (ws) => {
        socket.off('close', failed);
        this.connected(ws, backend, client.address, client.label);
      });
    });
  }

  /** Closes every connection (the node stops, or the path went away). */
  closeAll(): void {
    this.stopCollecting();
    this.clientWheel?.stop();
    this.backendWheel?.stop();
    for (const [backend, socket] of this.opening) {
      backend.terminate();
      socket.destroy();
    }
    this.opening.clear();
    const open = [...this.clientSides.keys(), ...this.backendSides.keys()];
    for (const ws of open) ws.close(1001, 'router shutting down');
    const stragglers = setTimeout(() => {
      for (const ws of open) ws.terminate();
    }, 500);
    stragglers.unref();
  }

  /** The backend could not be reached, refused the handshake, or took too long: the client is answered 502 or 504. */
  private backendFailed(socket: Duplex, outcome: { failure?: Error; timedOut?: boolean }, client: string): void {
    const timeoutMs = this.options.backend.connectTimeoutMs;
    const reason = outcome.timedOut ? 'backend_timeout' : (outcome.failure as NodeJS.ErrnoException | undefined)?.syscall ? 'backend_unreachable' : 'backend_refused';
    const detail = outcome.timedOut ? `it did not complete its handshake within ${timeoutMs} ms` : (outcome.failure?.message ?? 'it closed the connection');
    this.warnThrottled(reason, { reason, error: detail, client },
      'WebSocket reverse proxy: a client was refused because its backend connection failed (further ones are counted, not logged, for 10 s)');
    this.refuse(socket, reason, outcome.timedOut ? 504 : 502, `The backend of this WebSocket endpoint is not available: ${detail}.`);
  }

  private openBackend(request: IncomingMessage, client: { address: string; secure: boolean }): WebSocket {
    const backend = this.options.backend;
    return new WebSocket(backend.url, offeredSubprotocols(request.headers['sec-websocket-protocol']), {
      createConnection: backend.connect,
      maxPayload: backend.maxMessageSize,
      perMessageDeflate: backend.compression,
      ...closeHandshake,
      followRedirects: false,
      // The backend learns who the client is (believed when it trusts this router as a proxy).
      headers: { 'X-Forwarded-For': client.address, 'X-Forwarded-Proto': client.secure ? 'https' : 'http' },
    });
  }

  private connected(clientWs: WebSocket, backendWs: WebSocket, slotKey: string, label: string): void {
    const client = new RelaySide(clientWs, directionCounters(this.metrics, 'to_client'), this.options.maxBufferedBytes);
    const backend = new RelaySide(backendWs, directionCounters(this.metrics, 'to_backend'), this.options.maxBufferedBytes);
    client.peer = backend;
    backend.peer = client;
    client.slotKey = slotKey;
    this.keep(this.clientSides, this.clientWheel, client);
    this.keep(this.backendSides, this.backendWheel, backend);
    this.metrics.open.set(this.clientSides.size);
    this.log.debug({ client: label, protocol: backendWs.protocol }, 'WebSocket reverse proxy: relaying');
  }

  private keep(sides: Map<WebSocket, RelaySide>, wheel: PingWheel | undefined, side: RelaySide): void {
    sides.set(side.ws, side);
    side.ws.on('message', this.listeners.message);
    side.ws.on('close', this.listeners.close);
    side.ws.on('error', this.listeners.error);
    if (wheel) {
      side.ws.on('pong', this.listeners.pong);
      wheel.added(side);
    }
  }

  /** A side's WebSocket closed: the other side is told with the same code and reason; the client's side gives the slot back. */
  sideClosed(ws: WebSocket, code: number, reason: Buffer): void {
    const side = this.sideOf(ws);
    if (!side) return;
    const fromClient = this.clientSides.delete(ws);
    if (fromClient) this.clientWheel?.removed();
    else if (this.backendSides.delete(ws)) this.backendWheel?.removed();
    side.closed = true;
    const other = side.peer;
    // After its own error, ws reads no more: the close it sent is what the other side should hear.
    if (!other.closed) closeWith(other.ws, side.failure?.code ?? code, side.failure?.reason ?? reason, fromClient);
    if (fromClient) {
      this.slots.give(side.slotKey);
      this.metrics.open.set(this.clientSides.size);
    }
  }

  sideOf(ws: WebSocket): RelaySide | undefined {
    return this.clientSides.get(ws) ?? this.backendSides.get(ws);
  }

  heard(ws: WebSocket): void {
    const client = this.clientSides.get(ws);
    if (client) return this.clientWheel?.heard(client);
    const backend = this.backendSides.get(ws);
    if (backend) this.backendWheel?.heard(backend);
  }

  private refuse(socket: Duplex, reason: ProxyRefusal, status: number, message: string): void {
    this.metrics.refused(reason).inc();
    refuseUpgrade(socket, status, message);
  }

  private refuseFull(socket: Duplex, full: SlotRefusal, address: string): void {
    const refusal = capRefusal(full, this.options, 'WebSocket reverse proxy');
    this.warnThrottled(full === 'service_full' ? full : address, { address, limit: refusal.limit }, refusal.warning);
    this.refuse(socket, refusal.reason, refusal.status, refusal.message);
  }

  private warnThrottled(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warnings.allow(key)) this.log.warn(fields, message);
  }
}

/** Listeners every side shares: ws calls them with the side's WebSocket as `this`. */
function sideListeners(proxy: WebSocketProxy) {
  return {
    message(this: WebSocket, data: Buffer, isBinary: boolean): void {
      proxy.sideOf(this)?.peer.write(data, isBinary);
    },
    close(this: WebSocket, code: number, reason: Buffer): void {
      proxy.sideClosed(this, code, reason);
    },
    // ws closes the connection after an error (1009 for a message over the limit, 1002...): 'close' follows.
    error(this: WebSocket, error: Error & { code?: string }): void {
      const side = proxy.sideOf(this);
      if (side) side.failure = failureClose(error);
    },
    pong(this: WebSocket): void {
      proxy.heard(this);
    },
  };
}

/** Codes a close frame may carry (RFC 6455 7.4; 1005, 1006 and 1015 are only ever reported, never sent). */
function sendable(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/**
 * Passes a close on: the same code and reason when it can be sent; a close without a code (1005)
 * as one; a connection lost without a close frame as 1001 to the backend ("the client went away")
 * or 1014 to the client ("bad gateway": the backend is gone).
 */
function closeWith(ws: WebSocket, code: number, reason: Buffer, fromClient: boolean): void {
  if (code === 1005) ws.close();
  else if (sendable(code)) ws.close(code, reason);
  else if (fromClient) ws.close(1001, 'client connection lost');
  else ws.close(1014, 'backend connection lost');
}

function destroySocket(this: Duplex): void {
  this.destroy();
}

/** What ws would refuse in the client's handshake, found before a backend connection is opened for it. */
function handshakeProblem(request: IncomingMessage): string | undefined {
  if (request.method !== 'GET') return 'A WebSocket handshake is a GET request.';
  if (request.headers.upgrade?.toLowerCase() !== 'websocket') return 'Upgrade: websocket is missing.';
  if (!WEBSOCKET_KEY.test(request.headers['sec-websocket-key'] ?? '')) return 'Sec-WebSocket-Key is missing or invalid.';
  const version = request.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') return 'Sec-WebSocket-Version must be 13 or 8.';
  const offers = offeredSubprotocols(request.headers['sec-websocket-protocol']);
  if (offers.some((offer) => !SUBPROTOCOL.test(offer)) || new Set(offers).size !== offers.length) {
    return 'Sec-WebSocket-Protocol holds an invalid or repeated subprotocol.';
  }
  return undefined;
}

/** The counters of what is written in one direction (to the side that direction names). */
function directionCounters(metrics: ProxyMetrics, direction: Direction): RelayCounters {
  return { messages: metrics.messages[direction], bytes: metrics.bytes[direction], pauses: metrics.pauses[direction] };
}

function keepalive(sides: Map<WebSocket, RelaySide>, intervalMs: number, timeoutMs: number): PingWheel | undefined {
  return intervalMs > 0 && timeoutMs > 0 ? new PingWheel(sides, { intervalMs, timeoutMs }) : undefined;
}

interface ProxyMetrics {
  open: BoundGauge;
  buffered: BoundGauge;
  messages: Record<Direction, BoundCounter>;
  bytes: Record<Direction, BoundCounter>;
  pauses: Record<Direction, BoundCounter>;
  refused(reason: ProxyRefusal): BoundCounter;
}

function proxyMetrics(registry: MetricsRegistry, labels: Record<string, string>): ProxyMetrics {
  const byDirection = (counter: Counter): Record<Direction, BoundCounter> =>
    ({ to_backend: counter.bind({ ...labels, direction: 'to_backend' }), to_client: counter.bind({ ...labels, direction: 'to_client' }) });
  const refused = registry.counter('junction_ws_proxy_refused_total', 'WebSocket reverse proxy upgrades refused, by reason');
  return {
    open: registry.gauge('junction_ws_proxy_connections', 'WebSocket reverse proxy connections open now (client and backend both open)').bind(labels),
    buffered: registry.gauge('junction_ws_proxy_buffered_bytes', 'Bytes waiting to be written to either side of the proxied connections now').bind(labels),
    messages: byDirection(registry.counter('junction_ws_proxy_messages_total', 'Messages relayed by WebSocket reverse proxies, by direction')),
    bytes: byDirection(registry.counter('junction_ws_proxy_bytes_total', 'Message bytes (payload) relayed by WebSocket reverse proxies, by direction')),
    pauses: byDirection(registry.counter('junction_ws_proxy_paused_total',
      'Times a proxy stopped reading one side because the other side had max_buffered_bytes waiting, by the direction that was full')),
    refused: (reason) => refused.bind({ ...labels, reason }),
  };
}
