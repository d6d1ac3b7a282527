import type { Args } from '../../protocol/messages.js';
import type { RealmListener } from '../realm-events.js';
import type { MetaContext } from './context.js';
import { isRouterLink } from '../forward-for.js';
import { sessionDetailsKey } from '../session-details-key.js';
import { isRouterUri, isVisible, registrationDetails, sessionDetails, subscriptionDetails } from './views.js';

/** How the meta API publishes: through its internal session, like any publisher, so subscription rules apply. */
export type Publish = (topic: string, args: Args, kwargs?: Record<string, unknown>, options?: Record<string, unknown>) => void;

/**
 * Turns realm changes into the spec's meta events. Each fires after the change it describes;
 * the router's own sessions and wamp.* subscriptions/registrations are not announced.
 */
export function metaEventPublisher(context: MetaContext, publish: Publish): RealmListener {
  return {
    sessionJoined(session) {
      if (!isVisible(session)) return;
      publish('wamp.session.on_join', [sessionDetails(session)]);
      context.realm.stats?.joined(session);
    },
    sessionLeft(session) {
      if (!isVisible(session)) return;
      // kill_all: the spec says no meta or testament events for the sessions it closes.
      if (context.quietLeaves.delete(session.id)) {
        context.testaments.take(session.id);
        return;
      }
      for (const testament of context.testaments.take(session.id)) {
        publish(testament.topic, testament.args, testament.kwargs, testament.options);
      }
      // Crossbar's one positional argument (see session-details-key.ts); the joining details ride in
      // EVENT.Details, so that a webhook learns who left and from where without having kept the on_join event.
      publish('wamp.session.on_leave', [session.id], undefined, { [sessionDetailsKey]: sessionDetails(session) });
      // Crossbar's order: the session's last statistics report follows its on_leave.
      context.realm.stats?.left(session);
    },
    subscriptionCreated(session, subscription) {
      if (!isRouterUri(subscription.uri)) publish('wamp.subscription.on_create', [session.id, subscriptionDetails(subscription)]);
    },
    subscribed(session, subscription) {
      if (!isRouterUri(subscription.uri)) publish('wamp.subscription.on_subscribe', [session.id, subscription.id]);
    },
    unsubscribed(session, subscription) {
      if (!isRouterUri(subscription.uri)) publish('wamp.subscription.on_unsubscribe', [session.id, subscription.id]);
    },
    subscriptionDeleted(session, subscription) {
      if (!isRouterUri(subscription.uri)) publish('wamp.subscription.on_delete', [session.id, subscription.id]);
    },
    registrationCreated(session, registration) {
      if (!isRouterUri(registration.uri) && !isRouterLink(session)) publish('wamp.registration.on_create', [session.id, registrationDetails(registration)]);
    },
    registered(session, registration) {
      if (!isRouterUri(registration.uri)) publish('wamp.registration.on_register', [session.id, registration.id]);
    },
    unregistered(session, registration) {
      if (!isRouterUri(registration.uri)) publish('wamp.registration.on_unregister', [session.id, registration.id]);
    },
    registrationDeleted(session, registration) {
      if (!isRouterUri(registration.uri) && !isRouterLink(session)) publish('wamp.registration.on_delete', [session.id, registration.id]);
    },
  };
}
