import { ErrorUri } from '../../protocol/errors.js';
import type { Dict } from '../../protocol/messages.js';
import type { Subscription } from '../broker/broker.js';
import type { HistoryQuery } from '../broker/event-history.js';
import { InternalCallError } from '../internal-session.js';
import type { Session } from '../session.js';
import {
  argument, readId, readMatch, readOptionalBoolean, readOptionalCount, readOptionalDict, readOptionalString, readOptionalTime, readString, readTopicPattern,
} from './arguments.js';
import { callerOf, visibleSession, type MetaContext, type MetaProcedures } from './context.js';
import { byMatchPolicy, isRouterUri, isVisible, subscriptionDetails } from './views.js';

/** wamp.subscription.*: what is subscribed, by whom, and the event history. */
export function subscriptionProcedures(context: MetaContext): MetaProcedures {
  const { realm } = context;
  const broker = realm.broker;

  /** A subscription by ID; the router's own (wamp.*) ones are not shown, as in Crossbar. */
  const subscription = (id: number): Subscription => {
    const found = broker.subscription(id);
    if (!found) throw new InternalCallError(ErrorUri.noSuchSubscription, [`no subscription with ID ${id} exists in realm "${realm.name}"`]);
    if (isRouterUri(found.uri)) {
      throw new InternalCallError(ErrorUri.notAuthorized, [`subscription ${id} is on the router's own topic "${found.uri}"`]);
    }
    return found;
  };

  const subscribers = (found: Subscription): Session[] => [...found.subscribers].filter(isVisible);

  const visible = (found: Subscription | undefined): number | null => (found && !isRouterUri(found.uri) ? found.id : null);

  return {
    'wamp.subscription.list': (args, kwargs) => {
      const sessionId = argument(args, kwargs, 0, 'session_id');
      if (sessionId === undefined || sessionId === null) return byMatchPolicy(broker.subscriptions());
      return byMatchPolicy(broker.subscriptionsOf(visibleSession(context, readId(sessionId, 'session_id'))));
    },

    'wamp.subscription.lookup': (args, kwargs) => {
      const match = readMatch(readOptionalDict(argument(args, kwargs, 1, 'options'), 'options'));
      const topic = readTopicPattern(argument(args, kwargs, 0, 'topic'), match, 'topic');
      return visible(broker.lookup(topic, match));
    },

    'wamp.subscription.match': (args, kwargs) => {
      const topic = readString(argument(args, kwargs, 0, 'topic'), 'topic');
      const ids = broker.matching(topic).filter((found) => !isRouterUri(found.uri)).map((found) => found.id);
      return ids.length > 0 ? ids : null;
    },

    'wamp.subscription.get': (args, kwargs) =>
      subscriptionDetails(subscription(readId(argument(args, kwargs, 0, 'subscription'), 'subscription'))),

    'wamp.subscription.list_subscribers': (args, kwargs) =>
      subscribers(subscription(readId(argument(args, kwargs, 0, 'subscription'), 'subscription'))).map((session) => session.id),

    'wamp.subscription.count_subscribers': (args, kwargs) =>
      subscribers(subscription(readId(argument(args, kwargs, 0, 'subscription'), 'subscription'))).length,

    'wamp.subscription.get_events': async (args, kwargs, details) => {
      const caller = callerOf(context, details);
      const found = subscription(readId(argument(args, kwargs, 0, 'subscription'), 'subscription'));
      const query = readHistoryQuery(args[1], kwargs);
      if (!found.history) {
        throw new InternalCallError('wamp.error.history_unavailable',
          [`no event history is kept for subscription ${found.id} ("${found.uri}", match "${found.match}")`]);
      }
      // The spec: reading the history of a subscription takes the right to subscribe to it.
      const decision = caller.trusted ? { allow: true } : await realm.authorize(caller.facts!, 'subscribe', found.uri, { match: found.match });
      if (!decision.allow) {
        throw new InternalCallError(ErrorUri.notAuthorized, [`session ${caller.id} is not authorized to subscribe to "${found.uri}"`]);
      }
      // Crossbar's shape, which clients written for it rely on: RESULT.Arguments = [events], one list.
      return found.history.query(query, caller);
    },
  };
}

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
