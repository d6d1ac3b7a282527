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

/**
 * The app behind the router in the leak matrix: a WebSocket session that registers procedures
 * (authorizers, authenticators, slow callees), holds their INVOCATIONs until the test answers
 * them, and answers an INTERRUPT at once.
 */
export class LeakBackend {
  /** INVOCATIONs not yet taken by `invoked`, by their key (a call's first argument, an authorizer's URI, an authenticator's authid). */
  private readonly invocations = new Map<string, number>();
  /** INVOCATIONs the router interrupted: answered already. */
  private readonly interrupted = new Set<number>();
  private request = 1000;
  readonly peer!: VanishingPeer;

  static async open(url: string): Promise<LeakBackend> {
    const backend = new LeakBackend();
    const peer = await webSocketPeer(url, (message) => backend.handle(message));
    (backend as { peer: VanishingPeer }).peer = peer;
    const welcome = await hello(peer);
    if (welcome[0] !== T.WELCOME) throw new Error(`the backend got no WELCOME: ${JSON.stringify(welcome)}`);
    return backend;
  }

  nextRequest(): number {
    return ++this.request;
  }

  async register(procedure: string, options: Record<string, unknown> = {}): Promise<void> {
    const id = this.nextRequest();
    this.peer.send([T.REGISTER, id, options, procedure]);
    await this.peer.next((m) => m[0] === T.REGISTERED && m[1] === id);
  }

  /** The request id of the INVOCATION keyed `key`, once it came. */
  async invoked(key: string, timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!this.invocations.has(key)) {
      if (Date.now() > deadline) throw new Error(`no INVOCATION for ${key} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const id = this.invocations.get(key)!;
    this.invocations.delete(key);
    return id;
  }

  /** YIELDs `result` (unless the router interrupted the INVOCATION: it was answered then). */
  answer(id: number, result: unknown[]): void {
    if (this.interrupted.delete(id)) return;
    this.peer.send([T.YIELD, id, {}, result]);
  }

  /** A progressive YIELD (unless the router interrupted the INVOCATION). */
  progress(id: number, result: unknown[]): void {
    if (!this.interrupted.has(id)) this.peer.send([T.YIELD, id, { progress: true }, result]);
  }

  private handle(message: unknown[]): boolean {
    if (message[0] === T.INVOCATION) {
      const args = (message[4] ?? []) as unknown[];
      this.invocations.set(String(typeof args[1] === 'string' ? args[1] : args[0]), message[1] as number);
      return true;
    }
    if (message[0] === T.INTERRUPT) {
      this.interrupted.add(message[1] as number);
      this.peer.send([T.ERROR, T.INVOCATION, message[1], {}, 'wamp.error.canceled']);
      return true;
    }
    return false;
  }
}

/** Resolves after `ms` (for what the router does after a client left: no event says when it has). */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A listening endpoint on loopback and a free port (Crossbar's format). */
export const loopback = { type: 'tcp', port: 0, interface: '127.0.0.1' };

/**
 * A config document (Crossbar's format) for the leak matrix: realm1, where "anonymous" may do
 * everything and what "user" may do is asked of the dynamic authorizer `test.authorize` (which a
 * LeakBackend registers), with `store` and `transports`.
 */
export function leakDocument(transports: unknown[], store?: Record<string, unknown>): Record<string, unknown> {
  const everything = { call: true, register: true, publish: true, subscribe: true };
  const roles = [
    { name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: everything, cache: true }] },
    { name: 'user', authorizer: 'test.authorize' },
  ];
  return { version: 2, workers: [{ type: 'router', realms: [{ name: 'realm1', roles, ...(store ? { store } : {}) }], transports }] };
}
