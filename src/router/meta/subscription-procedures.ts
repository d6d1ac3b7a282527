import { ErrorUri } from '../../protocol/errors.js';
import type { Args, Dict } from '../../protocol/messages.js';
import type { InventoryItem } from '../backplane.js';
import type { HistoryQuery } from '../broker/event-history.js';
import { InternalCallError, InternalResult } from '../internal-session.js';
import {
  argument, readId, refuseUnknownKeywords, readMatch, readOptionalBoolean, readOptionalCount, readOptionalDict, readOptionalString, readOptionalTime, readString, readTopicPattern,
} from './arguments.js';
import { clusterItems } from './cluster-view.js';
import { callerOf, knownSession, type MetaContext, type MetaProcedures } from './context.js';
import { removalProcedure } from './member-removal.js';
import { byMatchPolicy, isRouterUri, itemDetails } from './views.js';

/** wamp.subscription.*: what is subscribed, by whom (on every node of a cluster), and the event history. */
export function subscriptionProcedures(context: MetaContext): MetaProcedures {
  const { realm } = context;
  const broker = realm.broker;

  /** A subscription by ID, on any node; the router's own (wamp.*) ones are not shown, as in Crossbar. */
  const subscription = async (id: number): Promise<InventoryItem> => {
    const here = broker.subscription(id);
    if (here && isRouterUri(here.uri)) {
      throw new InternalCallError(ErrorUri.notAuthorized, [`subscription ${id} is on the router's own topic "${here.uri}"`]);
    }
    const [found] = await clusterItems(realm, 'subscriptions', { id });
    if (!found) throw new InternalCallError(ErrorUri.noSuchSubscription, [`no subscription with ID ${id} exists in realm "${realm.name}"`]);
    return found;
  };

  const subscriptionArgument = (args: Args, kwargs: Dict): Promise<InventoryItem> => {
    refuseUnknownKeywords(kwargs, ['subscription']);
    return subscription(readId(argument(args, kwargs, 0, 'subscription'), 'subscription'));
  };

  return {
    'wamp.subscription.list': async (args, kwargs) => {
      refuseUnknownKeywords(kwargs, ['session_id']);
      const sessionId = argument(args, kwargs, 0, 'session_id');
      if (sessionId === undefined || sessionId === null) return byMatchPolicy(await clusterItems(realm, 'subscriptions', {}));
      const session = knownSession(context, readId(sessionId, 'session_id'));
      return byMatchPolicy(await clusterItems(realm, 'subscriptions', { session }));
    },

    'wamp.subscription.lookup': async (args, kwargs) => {
      refuseUnknownKeywords(kwargs, ['topic', 'options']);
      const match = readMatch(readOptionalDict(argument(args, kwargs, 1, 'options'), 'options'));
      const uri = readTopicPattern(argument(args, kwargs, 0, 'topic'), match, 'topic');
      const [found] = await clusterItems(realm, 'subscriptions', { lookup: { uri, match } });
      return found?.id ?? null;
    },

    'wamp.subscription.match': async (args, kwargs) => {
      refuseUnknownKeywords(kwargs, ['topic']);
      const topic = readString(argument(args, kwargs, 0, 'topic'), 'topic');
      const ids = (await clusterItems(realm, 'subscriptions', { matching: topic })).map((found) => found.id);
      return ids.length > 0 ? ids : null;
    },

    'wamp.subscription.get': async (args, kwargs) => itemDetails(await subscriptionArgument(args, kwargs)),

    'wamp.subscription.list_subscribers': async (args, kwargs) => (await subscriptionArgument(args, kwargs)).members,

    'wamp.subscription.count_subscribers': async (args, kwargs) => (await subscriptionArgument(args, kwargs)).members.length,

    'wamp.subscription.remove_subscriber': removalProcedure(context, {
      kind: 'subscription', member: 'subscriber', noSuchItem: ErrorUri.noSuchSubscription,
      find: (id) => broker.subscription(id),
      holds: (subscription, session) => subscription.subscribers.has(session),
      revoke: (subscription, session, reason) => broker.revoke(subscription, session, reason),
    }),

    'wamp.subscription.get_events': async (args, kwargs, details) => {
      refuseUnknownKeywords(kwargs, historyKeywords);
      const caller = callerOf(context, details);
      const id = readId(argument(args, kwargs, 0, 'subscription'), 'subscription');
      const query = readHistoryQuery(args[1], kwargs);
      // Every node keeps the history its settings name, of publications made on any node (it subscribes to them
      // through the backplane), under the same ID: this node's copy answers.
      const item = await subscription(id);
      const found = broker.subscription(id);
      if (!found?.history) {
        throw new InternalCallError('wamp.error.history_unavailable',
          [`no event history is kept for subscription ${id} ("${item.uri}", match "${item.match}")`]);
      }
      // The spec: reading the history of a subscription takes the right to subscribe to it.
      const decision = caller.trusted ? { allow: true } : await realm.authorize(caller.facts!, 'subscribe', found.uri, { match: found.match });
      if (!decision.allow) {
        throw new InternalCallError(ErrorUri.notAuthorized, [`session ${caller.id} is not authorized to subscribe to "${found.uri}"`]);
      }
      // Crossbar's shape, which clients written for it rely on: RESULT.Arguments = [events], one list;
      // an answer cut at MAX_ANSWER_BYTES says so in its kwargs (the rest: ask again after the last one).
      const answer = found.history.query(query, caller);
      return answer.truncated ? new InternalResult([answer.events], { truncated: true }) : answer.events;
    },
  };
}

/** get_events' keywords: the subscription and the spec's filters that readHistoryQuery reads. */
const historyKeywords = [
  'subscription', 'limit', 'reverse', 'topic', 'from_time', 'after_time', 'before_time', 'until_time',
  'from_publication', 'after_publication', 'before_publication', 'until_publication',
];

/**
 * The spec's get_events keyword filters. Crossbar's call form, `[subscription, limit]`, asks for
 * the last `limit` events, newest first, and gets them that way (unless `reverse` says otherwise).
 */
function readHistoryQuery(positionalLimit: unknown, kwargs: Dict): HistoryQuery {
  const crossbarForm = positionalLimit !== undefined && positionalLimit !== null;
  return {
    limit: readOptionalCount(crossbarForm ? positionalLimit : kwargs.limit, 'limit'),
    reverse: readOptionalBoolean(kwargs.reverse, 'reverse') ?? (crossbarForm ? true : undefined),
    topic: readOptionalString(kwargs.topic, 'topic'),
    fromTime: readOptionalTime(kwargs.from_time, 'from_time'),
    afterTime: readOptionalTime(kwargs.after_time, 'after_time'),
    beforeTime: readOptionalTime(kwargs.before_time, 'before_time'),
    untilTime: readOptionalTime(kwargs.until_time, 'until_time'),
    fromPublication: optionalId(kwargs.from_publication, 'from_publication'),
    afterPublication: optionalId(kwargs.after_publication, 'after_publication'),
    beforePublication: optionalId(kwargs.before_publication, 'before_publication'),
    untilPublication: optionalId(kwargs.until_publication, 'until_publication'),
  };
}

function optionalId(value: unknown, name: string): number | undefined {
  return value === undefined || value === null ? undefined : readId(value, name);
}
