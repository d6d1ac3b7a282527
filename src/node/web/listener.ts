import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ListenerConfig } from '../../config/model.js';
import type { Counter, MetricsRegistry } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import { PerKeyLogThrottle } from '../../transport/connection-slots.js';
import { divertByFirstOctet, type Diversion, type RawSocketAcceptor } from '../../transport/rawsocket/sniff.js';
import { httpServerFor, listenOn, releaseEndpoint, type BoundAddress } from '../socket-server.js';
import { serverTimeoutOptions, type HttpTimeouts } from './http-timeouts.js';

/**
 * What a path of a listener does: answer upgrades (WebSocket) and/or plain HTTP requests.
 * `subpath` is what follows the handler's own path ("" for the path itself, "/a/b.css" below it).
 */
export interface PathHandler {
  upgrade?(request: IncomingMessage, socket: Duplex, head: Buffer, subpath: string): void;
  request?(request: IncomingMessage, response: ServerResponse, subpath: string): void;
  /** Also serves every path below its own (static files, long-poll transports). Default: exact path only. */
  servesBelow?: boolean;
  /** Closes what this handler holds open (connections, timers). */
  close?(): void | Promise<void>;
}

/**
 * One HTTP(S) server with a path table. A standalone `websocket` transport answers on every path;
 * a `web` transport routes by exact path.
 */
export class HttpListener {
  readonly server: Server;
  private readonly paths: Map<string, PathHandler>;
  private readonly catchAll: PathHandler | undefined;
  /** Universal transport: connections whose first octet is 0x7F go to RawSocket, 0x10 to MQTT. */
  private readonly diversion: Diversion | undefined;
  /** Each connection's latest request, to tell a body still arriving from the next request's headers. */
  private readonly exchanges = new WeakMap<Duplex, { request: IncomingMessage; response: ServerResponse }>();
  private readonly timedOut: Counter;
  private readonly timeoutWarnings = new PerKeyLogThrottle(TIMEOUT_WARNING_INTERVAL_MS);

  constructor(
    readonly config: ListenerConfig,
    paths: Map<string, PathHandler>,
    private readonly timeouts: HttpTimeouts,
    private readonly log: Logger,
    metrics: MetricsRegistry,
    /** Universal transport: connections whose first octet is a key go to its acceptor (RawSocket 0x7F, MQTT 0x10). */
    private readonly diverted: ReadonlyMap<number, RawSocketAcceptor> = new Map(),
  ) {
    this.paths = paths;
    this.catchAll = config.kind === 'websocket' ? paths.get('/') : undefined;
    const tls = config.endpoint.tls;
    // The TLS handshake is part of the opening handshake.
    this.server = httpServerFor(config.endpoint, { ...serverTimeoutOptions(timeouts), handshakeTimeout: timeouts.headersMs });
    this.timedOut = metrics.counter('junction_http_request_timeouts_total',
      'HTTP requests closed for arriving too slowly, by phase (headers: open_handshake_timeout, body: request_body_timeout)');
    this.server.on('upgrade', (request, socket, head) => this.upgrade(request, socket, head));
    this.server.on('request', (request, response) => this.request(request, response));
    this.server.on('clientError', (error: Error & { code?: string }, socket) => this.clientError(error, socket));
    // Over TLS the first octet is read after the TLS handshake: RawSocket inside TLS, as Crossbar.
    if (diverted.size > 0) {
      const routes = new Map([...diverted].map(([octet, acceptor]) => [octet, (socket: Socket) => acceptor.accept(socket)]));
      this.diversion = divertByFirstOctet(this.server, tls ? 'secureConnection' : 'connection', routes, timeouts.headersMs);
    }
  }

  get secure(): boolean {
    return this.config.endpoint.tls !== undefined;
  }

  listen(): Promise<BoundAddress> {
    return listenOn(this.server, this.config.endpoint);
  }

  async close(): Promise<void> {
    this.diversion?.close();
    await Promise.all([...[...this.paths.values()].map((handler) => handler.close?.()), ...[...this.diverted.values()].map((acceptor) => acceptor.close())]);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await releaseEndpoint(this.config.endpoint);
  }

  /** The exact path's handler, else the longest configured path above it that serves below itself. */
  private handlerFor(url: string | undefined): { handler: PathHandler; subpath: string } | undefined {
    const path = normalizePath(url);
    const exact = this.paths.get(path);
    if (exact) return { handler: exact, subpath: '' };
    for (let end = path.lastIndexOf('/'); end >= 0; end = path.lastIndexOf('/', end - 1)) {
      const handler = this.paths.get(end === 0 ? '/' : path.slice(0, end));
      if (handler?.servesBelow) return { handler, subpath: path.slice(end) };
      if (end === 0) break;
    }
    return this.catchAll ? { handler: this.catchAll, subpath: '' } : undefined;
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const found = this.handlerFor(request.url);
    if (found?.handler.upgrade) return found.handler.upgrade(request, socket, head, found.subpath);
    const body = `No WebSocket endpoint at ${normalizePath(request.url)}.\n`;
    socket.end(`HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  private request(request: IncomingMessage, response: ServerResponse): void {
    this.exchanges.set(request.socket, { request, response });
    const found = this.handlerFor(request.url);
    if (found?.handler.request) return found.handler.request(request, response, found.subpath);
    if (found?.handler.upgrade) {
      return sendJson(response, 426, {
        error: 'upgrade_required',
        message: 'This is a WAMP WebSocket endpoint: connect with a WebSocket client offering wamp.2.json, wamp.2.msgpack or wamp.2.cbor.',
      });
    }
    sendJson(response, 404, { error: 'not_found', message: `nothing is served at ${normalizePath(request.url)}` });
  }

  /**
   * A request Node could not read: too slow (408), headers too large (431) or malformed (400).
   * The answer is written only while nothing of a response went out; then the connection closes.
   */
  private clientError(error: Error & { code?: string }, socket: Duplex): void {
    const exchange = this.exchanges.get(socket);
    const inBody = exchange !== undefined && !exchange.request.complete;
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      const phase = inBody ? 'body' : 'headers';
      this.timedOut.inc({ phase });
      const remote = (socket as Partial<Socket>).remoteAddress ?? 'unknown';
      if (this.timeoutWarnings.allow(remote)) {
        const limitMs = phase === 'headers' ? this.timeouts.headersMs : this.timeouts.headersMs + this.timeouts.bodyMs;
        this.log.warn({ remote, phase, limitMs }, 'HTTP request too slow; answered 408 and closed (further ones from this address are counted, not logged, for 10 s)');
      }
    } else {
      this.log.debug({ err: error.message, code: error.code }, 'malformed HTTP request');
    }
    // A request whose body was cut after its answer went out (a 413 while the rest was thrown away) gets no second answer.
    if (!socket.writable || (inBody && exchange.response.headersSent)) {
      socket.destroy();
      return;
    }
    const status = clientErrorStatus[error.code ?? ''] ?? '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    // A client still sending would keep a half-closed socket open: it gets a moment to read the answer.
    const linger = setTimeout(() => socket.destroy(), CLOSE_LINGER_MS);
    linger.unref();
    socket.once('close', () => clearTimeout(linger));
  }
}

/** At most one warning per client address this often about requests that timed out. */
const TIMEOUT_WARNING_INTERVAL_MS = 10_000;
/** How long a connection refused by clientError stays half-closed before it is destroyed. */
const CLOSE_LINGER_MS = 1_000;

const clientErrorStatus: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
};

/** "/ws/?x=1" → "/ws"; "" → "/"; "//a//b" → "/a/b". Percent-escapes are left as they are. */
export function normalizePath(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0]!.replace(/\/{2,}/g, '/').replace(/\/+$/, '');
  return path === '' ? '/' : path.startsWith('/') ? path : `/${path}`;
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
