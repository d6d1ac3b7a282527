import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An app receiving a forwarder's requests, for the forwarder's tests. */

export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
}

export type Behaviour = 'ok' | 'fail' | 'hang';

/** The app: records every request and answers as `behave` says. */
export class TestApp {
  readonly requests: Received[] = [];
  behave: (request: Received) => Behaviour = () => 'ok';
  open = 0;
  maxOpen = 0;
  private readonly held: ServerResponse[] = [];
  private server?: Server;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/news`;
  }

  /** Requests answered 200, in the order they were answered. */
  get accepted(): Received[] {
    return this.requests.filter((request) => request.status === 200);
  }

  /** Listens (again, on the same port once it had one). */
  async start(): Promise<void> {
    const server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Goes down: the port refuses connections until start() again. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.releaseHeld();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  /** Answers every hanging request with 200. */
  releaseHeld(): void {
    for (const response of this.held.splice(0)) {
      const request = (response as ServerResponse & { record: Received }).record;
      request.status = 200;
      response.writeHead(200).end('ok');
    }
  }

  get heldCount(): number {
    return this.held.length;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const record: Received = { method: request.method!, path: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), status: 0 };
      this.requests.push(record);
      this.open += 1;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      // 'finish' (handed to the OS) comes before the forwarder can see the answer and send again.
      let done = false;
      const ended = () => {
        if (!done) this.open -= 1;
        done = true;
      };
      response.on('finish', ended);
      response.on('close', ended);
      switch (this.behave(record)) {
        case 'ok':
          record.status = 200;
          response.writeHead(200).end('ok');
          return;
        case 'fail':
          record.status = 500;
          response.writeHead(500, { 'content-type': 'text/plain' }).end('database is down');
          return;
        case 'hang':
          Object.assign(response, { record });
          this.held.push(response);
      }
    });
  }
}

/** The check the docs tell the app to make: HMAC-SHA256 of the raw body, compared in constant time. */
export function signatureValid(request: Received, secret: string): boolean {
  const header = request.headers['x-junction-signature'];
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', secret).update(request.body, 'utf8').digest();
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

