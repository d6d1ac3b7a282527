import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Codec } from '../codec/codec.js';
import type { Counter } from '../metrics/registry.js';
import { MetricsRegistry } from '../metrics/registry.js';
import type { Logger } from '../router/log.js';
import type { Peer, SessionLink } from '../router/peer.js';
import { ConnectionSlots, PerKeyLogThrottle } from './connection-slots.js';
import { decodeMessage } from './decode-message.js';
import { chooseCodec, offeredSubprotocols } from './subprotocol.js';
import { WebSocketPeer } from './websocket-peer.js';

export interface WebSocketServiceOptions {
  /** The serializers offered, in our order (the client's order of preference decides among them). */
  codecs: readonly Codec[];
  /** Largest message accepted, in bytes; a larger one closes the connection with 1009. */
  maxMessageSize: number;
  /** Milliseconds between pings; 0 turns keepalive off. */
  autoPingInterval: number;
  /** Milliseconds to wait for a pong before the peer is considered dead. */
  autoPingTimeout: number;
  /** Slow-consumer limit: bytes waiting to be written to one connection. */
  maxBufferedBytes: number;
  /** Messages nesting lists and dicts deeper than this abort their session (default DEFAULT_MAX_NESTING_DEPTH). */
  maxNestingDepth?: number;
  /** Allowed Origin header values; "*" patterns allowed; ['*'] allows all. */
  allowedOrigins: readonly string[];
  /** Accept the literal origin "null" (sandboxed pages, file://) even when allowedOrigins is narrower. */
  allowNullOrigin: boolean;
  /** permessage-deflate. */
  compression: boolean;
  /** Connections one client address may hold at once; more upgrades are refused with 429 (0: no limit). */
  maxPerAddress: number;
  /**
   * The client's address ("1.2.3.4") and label ("tcp4:1.2.3.4:5678"), when a trusted proxy may
   * stand in between. Default: the TCP peer.
   */
  clientAddress?: (request: IncomingMessage) => { address: string; label: string };
}

/** Turns a new connection into a session: given by the node, which knows the router and the auth gate. */
export type AttachPeer = (peer: Peer) => SessionLink;

interface TransportCounters {
  oversized: Counter;
  tooFragmented: Counter;
  slowConsumers: Counter;
  deadPeers: Counter;
  refusedHandshakes: Counter;
}

/** At most one warning per client address this often about upgrades refused at the per-address cap. */
const CAP_WARNING_INTERVAL_MS = 10_000;

/**
 * WAMP over WebSocket on a path of our own HTTP server: `ws` in noServer mode does the framing,
 * this class negotiates the WAMP subprotocol, decodes frames and keeps peers alive.
 */
export class WebSocketService {
  private readonly server: WebSocketServer;
  private readonly counters: TransportCounters;
  private readonly origins: RegExp[] | undefined;
  private readonly slots: ConnectionSlots;
  private readonly capWarnings = new PerKeyLogThrottle(CAP_WARNING_INTERVAL_MS);

  constructor(
    private readonly attach: AttachPeer,
    private readonly options: WebSocketServiceOptions,
    private readonly log: Logger,
    metrics: MetricsRegistry = new MetricsRegistry(),
  ) {
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxMessageSize,
      perMessageDeflate: options.compression,
      clientTracking: true,
      handleProtocols: (offers) => chooseCodec(offers, options.codecs)?.subprotocol ?? false,
    });
    this.counters = {
      oversized: metrics.counter('junction_ws_oversized_messages_total', 'Connections closed (1009) for a message over max_message_size'),
      slowConsumers: metrics.counter('junction_ws_slow_consumer_closed_total', 'Connections closed (1008) because their send buffer passed its limit'),
      deadPeers: metrics.counter('junction_ws_ping_timeouts_total', 'Connections dropped for not answering a ping in time'),
      tooFragmented: metrics.counter('junction_ws_fragment_limit_closed_total',
        'Connections closed (1008) by the ws library for a message in more than 16384 fragments or 262144 buffered chunks'),
      refusedHandshakes: metrics.counter('junction_ws_refused_handshakes_total',
        'Upgrades refused, by reason (subprotocol, origin, too_many_from_address)'),
    };
    this.slots = new ConnectionSlots({ total: 0, perKey: options.maxPerAddress });
    this.origins = options.allowedOrigins.includes('*') ? undefined : options.allowedOrigins.map(globToRegExp);
  }

  /** Handles an HTTP upgrade request routed to this service's path. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const origin = request.headers.origin;
    if (this.origins && origin !== undefined && !(origin === 'null' && this.options.allowNullOrigin) &&
        !this.origins.some((pattern) => pattern.test(origin))) {
      this.counters.refusedHandshakes.inc({ reason: 'origin' });
      this.log.warn({ origin, remote: request.socket.remoteAddress }, 'WebSocket upgrade refused: origin not allowed');
      return refuseUpgrade(socket, 403, `Origin "${origin}" is not allowed on this endpoint.\n`);
    }
    const offers = offeredSubprotocols(request.headers['sec-websocket-protocol']);
    if (!chooseCodec(offers, this.options.codecs)) {
      this.counters.refusedHandshakes.inc({ reason: 'subprotocol' });
      const supported = this.options.codecs.map((codec) => codec.subprotocol).join(', ');
      const offered = offers.length > 0 ? offers.join(', ') : 'none';
      return refuseUpgrade(socket, 400,
        `No supported WAMP subprotocol was offered (offered: ${offered}). This endpoint supports: ${supported}.\n`);
    }
    const client = this.clientOf(request);
    const slot = this.slots.acquire(client.address);
    if (typeof slot === 'string') return this.refuseAtCap(socket, client.address);
    // Held from here until the socket closes, however the upgrade and the connection end.
    socket.once('close', () => slot.release());
    this.server.handleUpgrade(request, socket, head, (ws) => this.connected(ws, request, client.label));
  }

  /** Drops every connection at once (after the router said GOODBYE). */
  closeAll(): void {
    for (const client of this.server.clients) client.close(1001, 'router shutting down');
    const stragglers = setTimeout(() => {
      for (const client of this.server.clients) client.terminate();
    }, 500);
    stragglers.unref();
  }

  get connectionCount(): number {
    return this.server.clients.size;
  }

  private clientOf(request: IncomingMessage): { address: string; label: string } {
    return this.options.clientAddress?.(request) ?? { address: request.socket.remoteAddress ?? 'unknown', label: socketLabel(request) };
  }

  private refuseAtCap(socket: Duplex, address: string): void {
    this.counters.refusedHandshakes.inc({ reason: 'too_many_from_address' });
    if (this.capWarnings.allow(address)) {
      this.log.warn({ address, fromAddress: this.slots.count(address), limit: this.options.maxPerAddress },
        'WebSocket upgrade refused: the address holds max_per_address connections (further refusals for this address are counted, not logged, for 10 s)');
    }
    refuseUpgrade(socket, 429, `Your address already holds ${this.options.maxPerAddress} WebSocket connections on this endpoint (max_per_address); close one first.\n`);
  }

  private connected(ws: WebSocket, request: IncomingMessage, peerLabel: string): void {
    const codec = chooseCodec([ws.protocol], this.options.codecs)!;
    const log = this.log.child({ peer: peerLabel });
    const peer = new WebSocketPeer(ws, codec, { type: 'websocket', serializer: codec.name, peer: peerLabel, extra: { path: request.url } }, {
      maxBufferedBytes: this.options.maxBufferedBytes,
      log,
      onSlowConsumer: () => this.counters.slowConsumers.inc(),
    });
    const link = this.attach(peer);
    const stopKeepalive = this.keepAlive(ws, log);

    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (codec.binary && !isBinary) {
        link.receiveGarbage(`could not decode the message as ${codec.name}: ${codec.subprotocol} needs binary frames, got a text frame`);
        return;
      }
      const decoded = decodeMessage(codec, codec.binary ? data : data.toString('utf8'), this.options.maxNestingDepth);
      if (decoded.ok) link.receive(decoded.message, data.length);
      else link.receiveGarbage(decoded.reason);
    });
    ws.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        this.counters.oversized.inc();
        log.warn({ limitBytes: this.options.maxMessageSize }, 'message larger than max_message_size; connection closed (1009)');
      } else if (error.code === 'WS_ERR_TOO_MANY_BUFFERED_PARTS') {
        // ws has already sent its close (1008, no reason): it gives us no way to add one.
        this.counters.tooFragmented.inc();
        log.warn({ err: error.message }, 'message in too many fragments (ws caps them at 16384); connection closed (1008)');
      } else {
        log.warn({ code: error.code, err: error.message }, 'WebSocket error; connection closed');
      }
    });
    ws.on('close', () => {
      stopKeepalive();
      link.detach();
    });
  }

  /** Pings after each quiet interval; a peer that does not answer within the timeout is dropped. */
  private keepAlive(ws: WebSocket, log: Logger): () => void {
    const { autoPingInterval: interval, autoPingTimeout: timeout } = this.options;
    if (interval <= 0) return () => {};
    let timer: ReturnType<typeof setTimeout>;
    const schedulePing = (): void => {
      timer = setTimeout(() => {
        ws.ping();
        timer = setTimeout(() => {
          this.counters.deadPeers.inc();
          log.warn({ timeoutMs: timeout }, 'no pong within auto_ping_timeout; dropping the connection');
          ws.terminate();
        }, timeout);
        timer.unref();
      }, interval);
      timer.unref();
    };
    ws.on('pong', () => {
      clearTimeout(timer);
      schedulePing();
    });
    schedulePing();
    return () => clearTimeout(timer);
  }
}

function socketLabel(request: IncomingMessage): string {
  const remote = request.socket;
  return `${remote.remoteFamily === 'IPv6' ? 'tcp6' : 'tcp4'}:${remote.remoteAddress}:${remote.remotePort}`;
}

const upgradeRefusals = { 400: 'Bad Request', 403: 'Forbidden', 429: 'Too Many Requests' } as const;

function refuseUpgrade(socket: Duplex, status: keyof typeof upgradeRefusals, body: string): void {
  const reason = upgradeRefusals[status];
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}
