import type { Dict } from '../protocol/messages.js';
import type { AuthRequest, Identity } from '../router/hooks.js';
import { trustedRole, type ProcedureCaller } from './caller.js';
import { fail, requestedAuthextra, requestedAuthid, type Failure } from './method.js';
import { readPrincipal, type Principal } from './principal.js';
import { withoutSecrets } from './secrets.js';

/** A transport's `{"type": "dynamic", "authenticator": ..., "authenticator-realm": ..., "authenticator-role": ...}`. */
export interface AuthenticatorSettings {
  procedure: string;
  /** Realm where the procedure is registered; default: the realm the client asked for. */
  realm?: string;
  /** Role of the router session that calls it; default: the router's own trusted role. */
  role?: string;
  /** A Crossbar function authenticator's `create` ("module.function") that the procedure stands for. */
  function?: string;
}

export type AuthProvider = 'dynamic' | 'function';

/**
 * Asks an application's WAMP procedure who a client is. The call is (realm, authid, details),
 * as Crossbar makes it: details holds the transport, the pending session ID, the authmethod, the
 * client's authid, authrole and authextra, plus what the method adds (the ticket, for ticket).
 */
export class DynamicAuthenticator {
  constructor(
    private readonly settings: AuthenticatorSettings,
    private readonly method: string,
    private readonly caller: ProcedureCaller,
  ) {}

  /** The authprovider of its sign-ins, as Crossbar names it. */
  get provider(): AuthProvider {
    return this.settings.function === undefined ? 'dynamic' : 'function';
  }

  /** `more`: what the method adds to the details, each string a secret the client sent (the ticket). */
  async ask(request: AuthRequest, more: Dict = {}): Promise<{ ok: true; principal: Principal } | Failure> {
    const authid = requestedAuthid(request);
    const details: Dict = {
      transport: request.transport,
      session: request.sessionId,
      authmethod: this.method,
      authid: authid ?? null,
      authrole: typeof request.details.authrole === 'string' ? request.details.authrole : null,
      authextra: requestedAuthextra(request) ?? null,
      ...more,
    };
    const realm = this.settings.realm ?? request.realm;
    if (realm === null) return fail('HELLO named no realm, and the authenticator has no authenticator-realm to be called in', authid);
    const where = { realm, role: this.settings.role ?? trustedRole };
    let answer: unknown;
    try {
      const outcome = await this.caller.call(where, this.settings.procedure, [request.realm, authid ?? null, details]);
      answer = outcome.args[0];
    } catch (error) {
      // The application's reason may quote what the client sent ("invalid ticket 'x' for joe", as
      // Crossbar's examples word it), and the reason is logged.
      const reason = withoutSecrets((error as Error).message, Object.values(more).filter((value) => typeof value === 'string'));
      return fail(`${this.name(where.realm)} failed: ${reason}`, authid);
    }
    const read = readPrincipal(answer);
    if (!read.ok) return fail(`${read.why} (${this.name(where.realm)})`, authid);
    return read;
  }

  /** How refusals name it: the procedure, or the Python function its private procedure stands for. */
  private name(realm: string): string {
    const { function: create, procedure } = this.settings;
    return create === undefined ? `the authenticator "${procedure}" in realm "${realm}"` : `the function authenticator "${create}"`;
  }
}

/**
 * The identity a principal gets: its own authid, else the one the client claimed (methods that
 * proved the claim pass it), else a made-up one (anonymous). No authid at all is a failure.
 */
export function identityOf(
  principal: Principal,
  how: { method: string; provider: string; claimedAuthid?: string; makeAuthid?: () => string },
): Identity | Failure {
  const authid = principal.authid ?? how.claimedAuthid ?? how.makeAuthid?.();
  if (authid === undefined) return fail('neither the client nor the authenticator gave an authid');
  const identity: Identity = { authid, authrole: principal.role, authmethod: how.method, authprovider: how.provider };
  if (principal.extra) identity.authextra = principal.extra;
  if (principal.realm) identity.realm = principal.realm;
  return identity;
}

export function isFailure(value: object): value is Failure {
  return (value as { kind?: unknown }).kind === 'fail';
}
