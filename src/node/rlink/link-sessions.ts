/**
 * Which sessions of a router are router links', as Crossbar marks them: a link joins the other
 * router with role "rlink" (by convention), and its own router with authextra.rlink (its id).
 * A registration whose callees are all links is another link's mirror: mirroring it again would
 * bring calls that arrive already forwarded, which no link forwards again (crossbar-examples
 * rlinks/ha_setup: four nodes that each pull the others' registrations would otherwise often
 * pull a procedure through a third node rather than from its own). Junction's own meta API does
 * not show such registrations at all; this is how a link tells them on a Crossbar router.
 */

import type { Dict } from '../../protocol/messages.js';
import { linkMark, routerLinkRole } from '../../router/forward-for.js';
import type { LinkSide } from './link-sides.js';

function isLinkSession(details: unknown): boolean {
  if (typeof details !== 'object' || details === null) return false;
  const { authrole, authextra } = details as Dict;
  return authrole === routerLinkRole || (typeof authextra === 'object' && authextra !== null && linkMark in authextra);
}

/**
 * Whether every callee of `registration` on `side` is a router link's session. False when the
 * meta API does not say (a role without it, a registration gone meanwhile): mirrored as before.
 */
export async function registeredByLinksOnly(side: LinkSide, registration: unknown): Promise<boolean> {
  if (typeof registration !== 'number') return false;
  try {
    const [callees] = (await side.call('wamp.registration.list_callees', [registration])).args;
    if (!Array.isArray(callees) || callees.length === 0) return false;
    for (const callee of callees) {
      if (!isLinkSession((await side.call('wamp.session.get', [callee])).args[0])) return false;
    }
    return true;
  } catch {
    return false;
  }
}
