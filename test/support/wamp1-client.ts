import WebSocket from 'ws';
import { Arrivals } from './wait.js';

/**
 * A WAMP v1 client written from the v1 specification's message table (no v1 client is kept up
 * on npm): it sends PREFIX, CALL, SUBSCRIBE, UNSUBSCRIBE and PUBLISH as JSON arrays and collects
 * WELCOME, CALLRESULT, CALLERROR and EVENT, as AutobahnJS 0.7's ab.Session does.
 */
export class Wamp1Client {
  readonly received: unknown[][] = [];
  sessionId = '';
  serverIdent = '';
  closed: { code: number; reason: string } | undefined;
  private nextCall = 0;
  private readonly arrivals = new Arrivals({
    stopped: () => (this.closed ? `the connection closed (${this.closed.code} ${this.closed.reason})` : undefined),
    received: () => `received ${JSON.stringify(this.received).slice(0, 500)}`,
  });

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as unknown[]);
      this.arrivals.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.arrivals.wake();
    });
    ws.on('error', () => undefined); // the close that follows is what a test looks at
  }

  /**
   * Opens a connection and sends `early` frames, as given, the moment it opens (before WELCOME,
   * while the session is still joining: a fuzzer's raw frames); resolves once WELCOME came or the
   * router closed the connection.
   */
  static async open(url: string, early: readonly { data: string | Uint8Array; binary: boolean }[]): Promise<Wamp1Client> {
    const client = new Wamp1Client(new WebSocket(url, ['wamp']));
    client.ws.once('open', () => {
      for (const sent of early) client.ws.send(sent.data, { binary: sent.binary });
    });
    await client.until(() => client.closed !== undefined || client.received.some((message) => message[0] === 0), 'WELCOME or a close');
    return client;
  }

  /** Connects with the "wamp" subprotocol and waits for WELCOME [0, sessionId, 1, serverIdent]. */
  static async connect(url: string): Promise<Wamp1Client> {
    const client = new Wamp1Client(new WebSocket(url, ['wamp']));
    const [welcome] = await client.next((message) => message[0] === 0, 'WELCOME');
    client.sessionId = welcome![1] as string;
    client.serverIdent = welcome![3] as string;
    return client;
  }

  send(message: unknown[]): void {
    this.ws.send(JSON.stringify(message));
  }

  prefix(prefix: string, uri: string): void {
    this.send([1, prefix, uri]);
  }

  /** CALL [2, callId, procUri, ...args]; resolves with the CALLRESULT [3, ...] or CALLERROR [4, ...] for it. */
  async call(procedure: string, ...args: unknown[]): Promise<unknown[]> {
    const callId = `call-${++this.nextCall}`;
    this.send([2, callId, procedure, ...args]);
    const [answer] = await this.next((message) => (message[0] === 3 || message[0] === 4) && message[1] === callId, `the answer to ${callId}`);
    return answer!;
  }

  subscribe(topic: string): void {
    this.send([5, topic]);
  }

  unsubscribe(topic: string): void {
    this.send([6, topic]);
  }

  publish(topic: string, event: unknown, ...exclusion: unknown[]): void {
    this.send([7, topic, event, ...exclusion]);
  }

  /** EVENT payloads received for `topic` so far. */
  events(topic: string): unknown[] {
    return this.received.filter((message) => message[0] === 8 && message[1] === topic).map((message) => message[2]);
  }

  async until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    await this.arrivals.until(condition, what, timeoutMs);
  }

  async next(match: (message: unknown[]) => boolean, what: string, timeoutMs = 5_000): Promise<unknown[][]> {
    await this.until(() => this.received.some(match), what, timeoutMs);
    return this.received.filter(match);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const done = new Promise<void>((resolve) => this.ws.once('close', () => resolve()));
    this.ws.close();
    await done;
  }
}
