import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Codec } from '../codec/codec.js';
import { MetricsRegistry } from '../metrics/registry.js';
import type { Logger } from '../router/log.js';
import type { Peer, SessionLink, TransportInfo } from '../router/peer.js';
import { ConnectionSlots } from './connection-slots.js';
import { withTlsDetails } from './client-certificate.js';
import { chooseCodec, offeredSubprotocols } from './subprotocol.js';
import { PingWheel } from './ping-wheel.js';
import { WAMP1_SUBPROTOCOL } from './wamp1/messages.js';
import { KeptConnection, WebSocketConnection, type ServiceShared, type TransportCounters } from './websocket-connection.js';
import { plural } from '../protocol/plural.js';
import { requestPath } from './request-path.js';
import { websocketOriginCheck } from './origin-pattern.js';
import { refuseUpgrade } from './upgrade-refusal.js';
import type { WebSocketCookies } from './websocket-cookie.js';
import { onCloseFrameShared } from './ws-close-frame.js';
import { withVisit, type CookieVisit } from '../auth/cookie/cookie-sign-in.js';
import { PerKeyLogThrottle } from '../router/limits/warning-throttle.js';

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
   * false: a client that offers no subprotocol we serve (or none at all) gets JSON, if offered,
   * with no subprotocol in the response (Crossbar's require_websocket_subprotocol: false).
   */
  requireWebsocketSubprotocol: boolean;
  /**
   * The client's address ("1.2.3.4") and label ("tcp4:1.2.3.4:5678"), when a trusted proxy may
   * stand in between. Default: the TCP peer.
   */
  /**
   * Serves connections that chose the WAMP v1 subprotocol "wamp" (only offered when set, and
   * only to clients that offer no WAMP v2 subprotocol we serve).
   */
  wamp1Door?: (ws: WebSocket, transport: TransportInfo, log: Logger) => void;
  clientAddress?: (request: IncomingMessage) => { address: string; label: string; secure?: boolean };
  /** Crossbar's tracking cookie with cookie authentication on this path (websocket-cookie.ts). */
  cookies?: WebSocketCookies;
}

/** Turns a new connection into a session: given by the node, which knows the router and the auth gate. */
export type AttachPeer = (peer: Peer) => SessionLink;

/** At most one warning per client address this often about upgrades refused at the per-address cap. */
const CAP_WARNING_INTERVAL_MS = 10_000;

/**
 * WAMP over WebSocket on a path of our own HTTP server: `ws` in noServer mode does the framing,
 * this class negotiates the WAMP subprotocol, decodes frames and keeps peers alive.
 */
export class WebSocketService {
  private readonly server: WebSocketServer;
  private readonly counters: TransportCounters;
  private readonly originAllowed: (origin: string | undefined) => boolean;
  private readonly slots: ConnectionSlots;
  private readonly capWarnings = new PerKeyLogThrottle(CAP_WARNING_INTERVAL_MS);
  /** Every open connection, by its ws (the shared listeners find theirs here; the ping wheel walks it). */
  private readonly connections = new Map<WebSocket, KeptConnection>();
  private readonly listeners: ReturnType<typeof connectionListeners>;
  private readonly shared: ServiceShared;
  /** The `extra` of the last connection's TransportInfo, reused by the next on the same path (most are). */
  private lastExtra: Readonly<{ path: string }> | undefined;
  /** The key (client address) of the connection slot each socket holds until it closes or becomes a connection. */
  private readonly slotOfSocket = new Map<Duplex, string>();
  /** The socket's 'close' listener (called with the socket as `this`), shared by every socket. */
  private readonly releaseSlot: (this: Duplex) => void;
  /** Keepalive of every connection; none when auto_ping_interval is 0. */
  private readonly wheel: PingWheel | undefined;
  /** The codec of a client that announced no subprotocol we serve; none when one is required. */
  private readonly unannouncedCodec: Codec | undefined;
  /** With cookies: each upgrade's cookie visit and Set-Cookie, from handleUpgrade to the handshake's headers and the connection. */
  private readonly cookieOfRequest = new WeakMap<IncomingMessage, { visit: CookieVisit; setCookie?: string }>();

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
      clientTracking: false,
      // Pings are answered by the shared 'ping' listener (ws would make a closure per connection
      // for its own answers), bounded by the slow-consumer limit instead of a count.
      autoPong: false,
      handleProtocols: (offers) => chooseCodec(offers, options.codecs)?.subprotocol ?? (this.speaksWamp1(offers) ? WAMP1_SUBPROTOCOL : false),
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
    this.releaseSlot = slotReleaser(this.slots, this.slotOfSocket);
    this.shared = {
      counters: this.counters, log, maxMessageSize: options.maxMessageSize, maxNestingDepth: options.maxNestingDepth,
      pingTimeoutMs: options.autoPingTimeout, maxBufferedBytes: options.maxBufferedBytes,
    };
    // Pings after each quiet interval; a peer that does not answer within the timeout is dropped.
    this.wheel = options.autoPingInterval > 0 ? new PingWheel(this.connections, { intervalMs: options.autoPingInterval, timeoutMs: options.autoPingTimeout }) : undefined;
    this.listeners = connectionListeners(this.connections, this.wheel, this.slots);
    this.originAllowed = websocketOriginCheck(options.allowedOrigins, options.allowNullOrigin);
    this.unannouncedCodec = options.requireWebsocketSubprotocol ? undefined : options.codecs.find((codec) => codec.name === 'json');
    if (options.cookies) {
      // The Set-Cookie goes in the 101 response of the upgrade, as Crossbar sends it.
      this.server.on('headers', (headers: string[], request: IncomingMessage) => {
        const setCookie = this.cookieOfRequest.get(request)?.setCookie;
        if (setCookie !== undefined) headers.push(`Set-Cookie: ${setCookie}`);
      });
    }
  }

  /** Handles an HTTP upgrade request routed to this service's path. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const origin = request.headers.origin;
    if (!this.originAllowed(origin)) {
      this.counters.refusedHandshakes.inc({ reason: 'origin' });
      this.log.warn({ origin, remote: request.socket.remoteAddress }, 'WebSocket upgrade refused: origin not allowed');
      return refuseUpgrade(socket, 403, `Origin "${origin}" is not allowed on this endpoint.\n`);
    }
    const offers = offeredSubprotocols(request.headers['sec-websocket-protocol']);
    if (!chooseCodec(offers, this.options.codecs) && !this.speaksWamp1(offers) && !this.unannouncedCodec) {
      this.counters.refusedHandshakes.inc({ reason: 'subprotocol' });
      const supported = [...this.options.codecs.map((codec) => codec.subprotocol), ...(this.options.wamp1Door ? [WAMP1_SUBPROTOCOL] : [])].join(', ');
      const offered = offers.length > 0 ? offers.join(', ') : 'none';
      return refuseUpgrade(socket, 400,
        `No supported WAMP subprotocol was offered (offered: ${offered}). This endpoint supports: ${supported}.\n`);
    }
    const client = this.clientOf(request);
    if (this.slots.take(client.address) !== undefined) return this.refuseAtCap(socket, client.address);
    // Held from here until the socket closes, however the upgrade ends (one shared listener: a
    // closure here would also keep the request and its headers alive); then by the connection.
    this.slotOfSocket.set(socket, client.address);
    socket.on('close', this.releaseSlot);
    const upgrade = (): void => this.server.handleUpgrade(request, socket, head, (ws) => this.connected(ws, request, socket, client.label));
    if (!this.options.cookies) return upgrade();
    // The cookie's store may answer later (Redis; arrive never rejects: a store away reads as no
    // cookie); ws completes no upgrade of a socket closed meanwhile.
    void this.options.cookies.arrive(request, client.secure ?? (request.socket as { encrypted?: boolean }).encrypted === true).then((cookie) => {
      this.cookieOfRequest.set(request, cookie);
      upgrade();
    });
  }

  /** Drops every connection at once (after the router said GOODBYE). */
  closeAll(): void {
    this.wheel?.stop();
    for (const client of this.connections.keys()) client.close(1001, 'router shutting down');
    const stragglers = setTimeout(() => {
      for (const client of this.connections.keys()) client.terminate();
    }, 500);
    stragglers.unref();
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private clientOf(request: IncomingMessage): { address: string; label: string; secure?: boolean } {
    return this.options.clientAddress?.(request) ?? { address: request.socket.remoteAddress ?? 'unknown', label: socketLabel(request) };
  }

  private refuseAtCap(socket: Duplex, address: string): void {
    this.counters.refusedHandshakes.inc({ reason: 'too_many_from_address' });
    if (this.capWarnings.allow(address)) {
      this.log.warn({ address, fromAddress: this.slots.count(address), limit: this.options.maxPerAddress },
        'WebSocket upgrade refused: the address holds max_per_address connections (further refusals for this address are counted, not logged, for 10 s)');
    }
    refuseUpgrade(socket, 429, `Your address already holds ${plural(this.options.maxPerAddress, 'WebSocket connection')} on this endpoint (max_per_address); close one first.\n`);
  }

  private speaksWamp1(offers: Iterable<string>): boolean {
    return this.options.wamp1Door !== undefined && [...offers].includes(WAMP1_SUBPROTOCOL);
  }

  private connected(ws: WebSocket, request: IncomingMessage, socket: Duplex, peerLabel: string): void {
    // The connection holds the slot from now on and gives it back when ws says it closed: one
    // field of its own instead of an entry in slotOfSocket.
    const slotKey = this.slotOfSocket.get(socket)!;
    this.slotOfSocket.delete(socket);
    socket.off('close', this.releaseSlot);
    if (ws.protocol === WAMP1_SUBPROTOCOL && this.options.wamp1Door) {
      // The v1 door reads and writes the connection itself; the service only keeps it alive and closes it.
      const kept = new KeptConnection(ws, peerLabel, slotKey, this.shared);
      this.keep(ws, kept);
      this.options.wamp1Door(ws, { type: 'wamp1', serializer: 'json', peer: peerLabel, extra: this.extraFor(request) }, kept.log);
      return;
    }
    // ws.protocol is "" when handleProtocols chose none: only let through for unannouncedCodec.
    const codec = chooseCodec([ws.protocol], this.options.codecs) ?? this.unannouncedCodec!;
    const connection = new WebSocketConnection(ws, codec, peerLabel, this.connectionExtra(ws, request), slotKey, this.shared);
    ws.on('message', this.listeners.message);
    ws.on('error', this.listeners.error);
    connection.link = this.attach(connection);
    this.keep(ws, connection);
    // The session leaves at the client's close frame, not when its TCP connection ends (ws-close-frame.ts).
    onCloseFrameShared(ws, this.listeners.closeFrame);
  }

  /**
   * TransportInfo.extra: the request's path, without its query (requestPath: it may hold a
   * token). Frozen and shared by the connections that asked for the same path one after another
   * (nearly all do), not an object and a string per connection.
   */
  private extraFor(request: IncomingMessage): Readonly<{ path: string }> {
    const path = requestPath(request.url);
    const last = this.lastExtra;
    if (last !== undefined && last.path === path) return last;
    return (this.lastExtra = Object.freeze({ path }));
  }

  /**
   * TransportInfo.extra of a WAMP v2 connection: its path, and the client's TLS certificate when
   * the endpoint asked for one (`tls` sign-in reads it; only the TLS connection itself tells it,
   * never a header, so behind a TLS-terminating proxy there is none). On a cookie path, an extra
   * of its own that also carries the connection's cookie visit (hidden: see withVisit).
   */
  private connectionExtra(ws: WebSocket, request: IncomingMessage): TransportInfo['extra'] {
    const cookie = this.options.cookies ? this.cookieOfRequest.get(request) : undefined;
    if (cookie === undefined) return withTlsDetails(this.extraFor(request), request.socket);
    const signIn = this.options.cookies!.signIn;
    signIn.opened(cookie.visit, () => ws.close(1000, 'logged out'));
    ws.once('close', () => signIn.closed(cookie.visit));
    return withVisit(withTlsDetails({ path: requestPath(request.url) }, request.socket), cookie.visit);
  }

  /** Tracks a connection until it closes (for closeAll and the counts) and keeps it alive. */
  private keep(ws: WebSocket, connection: KeptConnection): void {
    this.connections.set(ws, connection);
    ws.on('close', this.listeners.close);
    ws.on('ping', this.listeners.ping);
    if (this.wheel) {
      ws.on('pong', this.listeners.pong);
      this.wheel.added(connection);
    }
  }
}

function slotReleaser(slots: ConnectionSlots, slotOfSocket: Map<Duplex, string>): (this: Duplex) => void {
  return function releaseSlot(this: Duplex): void {
    const key = slotOfSocket.get(this);
    if (key === undefined) return;
    slotOfSocket.delete(this);
    slots.give(key);
  };
}

/**
 * The listeners every connection of a service shares: ws calls them with the connection's
 * WebSocket as `this`, and they find its Connection in the service's map.
 */
function connectionListeners(connections: Map<WebSocket, KeptConnection>, wheel: PingWheel | undefined, slots: ConnectionSlots) {
  return {
    // Registered on WAMP v2 connections only (the v1 door reads its own).
    message(this: WebSocket, data: Buffer, isBinary: boolean): void {
      (connections.get(this) as WebSocketConnection | undefined)?.received(data, isBinary);
    },
    error(this: WebSocket, error: Error & { code?: string }): void {
      (connections.get(this) as WebSocketConnection | undefined)?.failed(error);
    },
    ping(this: WebSocket, data: Buffer): void {
      connections.get(this)?.answerPing(data);
    },
    pong(this: WebSocket): void {
      const connection = connections.get(this);
      if (connection) wheel?.heard(connection);
    },
    /** The client's close frame: its session leaves; the connection is kept until 'close'. */
    closeFrame(this: WebSocket): void {
      (connections.get(this) as WebSocketConnection | undefined)?.closed();
    },
    close(this: WebSocket): void {
      const connection = connections.get(this);
      if (!connection) return;
      connections.delete(this);
      wheel?.removed();
      slots.give(connection.slotKey);
      connection.closed();
    },
  };
}

function socketLabel(request: IncomingMessage): string {
  const remote = request.socket;
  return `${remote.remoteFamily === 'IPv6' ? 'tcp6' : 'tcp4'}:${remote.remoteAddress}:${remote.remotePort}`;
}
