import type { Dict } from '../../protocol/messages.js';
import type { Realm } from '../realm.js';
import type { Session } from '../session.js';
import { isRouterUri, isVisible, sessionDetails } from './views.js';

/**
 * Whole-realm listings in one answer each, for the console (junction.session.list,
 * junction.subscription.list, junction.registration.list): the WAMP meta API answers them only one
 * session or subscription per call. Same visibility rules as the meta API: the router's own
 * sessions and `wamp.*` URIs are left out. Each list is cut at `limit`, saying how many there were.
 */

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
    subscriptions: uris(realm.broker.subscriptionsOf(session)),
    registrations: uris(realm.dealer.registrationsOf(session)),
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
  return { total: all.length, truncated: all.length > limit, items: all.slice(0, limit).map(describe) };
}

function uris(items: Iterable<{ uri: string }>): string[] {
  const found: string[] = [];
  for (const item of items) if (!isRouterUri(item.uri)) found.push(item.uri);
  return found;
}

function countVisible(sessions: Iterable<Session>): number {
  let count = 0;
  for (const session of sessions) if (isVisible(session)) count++;
  return count;
}
