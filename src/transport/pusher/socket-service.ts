import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Counter, Gauge, MetricsRegistry } from '../../metrics/registry.js';
import { ErrorUri } from '../../protocol/errors.js';
import { plural } from '../../protocol/plural.js';
import { InternalCallError } from '../../router/internal-session.js';
import type { Logger } from '../../router/log.js';
import { ConnectionSlots, type Slot } from '../connection-slots.js';
import type { PusherApp, PusherLimits, SessionSource } from './app.js';
import { PusherConnection } from './connection.js';
import { CloseCode, ErrorCode, errorFrame, PROTOCOL_VERSION } from './protocol.js';
import { PerKeyLogThrottle } from '../../router/limits/warning-throttle.js';

/** Warnings about limits reached: at most one per (kind, address) this often; the metrics count every one. */
const WARNING_INTERVAL_MS = 10_000;

/** Why a connection still open when the ports close is closed (4200). */
const SERVER_RESTARTING = 'the server is restarting';
/** Why a new connection is refused (4100) while the node stops. */
const SERVER_STOPPING = 'the server is shutting down: try again shortly';

/** Frames held while the connection's session joins; a client that sends more is closed (1008). */
const EARLY_FRAMES_LIMIT = 100;

/** pusher:error codes that mean a limit was reached (warned), not a client's mistake (debug). */
const LIMIT_CODES: ReadonlySet<number> = new Set([
  ErrorCode.rateLimited, ErrorCode.eventTooLarge, ErrorCode.tooManyChannels, ErrorCode.memberTooLarge, ErrorCode.presenceFull,
]);

interface SocketMetrics {
  connections: Gauge;
  slowConsumers: Counter;
  refusedConnections: Counter;
  errors: Counter;
}

/**
 * The WebSocket side of a pusher transport, at /app/{key}: checks the key and protocol version,
 * takes a connection slot, joins a router session for the connection and hands both to a
 * PusherConnection. Refusals follow the protocol: the socket opens, gets pusher:error, and closes
 * with the code that tells pusher-js whether to reconnect.
 */
export class PusherSocketService {
  private readonly server: WebSocketServer;
  private readonly slots: ConnectionSlots;
  private readonly metrics: SocketMetrics;
  private readonly warnings = new PerKeyLogThrottle(WARNING_INTERVAL_MS);
  /** The first part of every socket id of this process; the second part counts up. */
  private readonly socketPrefix = randomInt(1, 1_000_000_000);
  private nextSocket = 1;
  private stopping = false;

  constructor(
    private readonly apps: ReadonlyMap<string, PusherApp>,
    private readonly sessions: SessionSource,
    private readonly limits: PusherLimits,
    private readonly clientAddress: (request: IncomingMessage) => { address: string; label: string },
    private readonly log: Logger,
    metrics: MetricsRegistry,
  ) {
    this.server = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageSize, perMessageDeflate: false, clientTracking: true });
    this.slots = new ConnectionSlots({ total: limits.maxConnections, perKey: limits.maxPerAddress });
    this.metrics = {
      connections: metrics.gauge('junction_pusher_connections', 'Open Pusher connections, by app'),
      slowConsumers: metrics.counter('junction_pusher_slow_consumer_closed_total', 'Pusher connections closed (1008) because their send buffer passed max_buffered_bytes'),
      refusedConnections: metrics.counter('junction_pusher_refused_connections_total', 'Pusher connections closed at once, by close code'),
      errors: metrics.counter('junction_pusher_errors_total', 'pusher:error and subscription errors sent (the connection stays open), by code'),
    };
    for (const app of apps.values()) this.metrics.connections.set(0, { app: app.settings.id });
  }

  /** `subpath` is what follows /app: "/{key}". */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, subpath: string): void {
    this.server.handleUpgrade(request, socket, head, (ws) => void this.opened(ws, request, subpath));
  }

  /** Closes every connection with 4200 (reconnect): the node's ports close. */
  closeAll(): void {
    this.stopping = true;
    for (const app of this.apps.values()) app.closeAll(CloseCode.reconnect, SERVER_RESTARTING);
    for (const ws of this.server.clients) ws.close(CloseCode.reconnect, SERVER_RESTARTING);
    this.server.close();
  }

  private async opened(ws: WebSocket, request: IncomingMessage, subpath: string): Promise<void> {
    const key = decodeURIComponent(subpath.replace(/^\//, ''));
    const app = this.apps.get(key);
    if (key === '' || key.includes('/')) return this.reject(ws, CloseCode.pathNotFound, 'connect to /app/{key}');
    if (!app) return this.reject(ws, CloseCode.unknownApp, `no app with key "${key.slice(0, 64)}"`);
    const version = new URL(request.url ?? '/', 'http://localhost').searchParams.get('protocol');
    if (version === null) return this.reject(ws, CloseCode.noVersion, 'no protocol version: add ?protocol=7');
    if (!/^\d+$/.test(version)) return this.reject(ws, CloseCode.invalidVersion, `"${version.slice(0, 20)}" is not a protocol version number`);
    if (Number(version) !== PROTOCOL_VERSION) return this.reject(ws, CloseCode.unsupportedVersion, `protocol ${Number(version)} is not supported; this server speaks protocol ${PROTOCOL_VERSION}`);
    if (this.stopping) return this.reject(ws, CloseCode.stopping, SERVER_STOPPING);
    const client = this.clientAddress(request);
    const slot = this.slots.acquire(client.address);
    if (typeof slot === 'string') {
      const message = slot === 'service_full'
        ? `over capacity: this transport holds its ${plural(this.limits.maxConnections, 'connection')} (max_connections)`
        : `over capacity: your address holds ${plural(this.limits.maxPerAddress, 'connection')} (max_per_address)`;
      if (this.warnings.allow(`${slot} ${client.address}`)) this.log.warn({ remote: client.label }, `Pusher connection refused with 4100, ${message} (further ones from this address are counted, not logged, for 10 s)`);
      return this.reject(ws, CloseCode.overCapacity, message);
    }
    await this.serve(ws, app, slot, client.label);
  }

  private async serve(ws: WebSocket, app: PusherApp, slot: Slot, peer: string): Promise<void> {
    const socketId = `${this.socketPrefix}.${this.nextSocket++}`;
    const log = this.log.child({ app: app.settings.id, socket_id: socketId });
    // Frames that arrive while the session joins wait here (pusher-js sends nothing before
    // connection_established, but nothing obliges a client not to).
    const early: Buffer[] = [];
    const hold = (data: Buffer): void => {
      if (early.length < EARLY_FRAMES_LIMIT) early.push(data);
      else ws.close(1008, 'too many messages before pusher:connection_established');
    };
    ws.on('message', hold);
    let session;
    try {
      session = await this.sessions.connection(app.settings, socketId, { type: 'pusher', serializer: 'json', peer, extra: { app: app.settings.id, socket_id: socketId } });
    } catch (error) {
      slot.release();
      // The router began shutting down after the checks above: the same refusal as theirs.
      if (error instanceof InternalCallError && error.uri === ErrorUri.systemShutdown) return this.reject(ws, CloseCode.stopping, SERVER_STOPPING);
      log.warn({ err: (error as Error).message }, 'a Pusher connection could not join its realm');
      // 4100: pusher-js backs off before trying again, instead of hammering a realm that refuses.
      return this.reject(ws, CloseCode.overCapacity, `could not join realm "${app.settings.realm}": ${(error as Error).message}`);
    }
    ws.off('message', hold);
    if (ws.readyState !== ws.OPEN) {
      session.leave();
      slot.release();
      return;
    }
    const labels = { app: app.settings.id };
    this.metrics.connections.add(1, labels);
    const connection = new PusherConnection(socketId, ws, session, app, this.limits, {
      refused: (code, message) => {
        this.metrics.errors.inc({ code: String(code) });
        if (LIMIT_CODES.has(code) && this.warnings.allow(`${code} ${socketId}`)) log.warn({ code, remote: peer }, `${message} (this connection's further ones are counted, not logged, for 10 s)`);
        else log.debug({ code, message }, 'pusher:error sent');
      },
      slowConsumer: (bufferedBytes) => {
        this.metrics.slowConsumers.inc();
        log.warn({ remote: peer, bufferedBytes, limit: this.limits.maxBufferedBytes }, 'slow Pusher consumer closed with 1008');
      },
      closed: () => {
        this.metrics.connections.add(-1, labels);
        slot.release();
      },
    });
    connection.start();
    for (const data of early) ws.emit('message', data, false);
  }

  private reject(ws: WebSocket, code: number, message: string): void {
    this.metrics.refusedConnections.inc({ code: String(code) });
    this.log.debug({ code, message }, 'Pusher connection refused');
    ws.send(errorFrame(code, message));
    ws.close(code, closeReason(message));
  }
}

/** A WebSocket close reason holds at most 123 bytes: the message, cut on a character boundary. */
function closeReason(message: string): string {
  let reason = message;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}
