import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ListenerConfig } from '../../config/model.js';
import type { Counter, MetricsRegistry } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import { divertByFirstOctet, type Diversion, type RawSocketAcceptor } from '../../transport/rawsocket/sniff.js';
import { httpServerFor, type BoundAddress, type PortSource } from '../socket-server.js';
import { tlsWarningLogger } from '../tls-warnings.js';
import { refuseUpgrade } from '../../transport/upgrade-refusal.js';
import { hostAllowList, hostCheckApplies, misdirectedMessage, type HostAllowList, type HostCheck } from './host-check.js';
import { sendJson, sendNotFound } from './http-reply.js';
import { serverTimeoutOptions, type HttpTimeouts } from './http-timeouts.js';
import { PerKeyLogThrottle } from '../../router/limits/warning-throttle.js';

/**
 * What a path of a listener does: answer upgrades (WebSocket) and/or plain HTTP requests.
 * `subpath` is what follows the handler's own path ("" for the path itself, "/a/b.css" below it).
 */
export interface PathHandler {
  upgrade?(request: IncomingMessage, socket: Duplex, head: Buffer, subpath: string): void;
  request?(request: IncomingMessage, response: ServerResponse, subpath: string): void;
  /** Also serves every path below its own (static files, long-poll transports). Default: exact path only. */
  servesBelow?: boolean;
  /** What a plain HTTP request to a handler that only answers upgrades is told, with 426; default `wampUpgradeRequired`. */
  upgradeRequired?: string;
  /** Which of its requests must name an allowed Host (host-check.ts); default `browser`. */
  hostCheck?: HostCheck;
  /** Closes what this handler holds open (connections, timers). */
  close?(): void | Promise<void>;
  /**
   * How many client sessions it holds open (websocket, long-poll, SSE). When a config reload
   * replaces the handler, it keeps serving those until they end, instead of closing them.
   */
  openSessions?(): number;
  /** A replaced handler still answers the follow-up requests of sessions it holds (a long-poll transport's send and receive). */
  holds?(subpath: string): boolean;
  /** What it was built to run has stopped (a WSGI app that exited): a config reload builds it again even when its settings did not change. */
  stale?(): boolean;
}

/** What a plain HTTP request to a WAMP WebSocket path is told. */
const wampUpgradeRequired = 'This is a WAMP WebSocket endpoint: connect with a WebSocket client offering wamp.2.json, wamp.2.msgpack or wamp.2.cbor.';

/**
 * One HTTP(S) server with a path table. A standalone `websocket` transport answers on every path;
 * a `web` transport routes by exact path.
 */
export class HttpListener {
  readonly server: Server;
  private readonly paths: Map<string, PathHandler>;
  /** Handlers a config reload replaced that still serve their sessions, by path; closed once they hold none, or with the listener. */
  private readonly retired = new Map<string, PathHandler[]>();
  /** Universal transport: connections whose first octet is 0x7F go to RawSocket, 0x10 to MQTT. */
  private readonly diversion: Diversion | undefined;
  /** Each connection's latest response (and through `req` its request), to tell a body still arriving from the next request's headers. */
  private readonly exchanges = new WeakMap<Duplex, ServerResponse>();
  /** Responses waiting behind their connection's current one (pipelined requests), by connection: see closeQueued. */
  private readonly queued = new WeakMap<Duplex, Set<ServerResponse>>();
  private readonly timedOut: Counter;
  private readonly timeoutWarnings = new PerKeyLogThrottle(TIMEOUT_WARNING_INTERVAL_MS);
  private allowedHosts: HostAllowList;
  private readonly hostsRefused: Counter;
  private readonly hostWarnings = new PerKeyLogThrottle(HOST_WARNING_INTERVAL_MS);

  constructor(
    readonly config: ListenerConfig,
    paths: Map<string, PathHandler>,
    private readonly timeouts: HttpTimeouts,
    private readonly log: Logger,
    metrics: MetricsRegistry,
    private readonly ports: PortSource,
    /** Universal transport: connections whose first octet is a key go to its acceptor (RawSocket 0x7F, MQTT 0x10). */
    private readonly diverted: ReadonlyMap<number, RawSocketAcceptor> = new Map(),
  ) {
    this.paths = paths;
    const tls = config.endpoint.tls;
    // The TLS handshake is part of the opening handshake.
    this.server = httpServerFor(config.endpoint, tlsWarningLogger(config.id, log), { ...serverTimeoutOptions(timeouts), handshakeTimeout: timeouts.headersMs });
    this.timedOut = metrics.counter('junction_http_request_timeouts_total',
      'HTTP requests closed for arriving too slowly, by phase (headers: open_handshake_timeout, body: request_body_timeout)');
    this.allowedHosts = hostAllowList(config);
    this.hostsRefused = metrics.counter('junction_http_host_refused_total',
      'HTTP requests and WebSocket upgrades refused (421) because their Host is not one the transport answers to (DNS rebinding guard)');
    this.server.on('upgrade', (request, socket, head) => {
      endOnReset(socket);
      this.afterEarlierAnswers(socket, () => this.upgrade(request, socket, head));
    });
    this.server.on('request', (request, response) => this.request(request, response));
    this.server.on('clientError', (error: Error & { code?: string }, socket) => this.clientError(error, socket));
    // Node answers an Expect other than 100-continue with a bare 417 unless someone listens: it gets a JSON error saying why.
    this.server.on('checkExpectation', (request, response) => sendJson(response, 417,
      { error: 'expectation_failed', message: `the Expect header "${String(request.headers.expect).slice(0, 100)}" is not one this server meets (only 100-continue is)` }));
    // Node drops a CONNECT without a word unless someone listens: we are no proxy, and say so.
    this.server.on('connect', (_request, socket: Duplex) => {
      endOnReset(socket);
      this.afterEarlierAnswers(socket, () => answerAndClose(socket,
        { status: 405, code: 'method_not_allowed', message: 'CONNECT is for proxies, and this is a router: nothing here tunnels' }));
    });
    // Over TLS the first octet is read after the TLS handshake: RawSocket inside TLS, as Crossbar.
    if (diverted.size > 0) {
      const routes = new Map([...diverted].map(([octet, acceptor]) => [octet, (socket: Socket) => acceptor.accept(socket)]));
      this.diversion = divertByFirstOctet(this.server, tls ? 'secureConnection' : 'connection', routes, timeouts.headersMs);
    }
  }

  /**
   * A config reload: `handler` serves `path` from the next request on (undefined: nothing does).
   * The handler it replaces is closed, unless it holds sessions: then they stay until the listener closes.
   */
  async setPath(path: string, handler: PathHandler | undefined): Promise<void> {
    const old = this.paths.get(path);
    if (handler) this.paths.set(path, handler);
    else this.paths.delete(path);
    const closing: PathHandler[] = [];
    // Handlers retired earlier that no longer hold anyone go now; a removed path takes its retired handlers along.
    for (const [retiredPath, handlers] of this.retired) {
      const keep = handler || retiredPath !== path ? handlers.filter((retired) => (retired.openSessions?.() ?? 0) > 0) : [];
      closing.push(...handlers.filter((retired) => !keep.includes(retired)));
      if (keep.length > 0) this.retired.set(retiredPath, keep);
      else this.retired.delete(retiredPath);
    }
    if (old && handler && (old.openSessions?.() ?? 0) > 0) this.retired.set(path, [...(this.retired.get(path) ?? []), old]);
    else if (old) closing.push(old);
    await Promise.all(closing.map((retired) => retired.close?.()));
  }

  /** The paths whose handler is stale (PathHandler.stale). */
  stalePaths(): string[] {
    return [...this.paths].filter(([, handler]) => handler.stale?.() === true).map(([path]) => path);
  }

  /** A config reload changed the transport's allowed_hosts. */
  setAllowedHosts(config: ListenerConfig): void {
    this.allowedHosts = hostAllowList(config);
  }

  get secure(): boolean {
    return this.config.endpoint.tls !== undefined;
  }

  listen(): Promise<BoundAddress> {
    return this.ports.listen(this.server, this.config.endpoint, this.config.id);
  }

  async close(): Promise<void> {
    this.diversion?.close();
    const handlers = [...this.paths.values(), ...[...this.retired.values()].flat()];
    await Promise.all([...handlers.map((handler) => handler.close?.()), ...[...this.diverted.values()].map((acceptor) => acceptor.close())]);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.ports.release(this.config.endpoint);
  }

  /** The exact path's handler, else the longest configured path above it that serves below itself. */
  private handlerFor(url: string | undefined): { handler: PathHandler; subpath: string } | undefined {
    // A URL that is a configured path as it stands (the usual request) is already normal.
    const asSent = url === undefined ? undefined : this.paths.get(url);
    if (asSent) return { handler: asSent, subpath: '' };
    const path = normalizePath(url);
    const exact = this.paths.get(path);
    if (exact) return { handler: exact, subpath: '' };
    for (let end = path.lastIndexOf('/'); end >= 0; end = path.lastIndexOf('/', end - 1)) {
      const base = end === 0 ? '/' : path.slice(0, end);
      const handler = this.paths.get(base);
      if (handler?.servesBelow) {
        const subpath = path.slice(end);
        return { handler: this.retired.get(base)?.find((retired) => retired.holds?.(subpath)) ?? handler, subpath };
      }
      if (end === 0) break;
    }
    const catchAll = this.config.kind === 'websocket' ? this.paths.get('/') : undefined;
    return catchAll ? { handler: catchAll, subpath: '' } : undefined;
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const found = this.handlerFor(request.url);
    if (found && this.misdirected(found.handler, request)) return refuseUpgrade(socket, 421, misdirectedMessage(request.headers.host));
    if (found?.handler.upgrade) return found.handler.upgrade(request, socket, head, found.subpath);
    refuseUpgrade(socket, 404, `No WebSocket endpoint at ${normalizePath(request.url)}.`);
  }

  private request(request: IncomingMessage, response: ServerResponse): void {
    this.exchanges.set(request.socket, response);
    if (response.socket === null) this.closeQueued(request.socket, response);
    const found = this.handlerFor(request.url);
    if (found && this.misdirected(found.handler, request)) {
      return sendJson(response, 421, { error: 'host_not_allowed', message: misdirectedMessage(request.headers.host) });
    }
    if (found?.handler.request) return found.handler.request(request, response, found.subpath);
    if (found?.handler.upgrade) {
      return sendJson(response, 426, { error: 'upgrade_required', message: found.handler.upgradeRequired ?? wampUpgradeRequired });
    }
    sendNotFound(request, response, `nothing is served at ${normalizePath(request.url)}`);
  }

  /**
   * Node hands an upgrade's or a CONNECT's socket over as soon as it has read the request, even
   * while answers to requests pipelined before it on the connection are still being written:
   * answering now would put the 101 (or a refusal) before them, and their bytes would follow as
   * if they were WebSocket frames. It answers after the last of them, in order; if that one ends
   * unfinished (the client left), the connection goes with it.
   */
  private afterEarlierAnswers(socket: Duplex, answer: () => void): void {
    const last = this.exchanges.get(socket);
    if (last === undefined || last.writableFinished) return answer();
    // Node's server stopped watching the socket at the upgrade, so an answer larger than the
    // socket's buffer would wait for ever for its 'drain': the socket's is passed on.
    const drained = () => last.emit('drain');
    const finished = () => {
      socket.off('drain', drained);
      last.off('close', ended);
      answer();
    };
    const ended = () => {
      socket.off('drain', drained);
      last.off('finish', finished);
      socket.destroy();
    };
    socket.on('drain', drained);
    last.once('finish', finished);
    last.once('close', ended);
  }

  /**
   * Node tells only a connection's current response that the client left ('close'): one queued
   * behind it (a pipelined request) never hears it, and its handler would hold what it holds for
   * good (a forwarded request's slot, an SSE stream). It is closed with the connection.
   */
  private closeQueued(socket: Duplex, response: ServerResponse): void {
    let waiting = this.queued.get(socket);
    if (!waiting) {
      const responses = (waiting = new Set());
      this.queued.set(socket, responses);
      socket.once('close', () => {
        for (const queued of responses) {
          queued.destroy();
          queued.emit('close');
        }
      });
    }
    waiting.add(response);
    // Its turn came (Node gave it the connection, and closes it itself), or it ended.
    response.once('socket', () => waiting.delete(response));
    response.once('close', () => waiting.delete(response));
  }

  /** A request whose Host the path's check refuses: counted, and logged at most once per 10 s per listener. */
  private misdirected(handler: PathHandler, request: IncomingMessage): boolean {
    if (!hostCheckApplies(handler.hostCheck ?? 'browser', request) || this.allowedHosts.allows(request.headers.host)) return false;
    this.hostsRefused.inc({ transport: this.config.id });
    if (this.hostWarnings.allow('')) {
      this.log.warn({ host: request.headers.host, url: normalizePath(request.url), origin: request.headers.origin },
        'refused a request for a Host this transport does not answer to (421; a DNS rebinding guard): if it is a name of this router, add it to the transport\'s options.allowed_hosts (further ones are counted, not logged, for 10 s)');
    }
    return true;
  }

  /**
   * A request Node could not read: too slow (408), headers too large (431) or malformed (400).
   * The answer is written only while nothing of a response went out; then the connection closes.
   */
  private clientError(error: Error & { code?: string }, socket: Duplex): void {
    const exchange = this.exchanges.get(socket);
    const inBody = exchange !== undefined && !exchange.req.complete;
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      const phase = inBody ? 'body' : 'headers';
      this.timedOut.inc({ phase });
      const remote = (socket as Partial<Socket>).remoteAddress ?? 'unknown';
      // A connection that never sent a byte is a browser's preconnect left unused, not a slow client.
      if ((socket as Partial<Socket>).bytesRead === 0) {
        this.log.debug({ remote }, 'closed a connection that sent nothing within open_handshake_timeout');
      } else if (this.timeoutWarnings.allow(remote)) {
        const limitMs = phase === 'headers' ? this.timeouts.headersMs : this.timeouts.headersMs + this.timeouts.bodyMs;
        this.log.warn({ remote, phase, limitMs }, 'HTTP request too slow; answered 408 and closed (further ones from this address are counted, not logged, for 10 s)');
      }
    } else {
      this.log.debug({ err: error.message, code: error.code }, 'malformed HTTP request');
    }
    // A request whose body was cut after its answer went out (a 413 while the rest was thrown away) gets no second answer.
    if (!socket.writable || (inBody && exchange.headersSent)) {
      socket.destroy();
      return;
    }
    answerAndClose(socket, clientErrorAnswer(error));
  }
}

/** At most one warning per client address this often about requests that timed out. */
const TIMEOUT_WARNING_INTERVAL_MS = 10_000;
/** At most one warning per listener this often about requests refused for their Host. */
const HOST_WARNING_INTERVAL_MS = 10_000;
/** How long a connection refused by clientError stays half-closed before it is destroyed. */
const CLOSE_LINGER_MS = 1_000;

/** A JSON error answer written on a socket: `code` is its `error`. */
interface SocketAnswer {
  status: number;
  code: string;
  message: string;
}

/**
 * Node hands an upgrade's or a CONNECT's socket over without its own error listener: a client that
 * resets it (Autobahn aborts after a refused upgrade) would end the process. It ends that connection only.
 */
function endOnReset(socket: Duplex): void {
  socket.on('error', () => socket.destroy());
}

/** Writes a JSON error straight to a socket no response owns (Node could not read the request, or it is a CONNECT), and closes it. */
function answerAndClose(socket: Duplex, { status, code, message }: SocketAnswer): void {
  const body = JSON.stringify({ error: code, message });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  // A client still sending would keep a half-closed socket open: it gets a moment to read the answer.
  const linger = setTimeout(() => socket.destroy(), CLOSE_LINGER_MS);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
}

/** The answers to requests Node could not read, by its error code; anything else is malformed (400). */
const clientErrorAnswers: Record<string, SocketAnswer> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request_timeout', message: 'the request did not arrive within the time limit' },
  HPE_HEADER_OVERFLOW: { status: 431, code: 'headers_too_large', message: 'the request headers are larger than this server reads' },
  HPE_INVALID_METHOD: { status: 400, code: 'invalid_method', message: 'the request method is not an HTTP method this server knows' },
};

/** A request Node could not read, answered with a JSON error that says why (Node's parser names the fault in `reason`). */
function clientErrorAnswer(error: Error & { code?: string; reason?: string }): SocketAnswer {
  return clientErrorAnswers[error.code ?? '']
    ?? { status: 400, code: 'malformed_request', message: `the request is not well-formed HTTP/1.1: ${error.reason ?? error.message}` };
}

/** "/ws/?x=1" → "/ws"; "" → "/"; "//a//b" → "/a/b". Percent-escapes are left as they are. */
export function normalizePath(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0]!.replace(/\/{2,}/g, '/').replace(/\/+$/, '');
  return path === '' ? '/' : path.startsWith('/') ? path : `/${path}`;
}

