import { randomBytes } from 'node:crypto';
import { DynamicAuthenticator, identityOf, isFailure } from './dynamic.js';
import { fail, requestedAuthid, type AuthMethod, type MethodOutcome } from './method.js';
import type { AuthRequest } from '../router/hooks.js';
import { sameSecret } from './secrets.js';

const method = 'ticket';

export interface TicketPrincipal {
  ticket: string;
  role: string;
}

/**
 * WAMP-Ticket against principals from the config: CHALLENGE with an empty extra, AUTHENTICATE
 * carries the ticket in clear (use TLS).
 */
export function staticTicket(principals: Record<string, TicketPrincipal>): AuthMethod {
  const byAuthid = new Map(Object.entries(principals));
  return ticketOfPrincipals((authid) => byAuthid.get(authid), (_request, authid, principal) =>
    ({ kind: 'welcome', identity: { authid, authrole: principal.role, authmethod: method, authprovider: 'static' } }));
}

/**
 * WAMP-Ticket against principals found by HELLO's authid. Every client gets the challenge, known
 * or not, and the ticket is always compared, so an unknown authid looks the same as a wrong
 * ticket; `welcome` decides what a client with the right ticket gets.
 */
export function ticketOfPrincipals<P extends { ticket: string }>(
  principalOf: (authid: string) => P | undefined,
  welcome: (request: AuthRequest, authid: string, principal: P) => MethodOutcome,
): AuthMethod {
  return {
    name: method,
    begin(request) {
      const authid = requestedAuthid(request);
      return {
        kind: 'challenge',
        extra: {},
        verify(answer) {
          const principal = authid === undefined ? undefined : principalOf(authid);
          const matches = sameSecret(answer.signature, principal?.ticket ?? randomBytes(16).toString('hex'));
          if (!principal) return fail(authid === undefined ? 'HELLO carried no authid' : `no principal "${authid}" is configured`, authid);
          if (!matches) return fail('wrong ticket', authid);
          return welcome(request, authid!, principal);
        },
      };
    },
  };
}

/**
 * WAMP-Ticket decided by an application procedure: after the client answered the challenge, the
 * authenticator gets (realm, authid, details) with details.ticket, and answers with a role or a
 * principal dict; an error from it refuses the client.
 */
export function dynamicTicket(authenticator: DynamicAuthenticator): AuthMethod {
  return {
    name: method,
    begin(request) {
      return {
        kind: 'challenge',
        extra: {},
        async verify(answer) {
          const result = await authenticator.ask(request, { ticket: answer.signature });
          if (isFailure(result)) return result;
          const identity = identityOf(result.principal, { method, provider: authenticator.provider, claimedAuthid: requestedAuthid(request) });
          return isFailure(identity) ? identity : { kind: 'welcome', identity };
        },
      };
    },
  };
}
