import { MessageType } from '../../protocol/codes.js';
import { Envelope } from '../../protocol/envelope.js';
import { ErrorUri } from '../../protocol/errors.js';
import { randomId } from '../../protocol/ids.js';
import type { Dict, Publish } from '../../protocol/messages.js';
import type { MatchPolicy } from '../../protocol/uri.js';
import { PatternTable } from '../match/pattern-table.js';
import type { PublishOptions, SubscribeOptions } from '../options.js';
import type { RouterMetrics } from '../router-metrics.js';
import { withPassthruDetails } from '../passthru.js';
import type { Session } from '../session.js';
import { hasReceiverLists, isReceiverAllowed } from './publish-filter.js';

export interface Subscription {
  readonly id: number;
  readonly uri: string;
  readonly match: MatchPolicy;
  readonly created: string;
  readonly subscribers: Set<Session>;
}

/**
 * Pub/sub for one realm. All sessions subscribed to the same (topic, match) share one
 * subscription, so each publication builds one EVENT per matching subscription and every
 * subscriber's transport reuses its encoding. Every method is synchronous: the indexes are never
 * seen half-changed.
 */
export class Broker {
  private readonly table = new PatternTable<Subscription>();
  private readonly byId = new Map<number, Subscription>();
  private readonly bySession = new Map<Session, Set<Subscription>>();

  constructor(
    private readonly realmName: string,
    private readonly metrics: RouterMetrics,
  ) {}

  subscribe(session: Session, request: number, topic: string, options: SubscribeOptions): void {
    let subscription = this.table.get(topic, options.match);
    if (!subscription) {
      subscription = { id: randomId(), uri: topic, match: options.match, created: new Date().toISOString(), subscribers: new Set() };
      this.table.set(topic, options.match, subscription);
      this.byId.set(subscription.id, subscription);
    }
    subscription.subscribers.add(session);
    let mine = this.bySession.get(session);
    if (!mine) this.bySession.set(session, (mine = new Set()));
    mine.add(subscription);
    session.send({ type: MessageType.SUBSCRIBED, request, subscription: subscription.id });
  }

  unsubscribe(session: Session, request: number, subscriptionId: number): void {
    const subscription = this.byId.get(subscriptionId);
    if (!subscription || !subscription.subscribers.has(session)) {
      session.sendError(MessageType.UNSUBSCRIBE, request, ErrorUri.noSuchSubscription,
        `this session has no subscription ${subscriptionId}`);
      return;
    }
    this.removeSubscriber(subscription, session);
    this.bySession.get(session)?.delete(subscription);
    session.send({ type: MessageType.UNSUBSCRIBED, request });
  }

  publish(publisher: Session, message: Publish, options: PublishOptions, disclose: boolean): void {
    const publication = randomId();
    let delivered = 0;
    // The exact subscription is one hash lookup; the pattern indexes are consulted only when
    // patterns exist, so an exact-only realm pays nothing for them.
    const exact = this.table.exact.get(message.topic);
    if (exact) delivered += this.deliver(exact, publisher, message, options, disclose, publication);
    if (this.table.hasPatterns) {
      const patterns: Subscription[] = [];
      this.table.prefix.collect(message.topic, patterns);
      this.table.wildcard.collect(message.topic, patterns);
      for (const subscription of patterns) delivered += this.deliver(subscription, publisher, message, options, disclose, publication);
    }
    this.metrics.published.inc({ realm: this.realmName });
    if (delivered > 0) this.metrics.eventsSent.inc({ realm: this.realmName }, delivered);
    if (options.acknowledge) publisher.send({ type: MessageType.PUBLISHED, request: message.request, publication });
  }

  /** Removes every subscription of a session that left. */
  leave(session: Session): void {
    const mine = this.bySession.get(session);
    if (!mine) return;
    this.bySession.delete(session);
    for (const subscription of mine) this.removeSubscriber(subscription, session);
  }

  subscriptionCount(): number {
    return this.byId.size;
  }

  /** One EVENT for one subscription, built once and handed to each eligible subscriber; returns how many got it. */
  private deliver(subscription: Subscription, publisher: Session, message: Publish, options: PublishOptions,
    disclose: boolean, publication: number): number {
    const details: Dict = {};
    // With a pattern the subscriber cannot know which topic fired: the spec says to tell it.
    if (subscription.match !== 'exact') details.topic = message.topic;
    if (disclose) {
      details.publisher = publisher.id;
      details.publisher_authid = publisher.authid;
      details.publisher_authrole = publisher.authrole;
    }
    const event = new Envelope({
      type: MessageType.EVENT, subscription: subscription.id, publication,
      details: withPassthruDetails(message.options, details),
      args: message.args, kwargs: message.kwargs, payload: message.payload,
    });
    const filtered = hasReceiverLists(options);
    let delivered = 0;
    for (const subscriber of subscription.subscribers) {
      if (subscriber === publisher && options.excludeMe) continue;
      if (filtered && !isReceiverAllowed(subscriber, options)) continue;
      subscriber.sendEnvelope(event);
      delivered++;
    }
    return delivered;
  }

  private removeSubscriber(subscription: Subscription, session: Session): void {
    subscription.subscribers.delete(session);
    if (subscription.subscribers.size === 0) {
      this.byId.delete(subscription.id);
      this.table.delete(subscription.uri, subscription.match);
    }
  }
}
