import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { codecBySubprotocol, jsonCodec, type Codec } from '../../src/codec/index.js';
import { Arrivals } from './wait.js';

/**
 * A raw WebSocket speaking WAMP by hand in the negotiated codec, for tests that send what no
 * real client would.
 */
export class RawClient {
  readonly messages: unknown[][] = [];
  closeCode: number | undefined;
  closeReason = '';
  readonly closed: Promise<void>;
  private readonly arrivals = new Arrivals({
    stopped: () => (this.closeCode === undefined ? undefined : `connection closed (${this.closeCode} ${this.closeReason})`),
    received: () => `got ${JSON.stringify(this.messages)}`,
  });

  /** The negotiated serializer (set once the connection is open). */
  codec: Codec = jsonCodec;
  /** The headers of the upgrade response (set by `open`). */
  upgradeHeaders: IncomingHttpHeaders = {};

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.messages.push(this.codec.decode(this.codec.binary ? data : data.toString()) as unknown[]);
      this.arrivals.wake();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code: number, reason: Buffer) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.arrivals.wake();
      resolve();
    }));
  }

  static async open(url: string, protocols: string[] = ['wamp.2.json'], options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<RawClient> {
    const ws = new WebSocket(url, protocols, options);
    const client = new RawClient(ws);
    ws.once('upgrade', (response: IncomingMessage) => (client.upgradeHeaders = response.headers));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => {
        client.codec = codecBySubprotocol(ws.protocol) ?? jsonCodec;
        resolve();
      });
      ws.once('error', reject);
    });
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : this.codec.encode(message as unknown[]));
  }

  /** Waits until a message satisfies `match` (or the connection closes), bounded by `timeoutMs`. */
  async next(match: (message: unknown[]) => boolean = () => true, timeoutMs = 5_000): Promise<unknown[]> {
    await this.arrivals.until(() => this.messages.some(match), 'a matching message', timeoutMs);
    return this.messages.splice(this.messages.findIndex(match), 1)[0]!;
  }

  /** HELLO with all client roles; resolves with WELCOME. */
  async hello(realm = 'realm1'): Promise<unknown[]> {
    this.send([1, realm, { roles: { publisher: {}, subscriber: {}, caller: {}, callee: {} } }]);
    return this.next();
  }

  close(): void {
    this.ws.terminate();
  }
}
