import type { InternalSession } from '../../../router/internal-session.js';
import type { Logger } from '../../../router/log.js';
import { Refusal } from './refusal.js';

/**
 * The one router session through which a bridge service acts (as its configured role, not
 * trusted): joined when the service starts and joined again on the next request if it ever
 * closes (killed through the meta API, for instance).
 */
export class BridgeSession {
  private current: Promise<InternalSession> | undefined;
  /** The session once joined, until it closes: a request takes it from here without waiting on `current`. */
  private joined: InternalSession | undefined;

  constructor(
    private readonly join: () => Promise<InternalSession>,
    private readonly stopping: () => boolean,
    private readonly realm: string,
    private readonly log: Logger,
  ) {}

  /** The joined session while the node is not stopping; otherwise (or before it joined) ask get(). */
  live(): InternalSession | undefined {
    return this.joined && !this.stopping() ? this.joined : undefined;
  }

  /** The live session; a Refusal (503) when the node is stopping or the session cannot join. */
  async get(): Promise<InternalSession> {
    if (this.stopping()) throw new Refusal(503, 'unavailable', 'the router is shutting down');
    this.current ??= this.joinOnce();
    try {
      return await this.current;
    } catch (error) {
      throw new Refusal(503, 'unavailable', `the bridge session could not join realm "${this.realm}": ${(error as Error).message}`);
    }
  }

  /** Joins at start-up: a service that cannot act fails the node's start, naming where it is configured. */
  async start(where: string): Promise<void> {
    try {
      await this.get();
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`);
    }
  }

  /** Leaves the realm (the node is stopping). */
  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    this.joined = undefined;
    const session = await current?.catch(() => undefined);
    session?.leave();
  }

  private joinOnce(): Promise<InternalSession> {
    const joining = this.join().then((session) => {
      if (this.current === joining) this.joined = session;
      void session.closed.then(() => {
        if (this.joined === session) this.joined = undefined;
        if (this.current !== joining) return;
        this.current = undefined;
        if (!this.stopping()) this.log.warn({ realm: this.realm }, 'the bridge session was closed; it joins again on the next request');
      });
      return session;
    });
    // A failed join is not kept: the next request tries again.
    joining.catch(() => {
      if (this.current === joining) this.current = undefined;
    });
    return joining;
  }
}
