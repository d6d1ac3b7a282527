import { WebSocket } from 'ws';
import { jsonCodec } from '../../src/codec/index.js';
import { Arrivals } from './wait.js';

/** A raw WebSocket speaking WAMP JSON by hand, for tests that send what no real client would. */
export class RawClient {
  readonly messages: unknown[][] = [];
  closeCode: number | undefined;
  closeReason = '';
  readonly closed: Promise<void>;
  private readonly arrivals = new Arrivals({
    stopped: () => (this.closeCode === undefined ? undefined : `connection closed (${this.closeCode} ${this.closeReason})`),
    received: () => `got ${JSON.stringify(this.messages)}`,
  });

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.messages.push(jsonCodec.decode(data.toString()) as unknown[]);
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
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
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
