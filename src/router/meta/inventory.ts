import type { Dict } from '../../protocol/messages.js';
import type { Realm } from '../realm.js';
import type { Session } from '../session.js';
import { isRouterUri, isVisible, sessionDetails } from './views.js';

/**
 * Whole-realm listings in one answer each, for the console (junction.session.list,
 * junction.subscription.list, junction.registration.list): the WAMP meta API answers them only one
 * session or subscription per call. Same visibility rules as the meta API: the router's own
 * sessions and `wamp.*` URIs are left out. Each list is cut at `limit` items and at
 * MAX_LISTING_BYTES of JSON, saying how many there were: a client's thousands of long URIs must not
 * make one answer that the console's connection cannot take (it is closed past 4 MiB waiting).
 */

/** JSON bytes of the items one listing answers at most (the first item is always given). */
export const MAX_LISTING_BYTES = 1024 * 1024;
/** A session's subscription and registration URIs listed at most (its counts give the rest). */
export const MAX_URIS_PER_SESSION = 50;

export interface Listing {
  total: number;
  truncated: boolean;
  items: Dict[];
}

export function sessionListing(realm: Realm, limit: number): Listing {
  const sessions = [...realm.sessions.values()].filter(isVisible);
  return listing(sessions, limit, (session) => ({
    ...sessionDetails(session),
    joined_at: session.joinedAt,
    ...urisOf('subscription', realm.broker.subscriptionsOf(session)),
    ...urisOf('registration', realm.dealer.registrationsOf(session)),
  }));
}

export function subscriptionListing(realm: Realm, limit: number): Listing {
  const subscriptions = [...realm.broker.subscriptions()].filter((subscription) => !isRouterUri(subscription.uri));
  return listing(subscriptions, limit, (subscription) => ({
    id: subscription.id,
    uri: subscription.uri,
    match: subscription.match,
    created: subscription.created,
    subscribers: countVisible(subscription.subscribers),
    retained_topics: realm.broker.retainedTopics(subscription.uri, subscription.match),
    history: subscription.history?.size ?? null,
  }));
}

export function registrationListing(realm: Realm, limit: number): Listing {
  const registrations = [...realm.dealer.registrations()].filter((registration) => !isRouterUri(registration.uri));
  return listing(registrations, limit, (registration) => ({
    id: registration.id,
    uri: registration.uri,
    match: registration.match,
    invoke: registration.invoke,
    created: registration.created,
    callees: registration.callees.filter(isVisible).map((callee) => callee.id),
  }));
}

function listing<T>(all: readonly T[], limit: number, describe: (item: T) => Dict): Listing {
  const items: Dict[] = [];
  let bytes = 0;
  for (const item of all) {
    if (items.length === limit) break;
    const described = describe(item);
    bytes += Buffer.byteLength(JSON.stringify(described));
    if (bytes > MAX_LISTING_BYTES && items.length > 0) break;
    items.push(described);
  }
  return { total: all.length, truncated: items.length < all.length, items };
}

/** "subscriptions": the first MAX_URIS_PER_SESSION URIs, "subscription_count": how many there are. */
function urisOf(kind: 'subscription' | 'registration', items: Iterable<{ uri: string }>): Dict {
  const found: string[] = [];
  let count = 0;
  for (const item of items) {
    if (isRouterUri(item.uri)) continue;
    count++;
    if (found.length < MAX_URIS_PER_SESSION) found.push(item.uri);
  }
  return { [`${kind}s`]: found, [`${kind}_count`]: count };
}

function countVisible(sessions: Iterable<Session>): number {
  let count = 0;
  for (const session of sessions) if (isVisible(session)) count++;
  return count;
}
