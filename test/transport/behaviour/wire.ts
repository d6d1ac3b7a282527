import type { Codec } from '../../../src/codec/index.js';
import { Arrivals } from '../../support/wait.js';

/**
 * A WAMP connection at the wire level, whatever carries it: tests send wire arrays and wait for
 * wire arrays, encoded with the connection's codec by its transport driver.
 */
export abstract class WireConnection {
  readonly messages: unknown[][] = [];
  /** Set once the transport is gone (closed by the router, refused, dropped). */
  closedBecause: string | undefined;
  readonly closed: Promise<string>;
  private markClosed!: (reason: string) => void;
  private readonly arrivals = new Arrivals({
    stopped: () => (this.closedBecause === undefined ? undefined : `connection closed (${this.closedBecause})`),
    received: () => `got ${summarize(this.messages)}`,
  });

  constructor(readonly codec: Codec) {
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
  }

  /** Sends one message, encoded with the connection's codec. Sends arrive in order. */
  abstract send(message: unknown[]): void;
  /** The transport goes away without a GOODBYE (a dropped connection). */
  abstract drop(): Promise<void>;

  /** Waits until a message satisfies `match` (taking it out of `messages`), bounded by `timeoutMs`. */
  async next(match: (message: unknown[]) => boolean = () => true, timeoutMs = 5_000): Promise<unknown[]> {
    await this.arrivals.until(() => this.messages.some(match), 'a matching message', timeoutMs);
    return this.messages.splice(this.messages.findIndex(match), 1)[0]!;
  }

  /** HELLO announcing every client role; resolves with the answer (WELCOME or ABORT). */
  async hello(realm = 'realm1', details: Record<string, unknown> = {}): Promise<unknown[]> {
    this.send([1, realm, { roles: { publisher: {}, subscriber: {}, caller: {}, callee: {} }, ...details }]);
    return this.next((message) => message[0] === 2 || message[0] === 3);
  }

  protected received(message: unknown): void {
    this.messages.push(message as unknown[]);
    this.arrivals.wake();
  }

  protected ended(reason: string): void {
    if (this.closedBecause !== undefined) return;
    this.closedBecause = reason;
    this.markClosed(reason);
    this.arrivals.wake();
  }

}

function summarize(messages: unknown[][]): string {
  const text = JSON.stringify(messages, (_key, value: unknown) =>
    value instanceof Uint8Array ? `<${value.byteLength} bytes>` : typeof value === 'bigint' ? value.toString() : value);
  return text.length > 400 ? `${text.slice(0, 400)}...` : text;
}
