import type { Args, Dict } from '../protocol/messages.js';
import type { AuthGate } from '../router/hooks.js';
import { InternalCallError, InternalSession } from '../router/internal-session.js';
import type { AttachOptions, Peer, SessionLink } from '../router/peer.js';
import type { ProcedureCaller } from './caller.js';

export type AttachFunction = (peer: Peer, gate: AuthGate, options: AttachOptions) => SessionLink;

/**
 * The router sessions through which dynamic authenticators and authorizers are called: one
 * InternalSession per (realm, role), joined on first use. Every call carries a timeout, so an
 * authenticator that never answers cannot hold a client (or its messages) forever.
 */
export class ServiceSessions implements ProcedureCaller {
  private attach: AttachFunction | undefined;
  private readonly sessions = new Map<string, Promise<InternalSession>>();
  private closed = false;

  /** `callTimeoutMs`: the router cancels a call not answered in this time (0 = no limit). */
  constructor(private readonly callTimeoutMs: number) {}

  /** Called once the router exists (the node builds realms' authorizers before the router). */
  connect(attach: AttachFunction): void {
    this.attach = attach;
  }

  async call(where: { realm: string; role: string }, procedure: string, args: Args): Promise<{ args: Args; kwargs: Dict }> {
    const key = `${where.realm}\u0000${where.role}`;
    const session = await this.session(key, where);
    try {
      return await session.call(procedure, args, {}, this.callTimeoutMs > 0 ? { timeout: this.callTimeoutMs } : {});
    } catch (error) {
      // Anything but an ERROR reply means the session itself is gone: join afresh next time.
      if (!(error instanceof InternalCallError)) this.sessions.delete(key);
      throw error;
    }
  }

  /** Says GOODBYE with every service session (before the router shuts down). */
  async close(): Promise<void> {
    this.closed = true;
    const joined = await Promise.allSettled(this.sessions.values());
    this.sessions.clear();
    for (const result of joined) if (result.status === 'fulfilled') result.value.leave();
  }

  private session(key: string, where: { realm: string; role: string }): Promise<InternalSession> {
    const attach = this.attach;
    if (!attach) return Promise.reject(new Error('the router is not running yet'));
    if (this.closed) return Promise.reject(new Error('the router is shutting down'));
    let session = this.sessions.get(key);
    if (!session) {
      session = InternalSession.join(attach, where.realm, { authid: 'junction', authrole: where.role });
      this.sessions.set(key, session);
      const joining = session;
      joining.catch(() => {
        if (this.sessions.get(key) === joining) this.sessions.delete(key);
      });
    }
    return session;
  }
}
