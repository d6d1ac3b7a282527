import { WebSocket } from 'ws';
import { jsonCodec } from '../../src/codec/index.js';

/** A raw WebSocket speaking WAMP JSON by hand, for tests that send what no real client would. */
export class RawClient {
  readonly messages: unknown[][] = [];
  closeCode: number | undefined;
  closeReason = '';
  private waiters: (() => void)[] = [];
  readonly closed: Promise<void>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.messages.push(jsonCodec.decode(data.toString()) as unknown[]);
      this.wake();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code: number, reason: Buffer) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.wake();
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
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex(match);
      if (index >= 0) return this.messages.splice(index, 1)[0]!;
      if (this.closeCode !== undefined) throw new Error(`connection closed (${this.closeCode} ${this.closeReason}) before the expected message`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** HELLO with all client roles; resolves with WELCOME. */
  async hello(realm = 'realm1'): Promise<unknown[]> {
    this.send([1, realm, { roles: { publisher: {}, subscriber: {}, caller: {}, callee: {} } }]);
    return this.next();
  }

  close(): void {
    this.ws.terminate();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
