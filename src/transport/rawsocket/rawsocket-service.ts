import type { Duplex } from 'node:stream';
import type { Codec } from '../../codec/codec.js';
import { MetricsRegistry, type Gauge } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import { ConnectionSlots } from '../connection-slots.js';
import { RawSocketConnection, type AttachRawSocketPeer, type RawSocketCounters } from './rawsocket-connection.js';
import { exponentFor, HandshakeError, lengthOfExponent, SerializerId } from './handshake.js';
import { PerKeyLogThrottle } from '../../router/limits/warning-throttle.js';

export type { AttachRawSocketPeer } from './rawsocket-connection.js';

export interface RawSocketServiceOptions {
  /** Serializers served (the client picks one in its handshake). */
  codecs: readonly Codec[];
  /** Largest message accepted, in bytes; announced as the largest 2^(9+n) that does not exceed it. */
  maxMessageSize: number;
  /** Connections at once; more are refused with handshake error 4. */
  maxConnections: number;
  /** Connections one client address may hold at once; more are refused with handshake error 4 (0: no limit; Unix sockets: none). */
  maxPerAddress: number;
  /** Milliseconds of silence before a PING; 0 turns keepalive off. */
  autoPingInterval: number;
  /** Milliseconds to wait for the PONG. */
  autoPingTimeout: number;
  /** Handshake plus WAMP opening must finish within this many ms (0 = no limit). */
  openHandshakeTimeout: number;
  /** Slow-consumer limit: bytes waiting to be written to one connection. */
  maxBufferedBytes: number;
  /** Messages nesting lists and dicts deeper than this abort their session (default DEFAULT_MAX_NESTING_DEPTH). */
  maxNestingDepth?: number;
  /**
   * Clients that receive less than this are refused with handshake error 2, "maximum message
   * length unacceptable" (default 1024). The router's WELCOME, with its role features, is about
   * 770 octets in JSON: a client that receives at most 512 could never be welcomed, so it is told
   * at once instead of being aborted by its first message.
   */
  minClientLength?: number;
}

const DEFAULT_MIN_CLIENT_LENGTH = 1_024;

/** At most one warning per client address this often about connections refused at the per-address cap. */
const CAP_WARNING_INTERVAL_MS = 10_000;

/** How long connections get to take their GOODBYE and close before they are destroyed. */
const SHUTDOWN_GRACE_MS = 500;

/**
 * WAMP over RawSocket (the spec's TCP transport) for one listener: hand it every accepted
 * socket, whether from a TCP port, a Unix socket or a web port that saw the 0x7F magic octet.
 */
export class RawSocketService {
  private readonly connections = new Set<RawSocketConnection>();
  /** Connections over the limit, kept only until they have read their error reply. */
  private readonly refusing = new Set<RawSocketConnection>();
  private readonly counters: RawSocketCounters;
  private readonly gauge: Gauge;
  private readonly settings: ConstructorParameters<typeof RawSocketConnection>[2];
  private stopping = false;
  private readonly idle: (() => void)[] = [];
  private readonly perAddress: ConnectionSlots;
  private readonly capWarnings = new PerKeyLogThrottle(CAP_WARNING_INTERVAL_MS);

  constructor(attach: AttachRawSocketPeer, private readonly options: RawSocketServiceOptions, private readonly log: Logger, metrics = new MetricsRegistry()) {
    if (options.codecs.length === 0) throw new Error('a RawSocket service needs at least one serializer');
    this.counters = {
      refused: metrics.counter('junction_rawsocket_refused_handshakes_total', 'RawSocket handshakes refused or failed, by reason'),
      oversized: metrics.counter('junction_rawsocket_oversized_frames_total', 'RawSocket connections closed for a frame over the announced maximum length'),
      protocolErrors: metrics.counter('junction_rawsocket_protocol_errors_total', 'RawSocket connections closed for a malformed frame header, by kind'),
      deadPeers: metrics.counter('junction_rawsocket_ping_timeouts_total', 'RawSocket connections dropped for not answering a PING in time'),
      slowConsumers: metrics.counter('junction_rawsocket_slow_consumer_closed_total', 'RawSocket connections dropped because their send buffer passed its limit'),
      tooLongForClient: metrics.counter('junction_rawsocket_too_long_for_client_total', 'Messages not sent because they exceed what the RawSocket client accepts, by message type'),
    };
    this.gauge = metrics.gauge('junction_rawsocket_connections', 'Open RawSocket connections');
    this.perAddress = new ConnectionSlots({ total: 0, perKey: options.maxPerAddress });
    this.settings = {
      codecs: new Map(options.codecs.map((codec) => [SerializerId[codec.name], codec])),
      lengthExponent: exponentFor(options.maxMessageSize),
      minClientLength: options.minClientLength ?? DEFAULT_MIN_CLIENT_LENGTH,
      openHandshakeTimeout: options.openHandshakeTimeout,
      autoPingInterval: options.autoPingInterval,
      autoPingTimeout: options.autoPingTimeout,
      maxBufferedBytes: options.maxBufferedBytes,
      maxNestingDepth: options.maxNestingDepth,
      attach,
      counters: this.counters,
      log,
    };
  }

  /** The longest message this service accepts (what it announces in its handshake). */
  get maxReceiveLength(): number {
    return lengthOfExponent(this.settings.lengthExponent);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * A new connection; `peerLabel` names it in logs and the session meta API ("tcp4:ip:port",
   * "unix:/path"); `address` is the client's IP address (none on a Unix socket).
   */
  accept(socket: Duplex, peerLabel: string, address?: string): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.options.maxConnections) return this.refuse(socket, peerLabel, 'max_connections');
    const slot = address === undefined ? undefined : this.perAddress.acquire(address);
    if (typeof slot === 'string') {
      if (this.capWarnings.allow(address!)) {
        this.log.warn({ address, limit: this.options.maxPerAddress },
          'RawSocket connection refused: the address holds max_per_address connections (further refusals for this address are counted, not logged, for 10 s)');
      }
      return this.refuse(socket, peerLabel, 'max_per_address');
    }
    const connection = new RawSocketConnection(socket, peerLabel, this.settings, (closed) => {
      slot?.release();
      this.forget(closed);
    });
    this.connections.add(connection);
    this.gauge.add(1);
  }

  /** Answers error 4 after reading the handshake. A flood of those is not kept. */
  private refuse(socket: Duplex, peerLabel: string, reason: 'max_connections' | 'max_per_address'): void {
    if (this.refusing.size >= this.options.maxConnections) {
      this.counters.refused.inc({ reason });
      socket.destroy();
      return;
    }
    const refusal = new RawSocketConnection(socket, peerLabel, this.settings, (closed) => this.forget(closed),
      { code: HandshakeError.maxConnectionsReached, reason });
    this.refusing.add(refusal);
  }

  /**
   * Ends every connection (after the router said GOODBYE): each gets a short grace to flush, then
   * is destroyed. Resolves when all are closed.
   */
  async close(): Promise<void> {
    this.stopping = true;
    for (const connection of this.refusing) connection.destroy();
    for (const connection of this.connections) connection.shutdown();
    if (this.connections.size === 0) return;
    const stragglers = setTimeout(() => {
      for (const connection of this.connections) connection.destroy();
    }, SHUTDOWN_GRACE_MS);
    stragglers.unref();
    await new Promise<void>((resolve) => this.idle.push(resolve));
    clearTimeout(stragglers);
  }

  private forget(connection: RawSocketConnection): void {
    if (this.refusing.delete(connection)) return;
    if (!this.connections.delete(connection)) return;
    this.gauge.add(-1);
    if (this.connections.size === 0) for (const resolve of this.idle.splice(0)) resolve();
  }
}
