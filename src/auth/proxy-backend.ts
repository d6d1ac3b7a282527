import type { Dict } from '../protocol/messages.js';
import type { AuthRequest, Identity } from '../router/hooks.js';
import { DynamicAuthenticator, isFailure } from './dynamic.js';
import type { Failure } from './method.js';

/** A backend that refuses every session the connection brings (the config's notice says why). */
export interface RefusingBackend {
  type: 'refused';
  why: string;
}

/** realm -> role -> one entry per connection of the proxy route (null: that backend asks no one). */
export type ProxyBackendAuthenticators = Readonly<Record<string, Readonly<Record<string, readonly (DynamicAuthenticator | RefusingBackend | null)[]>>>>;

/** What the client of a route that leads to a refusing backend is told: that it is the route, not its credentials. */
export const refusedRouteMessage = (realm: string, role: string): string =>
  `this proxy's route for realm "${realm}" and role "${role}" leads to a router transport that refuses the proxy's sessions`;

/** The authmethod Crossbar's backend names in the call (its proxy signs in with it). */
export const proxyAuthmethod = 'cryptosign-proxy';

/**
 * The backend's say on a session a Crossbar proxy worker signed in: where Crossbar's backend
 * transport has a dynamic `cryptosign-proxy` authenticator, it calls it for each session the proxy
 * brings (router/auth/cryptosign.py, PendingAuthCryptosignProxy) and refuses the session when it
 * refuses; otherwise the session keeps the realm, authid and role the proxy gave it, whatever the
 * authenticator answered. A backend transport that does not offer the method the proxy signs in
 * with refuses every session. Connections of one route are taken in turn, as Crossbar's proxy does.
 */
export class ProxyBackend {
  private readonly turns = new Map<string, number>();

  constructor(private readonly authenticators: ProxyBackendAuthenticators) {}

  /** Undefined: admitted (or no authenticator for this route). */
  async check(request: AuthRequest, identity: Identity, realm: string): Promise<Failure | { kind: 'refused'; why: string } | undefined> {
    const roles = Object.hasOwn(this.authenticators, realm) ? this.authenticators[realm]! : undefined;
    const choices = roles && Object.hasOwn(roles, identity.authrole) ? roles[identity.authrole]! : undefined;
    if (choices === undefined) return undefined;
    const key = `${realm}\u0000${identity.authrole}`;
    const turn = this.turns.get(key) ?? 0;
    this.turns.set(key, (turn + 1) % choices.length);
    const authenticator = choices[turn % choices.length];
    if (!authenticator) return undefined;
    if (!(authenticator instanceof DynamicAuthenticator)) return { kind: 'refused', why: authenticator.why };
    const answer = await authenticator.ask(proxiedHello(request, identity, realm));
    return isFailure(answer) ? answer : undefined;
  }
}

/**
 * The HELLO Crossbar's proxy sends its backend for a client it signed in (worker/proxy.py,
 * frontend_accepted): the client's realm, role and authid (Crossbar's proxy names its node as
 * authid; an in-process proxy has no such name, so the client's stands in, as Crossbar's backend
 * does when the proxy sends none), and `proxy_*` authextra with the client's sign-in and transport.
 */
function proxiedHello(request: AuthRequest, identity: Identity, realm: string): AuthRequest {
  const authextra: Dict = {
    proxy_realm: realm,
    proxy_authid: identity.authid,
    proxy_authrole: identity.authrole,
    proxy_authmethod: identity.authmethod,
    proxy_authprovider: identity.authprovider,
    proxy_authextra: { ...identity.authextra, transport: request.transport },
  };
  return { ...request, realm, details: { authid: identity.authid, authrole: identity.authrole, authextra } };
}
