import { retryDelay, type ReconnectPolicy } from './backoff.js';
import { Channel } from './channel.js';
import { SessionClosedError, TransportError, WampError } from './errors.js';
import { establish, type DialConfig, type Established } from './handshake.js';
import { describeEnd, type Link, type LinkEnd } from './link.js';
import type { TransportFactory } from './transport.js';
import type { RestoreFailure, SessionState, Status, TransportType } from './types.js';
import { CLOSE_REALM_URI } from './wire.js';

export interface RestoreSummary {
  subscriptions: number;
  registrations: number;
  failures: RestoreFailure[];
}

/** One way to reach the router: a transport kind, its URL and the factory that opens it. */
export interface DialTarget {
  type: TransportType;
  url: string;
  transport: TransportFactory;
}

export interface ConnectionConfig extends Omit<DialConfig, 'url' | 'transport'> {
  /** Tried in order, from the first, on every connection attempt. */
  targets: readonly DialTarget[];
}

/** What the connection tells the session it serves. */
export interface ConnectionHooks {
  /** A WAMP session is established; after a reconnect the session restores its state here. */
  opened(established: Established, reconnected: boolean): Promise<RestoreSummary>;
  /** The current link ended; a reconnect may follow. */
  lost(end: LinkEnd): void;
  /** No link will follow: the app left, reconnection is off, or it gave up. */
  closed(requested: boolean): void;
}

/**
 * Keeps one WAMP session alive over successive transports: dials, redials with exponential
 * backoff and jitter after a loss, and reports each step on the status streams.
 */
export class Connection {
  #current: SessionState = 'open';
  #leaving = false;
  #finalEnd: LinkEnd | undefined;
  readonly #statusStreams = new Set<Channel<Status>>();
  #openWaiters: { resolve(link: Link): void; reject(error: Error): void }[] = [];
  #link: Link | undefined;
  #cancelSleep: (() => void) | undefined;
  #markClosed!: () => void;
  /** Resolves once the connection is closed for good. */
  readonly closed = new Promise<void>((resolve) => (this.#markClosed = resolve));

  readonly #config: ConnectionConfig;
  readonly #policy: ReconnectPolicy | undefined;
  readonly #hooks: ConnectionHooks;

  constructor(config: ConnectionConfig, policy: ReconnectPolicy | undefined, hooks: ConnectionHooks) {
    this.#config = config;
    this.#policy = policy;
    this.#hooks = hooks;
  }

  get state(): SessionState {
    return this.#current;
  }

  /** The first connection: one attempt, whose failure rejects (nothing to restore yet). */
  async start(): Promise<void> {
    this.#adopt(await this.#dial(0), 0);
  }

  /**
   * One connection attempt over the targets in order. A target that fails before the session
   * is open (refused, unreachable, closed during the handshake) moves on to the next at once;
   * an ABORT is the router's own answer and ends the attempt. Any other failure (a platform
   * error such as a malformed URL included) becomes one TransportError telling what each said.
   */
  async #dial(attempt: number): Promise<Established & { target: DialTarget }> {
    const { targets, ...common } = this.#config;
    const failures: string[] = [];
    for (const target of targets) {
      if (attempt > 0) this.#emit({ type: 'connecting', url: target.url, attempt, transport: target.type });
      try {
        return { ...(await establish({ ...common, url: target.url, transport: target.transport })), target };
      } catch (error) {
        if (error instanceof WampError) throw error;
        failures.push(`${targets.length > 1 ? `${target.type}: ` : ''}${(error as Error).message}`);
        if (this.#leaving) break;
      }
    }
    throw new TransportError(failures.join('; '));
  }

  /** Resolves with the link once the session is open (and restored), rejects if it closes for good. */
  whenOpen(): Promise<Link> {
    if (this.#current === 'open' && this.#link) return Promise.resolve(this.#link);
    if (this.#current === 'closed') return Promise.reject(new SessionClosedError(this.closedText()));
    return new Promise((resolve, reject) => this.#openWaiters.push({ resolve, reject }));
  }

  closedText(): string {
    return `the session is closed (${describeEnd(this.#finalEnd!)})`;
  }

  /** The app is leaving: stop any reconnect and let the current link end for good. */
  stop(): void {
    this.#leaving = true;
    this.#cancelSleep?.();
  }

  /**
   * Statuses from now on, ending after the final "closed". Asked when already closed, it gives that
   * final "closed" alone: a caller that looks a moment late (a page rendering) still learns why.
   */
  status(): AsyncIterableIterator<Status> {
    const channel: Channel<Status> = new Channel(() => this.#statusStreams.delete(channel));
    if (this.#current === 'closed') {
      channel.push(finalStatus(this.#finalEnd!));
      channel.end();
    } else {
      this.#statusStreams.add(channel);
    }
    return channel;
  }

  #emit(status: Status): void {
    for (const channel of this.#statusStreams) channel.push(status);
  }

  #adopt(established: Established & { target: DialTarget }, attempt: number): void {
    const reconnected = attempt > 0;
    const { link, target } = established;
    this.#link = link;
    link.onEnd = (end) => this.#linkEnded(link, end);
    this.#emit({ type: 'open', session: established.session, attempt, transport: target.type, url: target.url });
    // Subscriptions and registrations are restored before queued operations go out.
    const restoring = this.#hooks.opened(established, reconnected);
    restoring.then((summary) => {
      if (this.#link !== link || !link.isOpen) return;
      if (reconnected) this.#emit({ type: 'restored', ...summary });
      this.#current = 'open';
      const waiters = this.#openWaiters;
      this.#openWaiters = [];
      for (const waiter of waiters) waiter.resolve(link);
    });
  }

  #linkEnded(link: Link, end: LinkEnd): void {
    if (this.#link !== link) return;
    this.#link = undefined;
    this.#hooks.lost(end);
    if (this.#leaving || !this.#policy) {
      this.#close(end);
      return;
    }
    this.#current = 'reconnecting';
    this.#emit({ type: 'closed', reason: end.reason, message: end.message, willRetry: true });
    void this.#redial(this.#policy);
  }

  async #redial(policy: ReconnectPolicy): Promise<void> {
    const left = { reason: CLOSE_REALM_URI, message: 'left while reconnecting' };
    for (let attempt = 1; ; attempt++) {
      if (attempt > policy.maxRetries) return this.#close({ reason: 'lost', message: `gave up after ${policy.maxRetries} reconnection attempts` });
      const delay = retryDelay(policy, attempt);
      this.#emit({ type: 'retrying', delay, attempt });
      await this.#sleep(delay);
      if (this.#leaving) return this.#close(left);
      try {
        const established = await this.#dial(attempt);
        if (!this.#leaving) return this.#adopt(established, attempt);
        established.link.close(left);
        return this.#close(left);
      } catch (error) {
        // An ABORT is the router's considered refusal (bad credentials, unknown realm): final.
        if (error instanceof WampError) return this.#close({ reason: error.uri, message: error.message });
        if (this.#leaving) return this.#close(left);
        this.#emit({ type: 'closed', reason: 'unreachable', message: (error as Error).message, willRetry: true });
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#cancelSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  #close(end: LinkEnd): void {
    if (this.#current === 'closed') return;
    this.#current = 'closed';
    this.#finalEnd = end;
    this.#emit(finalStatus(end));
    for (const channel of this.#statusStreams) channel.end();
    this.#statusStreams.clear();
    const error = new SessionClosedError(this.closedText());
    for (const waiter of this.#openWaiters) waiter.reject(error);
    this.#openWaiters = [];
    this.#hooks.closed(this.#leaving);
    this.#markClosed();
  }
}

/** The last status a connection reports: closed for good, and why. */
function finalStatus(end: LinkEnd): Status {
  return { type: 'closed', reason: end.reason, message: end.message, willRetry: false };
}
