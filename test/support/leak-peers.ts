import { WebSocket } from 'ws';
import { jsonCodec } from '../../src/codec/index.js';
import { MessageType as T } from '../../src/protocol/codes.js';
import { RawSocketClient } from '../transport/rawsocket-client.js';
import { Arrivals } from './wait.js';

/**
 * The clients of the leak matrix: a WAMP peer over WebSocket or RawSocket that keeps nothing it was
 * not asked to wait for (the heap check runs in the test's own process), and that can vanish in
 * the three ways a client goes: its socket destroyed, reset, or a clean close.
 */
export interface VanishingPeer {
  send(message: unknown[]): void;
  /** The first message (from now on, or already waiting) that `match` accepts. */
  next(match: (message: unknown[]) => boolean, timeoutMs?: number): Promise<unknown[]>;
  /** Stops reading: what the router writes piles up in the kernel's buffers, then in its own. */
  pauseReading(): void;
  /** `way` 0: socket destroyed; 1: reset (RST); 2: a clean close (WebSocket close frame, or TCP FIN). */
  vanish(way: number): void;
}

const everyRole = { publisher: {}, subscriber: {}, caller: { features: { progressive_call_results: true, call_canceling: true } }, callee: { features: { progressive_call_results: true, call_canceling: true } } };

/** HELLO with every client role (progress and cancel announced), and the WELCOME (or ABORT) answering it. */
export async function hello(peer: VanishingPeer, details: Record<string, unknown> = {}): Promise<unknown[]> {
  peer.send([T.HELLO, 'realm1', { roles: everyRole, ...details }]);
  return peer.next((m) => m[0] === T.WELCOME || m[0] === T.ABORT || m[0] === T.CHALLENGE);
}

/** The messages no waiter took yet, at most `keep` of them (the oldest dropped). */
class Inbox {
  private readonly waiting: unknown[][] = [];
  private closed = false;
  private readonly arrivals = new Arrivals({ stopped: () => (this.closed ? 'the connection closed' : undefined), received: () => `got ${JSON.stringify(this.waiting.slice(-5))}` });

  constructor(private readonly keep = 50) {}

  push(message: unknown[]): void {
    this.waiting.push(message);
    if (this.waiting.length > this.keep) this.waiting.shift();
    this.arrivals.wake();
  }

  close(): void {
    this.closed = true;
    this.arrivals.wake();
  }

  async next(match: (message: unknown[]) => boolean, timeoutMs = 10_000): Promise<unknown[]> {
    await this.arrivals.until(() => this.waiting.some(match), 'a matching message', timeoutMs);
    return this.waiting.splice(this.waiting.findIndex(match), 1)[0]!;
  }
}

/** A WAMP peer over WebSocket (JSON); `handle` answers messages at once (those it returns true for are not kept). */
export async function webSocketPeer(url: string, handle: (message: unknown[]) => boolean = () => false): Promise<VanishingPeer> {
  const ws = new WebSocket(url, ['wamp.2.json']);
  const inbox = new Inbox();
  ws.on('message', (data: Buffer) => {
    const message = jsonCodec.decode(data.toString()) as unknown[];
    if (!handle(message)) inbox.push(message);
  });
  ws.on('close', () => inbox.close());
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
  return {
    send: (message) => ws.send(jsonCodec.encode(message) as string),
    next: (match, timeoutMs) => inbox.next(match, timeoutMs),
    pauseReading: () => socket.pause(),
    vanish: (way) => (way === 0 ? ws.terminate() : way === 1 ? socket.resetAndDestroy() : ws.close()),
  };
}

/** A WAMP peer over RawSocket (JSON). */
export async function rawSocketPeer(port: number): Promise<VanishingPeer> {
  const client = await RawSocketClient.open({ port });
  const inbox = new Inbox();
  // The client keeps every message in `messages`: move each to the bounded inbox as it comes.
  client.socket.on('data', () => queueMicrotask(() => {
    for (const message of client.messages.splice(0)) inbox.push(message);
  }));
  client.socket.on('close', () => inbox.close());
  return {
    send: (message) => client.send(message),
    next: (match, timeoutMs) => inbox.next(match, timeoutMs),
    pauseReading: () => client.socket.pause(),
    vanish: (way) => (way === 0 ? client.socket.destroy() : way === 1 ? client.socket.resetAndDestroy() : client.socket.end()),
  };
}
