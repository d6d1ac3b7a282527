import assert from 'node:assert/strict';
import { anonymousGate } from '../../src/auth/anonymous.js';
import { defaultRealmLimits } from '../../src/config/schema-router.js';
import { MessageType } from '../../src/protocol/codes.js';
import type { Envelope } from '../../src/protocol/envelope.js';
import { toWire, type Dict, type WampMessage } from '../../src/protocol/messages.js';
import type { Backplane } from '../../src/router/backplane.js';
import type { Clock } from '../../src/router/dealer/dealer.js';
import { allowEverything, type AuthGate, type Authorizer } from '../../src/router/hooks.js';
import type { Logger } from '../../src/router/log.js';
import type { AttachOptions, Peer, SessionLink } from '../../src/router/peer.js';
import { payloadBytes } from '../../src/router/limits/payload-bytes.js';
import type { RealmLimits } from '../../src/router/limits/session-limits.js';
import type { RealmSettings } from '../../src/router/realm.js';
import { Router } from '../../src/router/router.js';

/** An in-memory transport: what the router sends is kept as typed messages. */
export class MemoryPeer implements Peer {
  readonly transport = { type: 'memory', serializer: 'none', peer: 'memory' };
  readonly inbox: WampMessage[] = [];
  closed = false;
  link!: SessionLink;

  send(envelope: Envelope): void {
    this.inbox.push(envelope.message);
  }

  close(): void {
    this.closed = true;
  }

  /** Sends a raw (wire-shaped) message to the router; its size is about its JSON length (what a JSON transport would report). */
  raw(message: unknown): void {
    this.link.receive(message, payloadBytes([message]));
  }

  /** Sends a typed message to the router, as its wire array. */
  deliver(message: WampMessage): void {
    this.raw(toWire(message));
  }

  /** Removes and returns every message received so far. */
  take(): WampMessage[] {
    return this.inbox.splice(0);
  }

  last(): WampMessage | undefined {
    return this.inbox[this.inbox.length - 1];
  }
}

/** A fake clock: timers fire only when the test advances it. */
export class ManualClock implements Clock {
  private time = 0;
  private timers: { at: number; callback: () => void; id: object }[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): ReturnType<typeof setTimeout> {
    const id = {};
    this.timers.push({ at: this.time + ms, callback, id });
    return id as ReturnType<typeof setTimeout>;
  }

  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((timer) => timer.at <= this.time);
    this.timers = this.timers.filter((timer) => timer.at > this.time);
    for (const timer of due) timer.callback();
  }
}

/** The one message in `messages`, which must be of `type` (fails the test otherwise). */
export function onlyMessage<K extends WampMessage['type']>(messages: WampMessage[], type: K): Extract<WampMessage, { type: K }> {
  assert.equal(messages.length, 1, `expected exactly one message, got ${JSON.stringify(messages)}`);
  assert.equal(messages[0]!.type, type, `expected type ${type}, got ${JSON.stringify(messages[0])}`);
  return messages[0] as Extract<WampMessage, { type: K }>;
}

export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const allRoles: Dict = {
  publisher: { features: {} },
  subscriber: { features: {} },
  caller: { features: { progressive_call_results: true, call_canceling: true } },
  callee: { features: { progressive_call_results: true, call_canceling: true } },
};

export interface HarnessOptions {
  authorizer?: Authorizer;
  gate?: AuthGate;
  clock?: ManualClock;
  /** Where the router logs (default: nowhere). */
  log?: Logger;
  uriCheck?: 'strict' | 'loose';
  /** Makes the router one node of a cluster. */
  backplane?: Backplane;
  /** realm1's other settings (event history, meta API off...); `limits` are the config's defaults but for those given. */
  realm?: Partial<Omit<RealmSettings, 'name' | 'authorizer' | 'uriCheck' | 'limits'>> & { limits?: Partial<RealmLimits> };
}

/** A router with realm "realm1" and helpers to join in-memory sessions. */
export class RouterHarness {
  readonly router: Router;
  readonly clock: ManualClock;
  private readonly gate: AuthGate;

  constructor(options: HarnessOptions = {}) {
    this.clock = options.clock ?? new ManualClock();
    this.gate = options.gate ?? anonymousGate('anonymous');
    this.router = new Router({
      realms: [{
        ...options.realm,
        limits: { ...defaultRealmLimits, ...options.realm?.limits },
        name: 'realm1',
        authorizer: options.authorizer ?? allowEverything,
        uriCheck: options.uriCheck ?? 'loose',
      }],
      clock: this.clock,
      log: options.log,
      helloTimeoutMs: 0,
      backplane: options.backplane,
    });
  }

  connect<P extends MemoryPeer = MemoryPeer>(options: AttachOptions = {}, peer: P = new MemoryPeer() as P): P {
    peer.link = this.router.attach(peer, this.gate, options);
    return peer;
  }

  /**
   * Connects and completes HELLO/WELCOME in realm1; returns the peer and its session ID. `details` are further
   * HELLO.Details (authid, authextra... for the gate).
   */
  async join(roles: Dict = allRoles, details: Dict = {}): Promise<{ peer: MemoryPeer; id: number; welcome: Dict }> {
    const peer = this.connect();
    peer.deliver({ type: MessageType.HELLO, realm: 'realm1', details: { ...details, roles } });
    await flush();
    const welcome = peer.take()[0];
    if (welcome?.type !== MessageType.WELCOME) throw new Error(`expected WELCOME, got ${JSON.stringify(welcome)}`);
    return { peer, id: welcome.session, welcome: welcome.details };
  }
}
