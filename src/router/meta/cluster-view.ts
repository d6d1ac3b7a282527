import { ErrorUri } from '../../protocol/errors.js';
import type { AnswerTo, ClusterQuestion, InventoryFilter, InventoryItem } from '../backplane.js';
import { questionTimeoutMs, TooManyQuestions } from '../backplane-questions.js';
import type { Subscription } from '../broker/subscription.js';
import type { Registration } from '../dealer/registration.js';
import { InternalCallError } from '../internal-session.js';
import type { Realm } from '../realm.js';
import type { Session } from '../session.js';
import { isRouterUri, isVisible } from './views.js';

/**
 * The meta API's view of a realm across the nodes of a cluster: this node's part, read here,
 * plus what the other nodes answer (see Backplane.askAll). Subscriptions and registrations have
 * the same ID on every node (cluster-ids.ts), so a node's items merge by ID: one item with every
 * node's subscribers or callees. Without a cluster it is this node's part alone.
 */

/** Asks every other node (or those named); fails the meta call when one stays silent, since a partial answer would be a wrong one. */
export async function askOthers<Q extends ClusterQuestion>(realm: Realm, question: Q, nodes?: readonly string[],
  partial = ''): Promise<AnswerTo<Q>[]> {
  if (!realm.backplane) return [];
  let asked;
  try {
    asked = await realm.backplane.askAll(question, nodes);
  } catch (error) {
    if (error instanceof TooManyQuestions) realm.questionsRefused();
    throw new InternalCallError(ErrorUri.unavailable, [(error as Error).message]);
  }
  if (asked.missing.length > 0) {
    throw new InternalCallError(ErrorUri.unavailable,
      [`${partial}router node(s) ${asked.missing.map((node) => `"${node}"`).join(', ')} did not answer within ${questionTimeoutMs} ms`]);
  }
  return asked.answers.map(({ answer }) => answer);
}

/** This node's subscriptions that `filter` selects, as items (the router's own wamp.* ones left out). */
export function subscriptionItems(realm: Realm, filter: InventoryFilter): InventoryItem[] {
  const broker = realm.broker;
  const found = select<Subscription>(realm, filter, {
    byId: (id) => broker.subscription(id),
    lookup: (uri, match) => broker.lookup(uri, match),
    matching: (uri) => broker.matching(uri),
    ofSession: (session) => broker.subscriptionsOf(session),
    all: () => broker.subscriptions(),
  });
  return found.map((subscription) => ({
    id: subscription.id, uri: subscription.uri, match: subscription.match, created: subscription.created,
    members: visibleIds(subscription.subscribers),
  }));
}

/** This node's registrations that `filter` selects, as items (the router's own wamp.* ones left out). */
export function registrationItems(realm: Realm, filter: InventoryFilter): InventoryItem[] {
  const dealer = realm.dealer;
  const found = select<Registration>(realm, filter, {
    byId: (id) => dealer.registration(id),
    lookup: (uri, match) => dealer.lookup(uri, match),
    matching: (uri) => {
      const best = dealer.match(uri);
      return best ? [best] : [];
    },
    ofSession: (session) => dealer.registrationsOf(session),
    all: () => dealer.registrations(),
  });
  return found.map((registration) => ({
    id: registration.id, uri: registration.uri, match: registration.match, created: registration.created, invoke: registration.invoke,
    members: visibleIds(registration.callees),
  }));
}

/** The realm's subscriptions (or registrations) that `filter` selects on every node, merged by ID. */
export async function clusterItems(realm: Realm, kind: 'subscriptions' | 'registrations', filter: InventoryFilter): Promise<InventoryItem[]> {
  const here = kind === 'subscriptions' ? subscriptionItems(realm, filter) : registrationItems(realm, filter);
  const elsewhere = await askOthers(realm, { k: kind, realm: realm.name, filter });
  return mergeItems([here, ...elsewhere]);
}

/** One item per ID: the subscribers or callees of every node, the earliest creation time. */
export function mergeItems(lists: readonly InventoryItem[][]): InventoryItem[] {
  const byId = new Map<number, InventoryItem>();
  for (const item of lists.flat()) {
    const seen = byId.get(item.id);
    if (!seen) {
      byId.set(item.id, { ...item, members: [...item.members] });
      continue;
    }
    seen.members.push(...item.members);
    if (item.created < seen.created) seen.created = item.created;
  }
  return [...byId.values()];
}

interface Reader<T> {
  byId(id: number): T | undefined;
  lookup(uri: string, match: NonNullable<InventoryFilter['lookup']>['match']): T | undefined;
  matching(uri: string): Iterable<T>;
  ofSession(session: Session): Iterable<T>;
  all(): Iterable<T>;
}

function select<T extends { uri: string }>(realm: Realm, filter: InventoryFilter, read: Reader<T>): T[] {
  let found: Iterable<T | undefined>;
  if (filter.id !== undefined) found = [read.byId(filter.id)];
  else if (filter.lookup) found = [read.lookup(filter.lookup.uri, filter.lookup.match)];
  else if (filter.matching !== undefined) found = read.matching(filter.matching);
  else if (filter.session !== undefined) {
    const session = realm.sessions.get(filter.session);
    found = session && isVisible(session) ? read.ofSession(session) : [];
  } else found = read.all();
  return [...found].filter((item): item is T => item !== undefined && !isRouterUri(item.uri));
}

function visibleIds(sessions: Iterable<Session>): number[] {
  const ids: number[] = [];
  for (const session of sessions) if (isVisible(session)) ids.push(session.id);
  return ids;
}
