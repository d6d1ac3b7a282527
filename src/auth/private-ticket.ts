import { randomBytes } from 'node:crypto';
import { fail, requestedAuthid, type AuthMethod } from './method.js';
import { sameSecret } from './secrets.js';

/** Who may sign in through one of Junction's private entries: the ticket made for it, and the realm and role it gets. */
export interface PrivatePrincipal {
  ticket: string;
  realm: string;
  role: string;
}

/**
 * WAMP-Ticket for Junction's own clients (a router worker's Python components): the principal is
 * found by HELLO's authid and the ticket compared in constant time, as for a static ticket; the
 * HELLO must ask for the principal's realm, and the session gets the principal's role whatever
 * the HELLO asked, so a client holding a ticket cannot pick another realm or role.
 */
export function privateTicket(principalOf: (authid: string) => PrivatePrincipal | undefined): AuthMethod {
  return {
    name: 'ticket',
    begin(request) {
      const authid = requestedAuthid(request);
      return {
        kind: 'challenge',
        extra: {},
        verify(answer) {
          const principal = authid === undefined ? undefined : principalOf(authid);
          const matches = sameSecret(answer.signature, principal?.ticket ?? randomBytes(16).toString('hex'));
          if (principal === undefined || !matches) return fail('no component signs in with this authid and ticket', authid);
          if (request.realm !== principal.realm) return fail(`asked for realm "${request.realm}"; its component joins "${principal.realm}"`, authid);
          return { kind: 'welcome', identity: { authid: authid!, authrole: principal.role, authmethod: 'ticket', authprovider: 'junction' } };
        },
      };
    },
  };
}
