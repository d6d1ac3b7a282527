import { fail } from './method.js';
import { ticketOfPrincipals } from './ticket.js';
import type { AuthMethod } from './method.js';

/** Who may sign in through one of Junction's private entries: the ticket made for it, and the realm and role it gets. */
export interface PrivatePrincipal {
  ticket: string;
  realm: string;
  role: string;
}

/**
 * WAMP-Ticket for Junction's own clients (a router worker's Python components): the principal is
 * found by HELLO's authid and the ticket checked as a static ticket is; the HELLO must ask for the
 * principal's realm, and the session gets the principal's role whatever the HELLO asked, so a
 * client holding a ticket cannot pick another realm or role.
 */
export function privateTicket(principalOf: (authid: string) => PrivatePrincipal | undefined): AuthMethod {
  return ticketOfPrincipals(principalOf, (request, authid, principal) => request.realm !== principal.realm
    ? fail(`asked for realm "${request.realm}"; its component joins "${principal.realm}"`, authid)
    : { kind: 'welcome', identity: { authid, authrole: principal.role, authmethod: 'ticket', authprovider: 'junction' } });
}
