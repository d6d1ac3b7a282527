import type { Dict } from '../protocol/messages.js';
import type { ForwardHop } from './options.js';

/**
 * Router-to-router links (Crossbar's rlinks). A link session re-publishes and re-calls on one
 * router what it received on another, naming the original sender in `forward_for`. By Crossbar's
 * convention a link joins the other router with role "rlink" (its dealer tests that name too).
 */
export const routerLinkRole = 'rlink';

/** The authextra key that marks a link's session on its own router (Crossbar's RLinkLocalSession: the link's id). */
export const linkMark = 'rlink';

interface Sender {
  readonly id: number;
  readonly authid: string;
  readonly authrole: string;
  readonly trusted: boolean;
  readonly authextra?: Dict | undefined;
}

/**
 * A router link's session, on the other router (role "rlink") or on its own (a trusted session
 * with the link mark): its registrations are not announced nor listed (Crossbar's dealer, for the
 * first), so a link never mirrors another's mirror, whose calls would arrive already forwarded.
 */
export function isRouterLink(session: Pick<Sender, 'authrole' | 'trusted' | 'authextra'>): boolean {
  return session.authrole === routerLinkRole || (session.trusted && session.authextra?.[linkMark] !== undefined);
}

/**
 * Whether the router names the original sender a session's forward_for claims: only for links
 * (and the router's own sessions). Anyone may send forward_for, as in Crossbar, whose links join
 * with whatever role the other router gives them (crossbar-examples rlinks: "router2router",
 * or "anonymous"); from others it is passed on, but the sender named is the session itself, so
 * that no one can pose as another publisher or caller.
 */
export function vouchedForwarder(session: Sender): boolean {
  return session.trusted || isRouterLink(session);
}

/**
 * EVENT or INVOCATION details of a forwarded message: `forward_for` with the sender appended
 * (always: a link skips what was already forwarded, which is what stops loops), and when the
 * receiver is told who sent it and the sender is a link, the original sender rather than the link
 * (as Crossbar's broker).
 */
export function addForwardDetails(details: Dict, forwardFor: readonly ForwardHop[], sender: Sender, prefix: 'publisher' | 'caller', disclose: boolean): void {
  details.forward_for = [...forwardFor, { session: sender.id, authid: sender.authid, authrole: sender.authrole }];
  if (!disclose || !vouchedForwarder(sender)) return;
  const [first] = forwardFor as [ForwardHop];
  details[prefix] = first.session;
  details[`${prefix}_authid`] = first.authid;
  details[`${prefix}_authrole`] = first.authrole;
}
