import type { Args, Dict } from '../protocol/messages.js';

/**
 * How dynamic authenticators and authorizers reach the WAMP procedure that decides: a call made
 * by one of the router's own sessions, joined to `realm` under `role`. Rejects with the callee's
 * error, with wamp.error.no_such_procedure when nobody registered it, or on timeout.
 */
export interface ProcedureCaller {
  call(where: { realm: string; role: string }, procedure: string, args: Args): Promise<{ args: Args; kwargs: Dict }>;
}

/** The role of the router's own sessions; sessions with it and the `trusted` authmethod may do everything. */
export const trustedRole = 'trusted';
