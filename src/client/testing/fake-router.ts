/**
 * An in-memory router for the client's unit tests: a TransportFactory whose far end is
 * scripted by the test. Each connection becomes a FakePeer that the test accepts, reads typed
 * messages from and answers. Frames cross in microtasks, as they would cross a socket: never
 * synchronously inside the sender's call.
 */
import type { Codec } from '../../codec/codec.js';
import { jsonCodec } from '../../codec/json.js';
import { MessageType, messageTypeName } from '../../protocol/codes.js';
import { toWire, type Hello, type WampMessage } from '../../protocol/messages.js';
import { parseMessage } from '../../protocol/parse.js';
import { Channel } from '../channel.js';
import { TransportError } from '../errors.js';
import type { Frame, Transport, TransportFactory, TransportHandlers } from '../transport.js';

type MessageOf<T extends WampMessage['type']> = Extract<WampMessage, { type: T }>;

export class FakePeer {
  private readonly inbox = new Channel<WampMessage>();
  private closedByClient: ((close: { code: number; reason: string }) => void) | undefined;
  /** Resolves when the client closes the connection. */
  readonly clientClosed = new Promise<{ code: number; reason: string }>((resolve) => (this.closedByClient = resolve));
  private open = true;
  readonly transport: Transport;

  constructor(
    private readonly handlers: TransportHandlers,
    private readonly codec: Codec,
    readonly url: string,
    readonly offered: string[],
  ) {
    this.transport = {
      protocol: codec.subprotocol,
      send: (frame) => this.fromClient(frame),
      close: (code = 1000, reason = '') => {
        if (!this.open) return;
        this.open = false;
        this.closedByClient!({ code, reason });
        queueMicrotask(() => this.handlers.close(code, reason));
      },
    };
  }

  get isOpen(): boolean {
    return this.open;
  }

  private fromClient(frame: Frame): void {
    if (!this.open) throw new Error('the client sent on a closed fake connection');
    const parsed = parseMessage(this.codec.decode(frame));
    if (!parsed.ok) throw new Error(`the client sent a malformed message: ${parsed.error}`);
    queueMicrotask(() => this.inbox.push(parsed.message));
  }

  /** The next message from the client, which must be of `type`. */
  async expect<T extends WampMessage['type']>(type: T): Promise<MessageOf<T>> {
    const next = await this.inbox.next();
    if (next.done) throw new Error(`expected ${messageTypeName(type)}, but the connection closed`);
    if (next.value.type !== type) {
      throw new Error(`expected ${messageTypeName(type)}, got ${messageTypeName(next.value.type)}: ${JSON.stringify(toWire(next.value))}`);
    }
    return next.value as MessageOf<T>;
  }

  send(message: WampMessage): void {
    this.sendRaw(this.codec.encode(toWire(message)));
  }

  /** Sends any frame, well-formed or not. */
  sendRaw(frame: Frame): void {
    if (!this.open) return;
    queueMicrotask(() => this.open && this.handlers.message(frame));
  }

  /** Reads HELLO and answers WELCOME. */
  async welcome(session = 1, details: Record<string, unknown> = {}): Promise<Hello> {
    const hello = await this.expect(MessageType.HELLO);
    this.send({ type: MessageType.WELCOME, session, details: { roles: { broker: {}, dealer: {} }, ...details } });
    return hello;
  }

  /** The router side drops the connection. */
  drop(code = 1006, reason = ''): void {
    if (!this.open) return;
    this.open = false;
    this.inbox.end();
    queueMicrotask(() => this.handlers.close(code, reason));
  }
}

export class FakeRouter {
  private readonly pending = new Channel<FakePeer>();
  /** While true, connection attempts fail as if nothing listened. */
  unreachable = false;
  /** Every connection attempt, failed or not. */
  attempts = 0;

  constructor(private readonly codec: Codec = jsonCodec) {}

  readonly transport: TransportFactory = async (url, protocols, handlers) => {
    this.attempts++;
    if (this.unreachable) throw new TransportError(`cannot connect to ${url}: connection refused`);
    const peer = new FakePeer(handlers, this.codec, url, protocols);
    this.pending.push(peer);
    return peer.transport;
  };

  /** The next connection the client opens. */
  async accept(): Promise<FakePeer> {
    const next = await this.pending.next();
    if (next.done) throw new Error('the fake router is closed');
    return next.value;
  }

  /** Accepts a connection and completes the handshake with WELCOME. */
  async acceptSession(session = 1, details: Record<string, unknown> = {}): Promise<FakePeer> {
    const peer = await this.accept();
    await peer.welcome(session, details);
    return peer;
  }
}
