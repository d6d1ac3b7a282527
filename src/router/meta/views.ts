import type { Dict } from '../../protocol/messages.js';
import type { InventoryItem } from '../backplane.js';
import type { Subscription } from '../broker/subscription.js';
import type { Registration } from '../dealer/registration.js';
import type { Session } from '../session.js';

/** How the meta API shows sessions, subscriptions and registrations (the spec's dict shapes). */

/** The router's own URIs: its meta API does not list, count or announce them, as Crossbar does not. */
export function isRouterUri(uri: string): boolean {
  return uri.startsWith('wamp.');
}

/** Sessions the meta API shows: every session but the router's own (meta API, bridges). */
export function isVisible(session: Session): boolean {
  return !session.trusted;
}

export function sessionDetails(session: Session): Dict {
  const details: Dict = {
    session: session.id,
    authid: session.authid,
    authrole: session.authrole,
    authmethod: session.authmethod,
    authprovider: session.authprovider,
    transport: { ...session.peer.transport },
  };
  if (session.authextra) details.authextra = session.authextra;
  return details;
}

export function subscriptionDetails(subscription: Subscription): Dict {
  return { id: subscription.id, created: subscription.created, uri: subscription.uri, match: subscription.match };
}

export function registrationDetails(registration: Registration): Dict {
  return {
    id: registration.id, created: registration.created, uri: registration.uri,
    match: registration.match, invoke: registration.invoke,
  };
}

/** A subscription or registration of the cluster view as wamp.subscription.get / wamp.registration.get show it. */
export function itemDetails(item: InventoryItem): Dict {
  const details: Dict = { id: item.id, created: item.created, uri: item.uri, match: item.match };
  if (item.invoke) details.invoke = item.invoke;
  return details;
}

/** IDs grouped by match policy: the spec's SubscriptionLists / RegistrationLists. */
export function byMatchPolicy(items: Iterable<{ id: number; uri: string; match: string }>): Dict {
  const lists: Record<string, number[]> = { exact: [], prefix: [], wildcard: [] };
  for (const item of items) if (!isRouterUri(item.uri)) lists[item.match]!.push(item.id);
  return lists;
}
