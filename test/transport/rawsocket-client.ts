import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { codecByName, type Codec, type CodecName } from '../../src/codec/index.js';
import { encodeFrame, FrameParser, FrameType, MAX_FRAME_PAYLOAD } from '../../src/transport/rawsocket/framing.js';
import { MAGIC, parseRouterReply, SerializerId, type RouterReply } from '../../src/transport/rawsocket/handshake.js';
import { Arrivals } from '../support/wait.js';

export type RawSocketTarget = { host?: string; port: number; tls?: boolean } | { path: string };

export interface RawSocketClientOptions {
  serializer?: CodecName;
  /** The client's receive limit as a handshake exponent (default 15 = 16 MiB). */
  lengthExponent?: number;
  /** Four octets sent instead of a well-formed handshake. */
  handshake?: number[];
  /** Answer the router's PINGs (default true). */
  answerPings?: boolean;
}

/** A RawSocket client speaking WAMP by hand over a net or TLS socket, for tests. */
export class RawSocketClient {
  readonly messages: unknown[][] = [];
  readonly pings: Buffer[] = [];
  readonly pongs: Buffer[] = [];
  closedBecause: string | undefined;
  readonly closed: Promise<void>;
  private readonly arrivals = new Arrivals({
    stopped: () => (this.closedBecause === undefined ? undefined : `connection closed (${this.closedBecause})`),
    received: () => `got ${JSON.stringify(this.messages)}`,
  });
  private replyBytes = Buffer.alloc(0);
  private parser: FrameParser | undefined;
  private replied!: (reply: RouterReply) => void;
  private readonly replyPromise: Promise<RouterReply>;

  private constructor(readonly socket: Socket, readonly codec: Codec, private readonly answerPings: boolean) {
    this.replyPromise = new Promise((resolve) => (this.replied = resolve));
    socket.on('data', (chunk: Buffer) => this.data(chunk));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => {
      this.closedBecause ??= 'socket closed';
      this.replied({ ok: false, error: 0, reason: 'closed before the handshake reply' });
      this.arrivals.wake();
      resolve();
    }));
  }

  /** Connects and sends the handshake; resolves once the router's 4-octet reply (or the close) came. */
  static async connect(target: RawSocketTarget, options: RawSocketClientOptions = {}): Promise<{ client: RawSocketClient; reply: RouterReply }> {
    const serializer = options.serializer ?? 'json';
    const socket = 'path' in target
      ? connectTcp({ path: target.path })
      : target.tls
        ? connectTls({ host: target.host ?? '127.0.0.1', port: target.port, rejectUnauthorized: false })
        : connectTcp({ host: target.host ?? '127.0.0.1', port: target.port });
    const client = new RawSocketClient(socket, codecByName(serializer), options.answerPings ?? true);
    const secure = !('path' in target) && target.tls === true;
    await new Promise<void>((resolve, reject) => {
      socket.once(secure ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const exponent = options.lengthExponent ?? 15;
    socket.write(Buffer.from(options.handshake ?? [MAGIC, (exponent << 4) | SerializerId[serializer], 0, 0]));
    const reply = await client.replyPromise;
    return { client, reply };
  }

  /** Connects and completes the handshake, failing if the router refused it. */
  static async open(target: RawSocketTarget, options: RawSocketClientOptions = {}): Promise<RawSocketClient> {
    const { client, reply } = await RawSocketClient.connect(target, options);
    if (!reply.ok) throw new Error(`RawSocket handshake refused: ${reply.reason}`);
    return client;
  }

  send(message: unknown[]): void {
    const encoded = this.codec.encode(message);
    this.sendFrame(FrameType.message, typeof encoded === 'string' ? Buffer.from(encoded) : encoded);
  }

  sendFrame(type: FrameType, payload: Uint8Array): void {
    this.socket.write(encodeFrame(type, payload));
  }

  /** Raw octets, for what no well-behaved client sends. */
  write(bytes: Uint8Array | number[]): void {
    this.socket.write(Buffer.from(bytes));
  }

  async next(match: (message: unknown[]) => boolean = () => true, timeoutMs = 5_000): Promise<unknown[]> {
    await this.until(() => this.messages.some(match), 'a matching message', timeoutMs);
    return this.messages.splice(this.messages.findIndex(match), 1)[0]!;
  }

  /** Waits for a condition on what has arrived; rejects if the connection closes first. */
  until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    return this.arrivals.until(condition, what, timeoutMs);
  }

  /** HELLO with every client role; resolves with WELCOME (or ABORT). */
  async hello(realm = 'realm1', details: Record<string, unknown> = {}): Promise<unknown[]> {
    this.send([1, realm, { roles: { publisher: {}, subscriber: {}, caller: {}, callee: {} }, ...details }]);
    return this.next((message) => message[0] === 2 || message[0] === 3);
  }

  close(): void {
    this.socket.destroy();
  }

  private data(chunk: Buffer): void {
    if (!this.parser) {
      const needed = 4 - this.replyBytes.length;
      this.replyBytes = Buffer.concat([this.replyBytes, chunk.subarray(0, needed)]);
      if (this.replyBytes.length < 4) return;
      const reply = parseRouterReply(this.replyBytes);
      this.replied(reply);
      this.parser = new FrameParser(MAX_FRAME_PAYLOAD, (type, payload) => this.frame(type, Buffer.from(payload)));
      chunk = chunk.subarray(needed);
    }
    const error = this.parser.push(chunk);
    if (error) {
      this.closedBecause = `bad frame from the router: ${error.message}`;
      this.socket.destroy();
    }
  }

  private frame(type: FrameType, payload: Buffer): void {
    if (type === FrameType.message) this.messages.push(this.codec.decode(payload) as unknown[]);
    else if (type === FrameType.ping) {
      this.pings.push(payload);
      if (this.answerPings) this.sendFrame(FrameType.pong, payload);
    } else this.pongs.push(payload);
    this.arrivals.wake();
  }
}
