import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ListenerConfig } from '../../config/model.js';
import type { Logger } from '../../router/log.js';

/** What a path of a listener does: answer upgrades (WebSocket) and/or plain HTTP requests. */
export interface PathHandler {
  upgrade?(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  request?(request: IncomingMessage, response: ServerResponse): void;
  /** Closes what this handler holds open (connections, timers). */
  close?(): void;
}

/**
 * One HTTP(S) server with a path table. A standalone `websocket` transport answers on every path;
 * a `web` transport routes by exact path.
 */
export class HttpListener {
  private readonly server: Server;
  private readonly paths: Map<string, PathHandler>;
  private readonly catchAll: PathHandler | undefined;

  constructor(
    readonly config: ListenerConfig,
    paths: Map<string, PathHandler>,
    handshakeTimeoutMs: number,
    private readonly log: Logger,
  ) {
    this.paths = paths;
    this.catchAll = config.kind === 'websocket' ? paths.get('/') : undefined;
    const tls = config.endpoint.tls;
    this.server = tls
      ? createHttpsServer({
          key: readFileSync(tls.key),
          cert: readFileSync(tls.certificate),
          ca: tls.chainCertificates.map((file) => readFileSync(file)),
        })
      : createHttpServer();
    // The opening handshake (request line and headers) must arrive within this time.
    this.server.headersTimeout = handshakeTimeoutMs;
    this.server.requestTimeout = Math.max(handshakeTimeoutMs, 30_000);
    this.server.on('upgrade', (request, socket, head) => this.upgrade(request, socket, head));
    this.server.on('request', (request, response) => this.request(request, response));
    this.server.on('clientError', (error, socket) => {
      this.log.debug({ err: error.message }, 'malformed HTTP request');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    });
  }

  get secure(): boolean {
    return this.config.endpoint.tls !== undefined;
  }

  async listen(): Promise<AddressInfo> {
    const { port, interface: host } = this.config.endpoint;
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error): void => reject(error);
      this.server.once('error', failed);
      this.server.listen(port, host, () => {
        this.server.off('error', failed);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    for (const handler of this.paths.values()) handler.close?.();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handlerFor(url: string | undefined): PathHandler | undefined {
    const path = normalizePath(url);
    return this.paths.get(path) ?? this.catchAll;
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const handler = this.handlerFor(request.url);
    if (handler?.upgrade) return handler.upgrade(request, socket, head);
    const body = `No WebSocket endpoint at ${normalizePath(request.url)}.\n`;
    socket.end(`HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  private request(request: IncomingMessage, response: ServerResponse): void {
    const handler = this.handlerFor(request.url);
    if (handler?.request) return handler.request(request, response);
    if (handler?.upgrade) {
      return sendJson(response, 426, {
        error: 'upgrade_required',
        message: 'This is a WAMP WebSocket endpoint: connect with a WebSocket client offering wamp.2.json, wamp.2.msgpack or wamp.2.cbor.',
      });
    }
    sendJson(response, 404, { error: 'not_found', message: `nothing is served at ${normalizePath(request.url)}` });
  }
}

/** "/ws/?x=1" → "/ws"; "" → "/". */
export function normalizePath(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0]!.replace(/\/+$/, '');
  return path === '' ? '/' : path;
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
