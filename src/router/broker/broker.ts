import { MessageType } from '../../protocol/codes.js';
import { Envelope } from '../../protocol/envelope.js';
import { ErrorUri } from '../../protocol/errors.js';
import { randomId } from '../../protocol/ids.js';
import { clusterIds, randomIds, type IdMaker } from '../cluster-ids.js';
import type { Dict, Publish } from '../../protocol/messages.js';
import { mqttPropertiesKey, stampedExpiry } from '../../protocol/mqtt-properties.js';
import { sessionDetailsKey } from '../session-details-key.js';
import type { MatchPolicy } from '../../protocol/uri.js';
import { PatternTable } from '../match/pattern-table.js';
import { readPublishOptions, type PublishOptions, type SubscribeOptions } from '../options.js';
import type { Backplane, RemoteHistory, RemotePublication, RemoteRetained } from '../backplane.js';
import type { RealmEvents } from '../realm-events.js';
import type { BoundCounter } from '../../metrics/registry.js';
import type { Logger } from '../log.js';
import type { RouterMetrics } from '../router-metrics.js';
import { withPassthruDetails } from '../passthru.js';
import { addForwardDetails } from '../forward-for.js';
import type { Session, SessionOrigin } from '../session.js';
import { EventHistory, storedEvent, type EventHistorySetting } from './event-history.js';
import { journalOf, type HistoryStore } from './history-store.js';
import { PublicationPositions, type PublicationPosition } from './publication-positions.js';
import { hasReceiverLists, isReceiverAllowed } from './publish-filter.js';
import { RetainedEvents, type RetainedStamp, type RetentionRefusal } from './retained-events.js';
import { replayMeter } from './replay-meter.js';
import { RetainedReplays, type ReplayLimits } from './retained-replay.js';
import { SmallSet } from './small-set.js';
import type { Subscription } from './subscription.js';
import { SmallSetMap } from './small-set-map.js';
import { LimitRefusals } from '../limits/limit-refusals.js';
import { retentionRefusalMessage, underLimit, type RetentionLimits } from '../limits/session-limits.js';
import { payloadBytes } from '../limits/payload-bytes.js';
import { WarningThrottle } from '../limits/warning-throttle.js';
import { sessionStatsTopic } from '../stats/session-meter.js';

/** A subscription as the broker keeps it: its creation time as a number, written out when asked for. */
class SubscriptionRecord implements Subscription {
  readonly subscribers = new SmallSet<Session>();
  private readonly createdMs = Date.now();

  constructor(readonly id: number, readonly uri: string, readonly match: MatchPolicy, readonly history: EventHistory | undefined) {}

  get created(): string {
    return new Date(this.createdMs).toISOString();
  }
}

export interface BrokerSettings {
  eventHistory: readonly EventHistorySetting[];
  /** What the realm keeps of retained events (0 = no limit). */
  retention: RetentionLimits;
  /** Live events held behind a session's paced retained events (0 = no limit); read at each hold, so a reload applies. */
  replayLimits: ReplayLimits;
  /** Subscriptions one non-trusted session may hold (0 = no limit). */
  maxSubscriptionsPerSession: number;
  /** Monotonic milliseconds, for rate-limiting warnings. */
  now(): number;
  /** The realm's log, for what concerns no one session (an event too large for its history). */
  log: Logger;
  /** The cluster this node belongs to, if any: told of every publication and of which topics have subscribers here. */
  backplane?: Backplane;
  /** Where the event history is also kept, across restarts (a "cfxdb" store); read here at construction. */
  historyStore?: HistoryStore;
}

/** One publication in one history, as a set member. */
function historyKey(uri: string, match: MatchPolicy, publication: number): string {
  return `${match} ${publication} ${uri}`;
}

/** A retained event this node does not keep: the limit it would pass, and its bytes (for the warning). */
type RetentionOverflow = RetentionRefusal & { bytes: number };

/** What delivery needs of a publication, local (a PUBLISH) or from another node. */
type Published = Pick<Publish, 'topic' | 'args' | 'kwargs' | 'payload'>;

/**
 * Pub/sub for one realm. All sessions subscribed to the same (topic, match) share one
 * subscription, so each publication builds one EVENT per matching subscription and every
 * subscriber's transport reuses its encoding. Every method is synchronous: the indexes are never
 * seen half-changed. A session's subscription count is the size of its own set, so every way a
 * subscription ends (UNSUBSCRIBE, leaving) frees its place exactly once.
 */
export class Broker {
  private readonly table = new PatternTable<Subscription>();
  private readonly byId = new Map<number, Subscription>();
  /** Each session's subscriptions: most sessions hold a few, kept without a Set each. */
  private readonly bySession = new SmallSetMap<Session, Subscription>();
  private readonly retained: RetainedEvents;
  /** Retained events on their way to subscribers, paced by each one's transport. */
  private readonly replays: RetainedReplays;
  /** The largest logical time of the retained events this node made or kept (see RetainedStamp). */
  private retainedClock = 0;
  private maxSubscriptionsPerSession: number;
  private readonly retentionRefusals = new WarningThrottle();
  private readonly backplane: Backplane | undefined;
  private readonly newId: IdMaker;
  private remoteDelivery: 'remote' | 'stand-in' | undefined;
  /** This realm's publication sequence and the positions heard from every node's (see PublicationPosition). */
  readonly positions = new PublicationPositions();

  /** By the publisher's origin, so a client's publication is told apart from the meta API's events. */
  private readonly counters: Record<SessionOrigin, { published: BoundCounter; eventsSent: BoundCounter }>;
  private readonly retainedRefused: RouterMetrics['retainedRefused'];
  private readonly limitRefusals: LimitRefusals;

  constructor(
    private readonly realmName: string,
    metrics: RouterMetrics,
    private readonly events: RealmEvents,
    private readonly settings: BrokerSettings,
  ) {
    const realm = { realm: realmName };
    const countersFor = (origin: SessionOrigin) => ({
      published: metrics.published.bind({ realm: realmName, origin }),
      eventsSent: metrics.eventsSent.bind({ realm: realmName, origin }),
    });
    this.counters = { client: countersFor('client'), internal: countersFor('internal') };
    this.retainedRefused = metrics.retainedRefused;
    this.limitRefusals = new LimitRefusals(metrics.sessionLimitRefused, realmName, () => settings.now());
    this.retained = new RetainedEvents(settings.retention, {
      changed: (topics, bytes) => {
        metrics.retainedTopics.add(topics, realm);
        metrics.retainedBytes.add(bytes, realm);
      },
      expired: () => metrics.retainedExpired.inc(realm),
    });
    this.replays = new RetainedReplays(settings.replayLimits,
      replayMeter(metrics, realmName, () => settings.now(), (subscription) => this.byId.get(subscription)?.uri));
    this.maxSubscriptionsPerSession = settings.maxSubscriptionsPerSession;
    this.backplane = settings.backplane;
    this.newId = this.backplane ? clusterIds(realmName) : randomIds;
    const historyRefusals = new WarningThrottle();
    const historyMeter = {
      changed: (bytes: number) => metrics.historyBytes.add(bytes, realm),
      refused: (bytes: number, limitBytes: number) => {
        metrics.historyRefused.inc(realm);
        const since = historyRefusals.record(settings.now());
        if (since !== undefined) {
          settings.log.warn({ bytes, limitBytes, refused: since },
            'event not kept in the event history: larger than its limit_bytes alone (refused: since the last warning; further ones not logged for 10 s)');
        }
      },
    };
    const store = settings.historyStore;
    for (const { uri, match, limit, limitBytes } of settings.eventHistory) {
      const existing = this.table.get(uri, match);
      if (existing && existing.history!.limit >= limit && existing.history!.limitBytes >= limitBytes) continue;
      this.create(uri, match, new EventHistory(limit, limitBytes, historyMeter), existing?.id);
    }
    if (store) this.loadHistory(store);
  }

  /**
   * The history kept before this start, under this start's limits; what they no longer hold (a
   * smaller limit, a topic gone from event-history) is let go from the store too, and logged.
   * From then on every history tells the store what it keeps and lets go.
   */
  private loadHistory(store: HistoryStore): void {
    const loaded = store.load();
    this.adoptHistory(loaded);
    const kept = new Set<string>();
    for (const { uri, match, history } of this.byId.values()) {
      if (!history) continue;
      for (const { event } of history.snapshot()) kept.add(historyKey(uri, match, event.publication));
      history.journalTo(journalOf(store, uri, match));
    }
    let letGo = 0;
    for (const { uri, match, events } of loaded) {
      for (const { event } of events) {
        if (kept.has(historyKey(uri, match, event.publication))) continue;
        store.dropped(uri, match, event.publication);
        letGo++;
      }
    }
    const events = loaded.reduce((sum, { events }) => sum + events.length, 0);
    this.settings.log.info({ events, letGo }, 'event history read from the realm store (letGo: beyond this start\'s event-history limits or topics)');
  }

  /** A new limit (a config reload): it bounds what sessions add from now on; nothing held is taken away. */
  setMaxSubscriptionsPerSession(max: number): void {
    this.maxSubscriptionsPerSession = max;
  }

  subscribe(session: Session, request: number, topic: string, options: SubscribeOptions): void {
    const existing = this.table.get(topic, options.match);
    // Subscribing again to what the session already has adds nothing: the spec answers with the same ID.
    const max = this.maxSubscriptionsPerSession;
    if (session.limited && !underLimit(this.bySession.size(session), max) && !existing?.subscribers.has(session)) {
      session.sendError(MessageType.SUBSCRIBE, request, ErrorUri.limitExceeded, this.limitRefusals.refuse(session.log, 'max_subscriptions_per_session', max));
      return;
    }
    const subscription = existing ?? this.create(topic, options.match, undefined);
    const added = !subscription.subscribers.has(session);
    subscription.subscribers.add(session);
    this.bySession.add(session, subscription);
    session.send({ type: MessageType.SUBSCRIBED, request, subscription: subscription.id });
    if (options.getRetained) this.sendRetained(session, subscription);
    if (!existing) this.events.emit('subscriptionCreated', session, subscription);
    if (added) this.events.emit('subscribed', session, subscription);
  }

  // ---- the meta API's view ----

  subscription(id: number): Subscription | undefined {
    return this.byId.get(id);
  }

  subscriptions(): IterableIterator<Subscription> {
    return this.byId.values();
  }

  /** Topics with a retained event that a subscription's (uri, match) covers. */
  retainedTopics(uri: string, match: MatchPolicy): number {
    return this.retained.topicsMatching(uri, match).length;
  }

  subscriptionsOf(session: Session): Iterable<Subscription> {
    return this.bySession.values(session);
  }

  /** The subscription a SUBSCRIBE with this topic and match policy would join. */
  lookup(topic: string, match: MatchPolicy): Subscription | undefined {
    return this.table.get(topic, match);
  }

  /** Every subscription a publication to `topic` reaches. */
  matching(topic: string): Subscription[] {
    return this.table.matches(topic);
  }

  unsubscribe(session: Session, request: number, subscriptionId: number): void {
    const subscription = this.byId.get(subscriptionId);
    if (!subscription || !subscription.subscribers.has(session)) {
      session.sendError(MessageType.UNSUBSCRIBE, request, ErrorUri.noSuchSubscription,
        `this session has no subscription ${subscriptionId}`);
      return;
    }
    const deleted = this.removeSubscriber(subscription, session);
    this.bySession.delete(session, subscription);
    session.send({ type: MessageType.UNSUBSCRIBED, request });
    this.announceRemoval(session, subscription, deleted);
  }

  /**
   * Takes a subscriber off a subscription unasked (wamp.subscription.remove_subscriber). The
   * subscriber is told with UNSUBSCRIBED(0, {subscription, reason}) if it announced
   * subscription_revocation (the spec forbids it otherwise).
   */
  revoke(subscription: Subscription, subscriber: Session, reason: string | undefined): void {
    if (!subscription.subscribers.has(subscriber)) return;
    const deleted = this.removeSubscriber(subscription, subscriber);
    this.bySession.delete(subscriber, subscription);
    if (subscriber.hasFeature('subscriber', 'subscription_revocation')) {
      const details: Dict = { subscription: subscription.id };
      if (reason !== undefined) details.reason = reason;
      subscriber.send({ type: MessageType.UNSUBSCRIBED, request: 0, details });
    }
    this.announceRemoval(subscriber, subscription, deleted);
  }

  publish(publisher: Session, message: Publish, options: PublishOptions, disclose: boolean): void {
    const publication = randomId();
    const details: Dict = {};
    if (disclose) {
      details.publisher = publisher.id;
      details.publisher_authid = publisher.authid;
      details.publisher_authrole = publisher.authrole;
    }
    if (options.forwardFor) addForwardDetails(details, options.forwardFor, publisher, 'publisher', disclose);
    withPassthruDetails(message.options, details);
    if (options.mqtt) details[mqttPropertiesKey] = options.mqtt;
    if (publisher.trusted && message.options[sessionDetailsKey] !== undefined) details[sessionDetailsKey] = message.options[sessionDetailsKey];
    const receiverLists = hasReceiverLists(options);
    let stamp: RetainedStamp | undefined;
    if (options.retain) {
      // Kept before it is delivered: one over a retention limit is refused whole (not delivered,
      // not retained, not sent to the cluster), so an ERROR always means that nothing happened.
      stamp = { logicalTime: this.retainedClock + 1, at: Date.now() };
      const refused = this.keepRetained(message, options, receiverLists, details, publication, options.excludeMe ? publisher.id : undefined, stamp);
      if (refused) return this.refuseRetained(publisher, message, options, refused);
    }
    const position = this.positions.next();
    const delivered = this.deliverAll(message, options, receiverLists, details, publication, options.excludeMe ? publisher.id : 0, position);
    const counters = this.counters[publisher.origin];
    counters.published.inc();
    if (delivered > 0) counters.eventsSent.inc(delivered);
    // Once, after local delivery: the backplane sends it on to the nodes with matching subscriptions.
    if (this.backplane) {
      const remote: RemotePublication = {
        realm: this.realmName, topic: message.topic, publication, publisher: publisher.id, origin: publisher.origin,
        options: message.options, details, args: message.args, kwargs: message.kwargs, payload: message.payload, position,
      };
      // Only a retained one carries its stamp (a key left undefined would still cost bytes on the wire).
      if (stamp) {
        remote.logicalTime = stamp.logicalTime;
        remote.publishedAt = stamp.at;
      }
      this.backplane.publish(remote);
    }
    if (options.acknowledge) publisher.send({ type: MessageType.PUBLISHED, request: message.request, publication });
  }

  /**
   * A publication with `retain` over a retention limit: refused whole. Counted and warned (at most
   * every 10 s); an acknowledged publisher gets ERROR limit_exceeded, so it may retry knowing no
   * subscriber got it.
   */
  private refuseRetained(publisher: Session, message: Publish, options: PublishOptions, refused: RetentionOverflow): void {
    this.countRetentionRefusal(publisher.log, message.topic, refused,
      'retained publication refused, not delivered: a retention limit was reached (refused: since the last warning; further ones not logged for 10 s)');
    if (options.acknowledge) {
      publisher.sendError(MessageType.PUBLISH, message.request, ErrorUri.limitExceeded, retentionRefusalMessage(refused.limit, refused.max));
    }
  }

  /**
   * A publication made on another node, for this node's subscribers: the same delivery step as a
   * local one. Its options were read and accepted on its node; one that cannot be read here
   * (a node of another version) is dropped and logged rather than delivered unfiltered.
   */
  /**
   * What the EVENTs being delivered now (synchronously, to in-process subscribers) are of: a
   * publication made on this node, on another node, or one every node makes for a node that died
   * (its sessions' on_leave). A forwarder takes into the cluster's feed only the publications of
   * its own node, so that each is taken once.
   */
  get delivering(): 'local' | 'remote' | 'stand-in' {
    return this.remoteDelivery ?? 'local';
  }

  /** `standIn`: every node delivers this publication to its own subscribers only, for a node that died. */
  receiveRemote(remote: RemotePublication, standIn = false): void {
    let options: PublishOptions;
    try {
      options = readPublishOptions(remote.options);
    } catch (error) {
      this.settings.log.warn({ topic: remote.topic, err: error }, 'publication from another node dropped: its options cannot be read');
      return;
    }
    const receiverLists = hasReceiverLists(options);
    const outer = this.remoteDelivery;
    this.remoteDelivery = standIn ? 'stand-in' : 'remote';
    // A node of an older version sends no position; a stand-in publication is made by every node, so has none.
    const position = standIn ? undefined : remote.position;
    if (position) this.positions.heard(position);
    let delivered: number;
    try {
      delivered = this.deliverAll(remote, options, receiverLists, remote.details, remote.publication,
        options.excludeMe ? remote.publisher : 0, position);
    } finally {
      this.remoteDelivery = outer;
    }
    if (delivered > 0) this.counters[remote.origin].eventsSent.inc(delivered);
    // Every node keeps its own copy of a retained event, under its own limits (the backplane sends it to all).
    if (options.retain) {
      // A node of an older version sends no logical time (it orders before every stamped one) and maybe no time (when it arrives).
      const refused = this.keepRetained(remote, options, receiverLists, remote.details, remote.publication,
        options.excludeMe ? remote.publisher : undefined, { logicalTime: remote.logicalTime ?? 0, at: remote.publishedAt ?? Date.now() });
      if (refused) this.notKeptHere(remote.topic, refused);
    }
  }

  /**
   * Hands a publication to every matching subscription; returns how many subscribers got it.
   * `excluded` is the publisher's session id under exclude_me, else 0.
   */
  private deliverAll(message: Published, options: PublishOptions, receiverLists: boolean, details: Dict, publication: number,
    excluded: number, position: PublicationPosition | undefined): number {
    const outer = this.positions.delivering;
    this.positions.delivering = position;
    try {
      return this.deliverMatching(message, options, receiverLists, details, publication, excluded, position);
    } finally {
      this.positions.delivering = outer;
    }
  }

  private deliverMatching(message: Published, options: PublishOptions, receiverLists: boolean, details: Dict, publication: number,
    excluded: number, position: PublicationPosition | undefined): number {
    let delivered = 0;
    // The exact subscription is one hash lookup; the pattern indexes are consulted only when
    // patterns exist, so an exact-only realm pays nothing for them.
    const exact = this.table.exact.get(message.topic);
    if (exact) delivered += this.deliver(exact, excluded, message, options, receiverLists, details, publication, position);
    if (this.table.hasPatterns) {
      const patterns: Subscription[] = [];
      this.table.prefix.collect(message.topic, patterns);
      this.table.wildcard.collect(message.topic, patterns);
      for (const subscription of patterns) {
        delivered += this.deliver(subscription, excluded, message, options, receiverLists, details, publication, position);
      }
    }
    return delivered;
  }

  /** Removes the retained events whose MQTT Message Expiry ran out (the store does it before each use; the metrics, before they are read). */
  removeExpiredRetained(): void {
    this.retained.removeExpired();
  }

  /** Every retained event this node keeps, for a node that starts later. */
  retainedSnapshot(): RemoteRetained[] {
    return [...this.retained.events()].map(({ topic, publication, logicalTime, at, details, options, excludedSession, args, kwargs, payload }) => ({
      topic, publication, logicalTime, publishedAt: at, details, options, excludedSession, args, kwargs, payload,
    }));
  }

  /**
   * Retained events another node kept from before this node started, merged with those this node
   * kept since (in retainedOrder, each publication once), under this node's limits.
   */
  adoptRetained(events: readonly RemoteRetained[]): void {
    for (const event of events) {
      let options: PublishOptions;
      try {
        options = readPublishOptions(event.options);
      } catch {
        continue; // a node of another version: its options cannot be read here, so its receivers are unknown
      }
      // A node of an older version sends no times: its copy counts as older than what this node kept.
      const refused = this.keepRetained(event, options, hasReceiverLists(options), event.details, event.publication, event.excludedSession,
        { logicalTime: event.logicalTime ?? 0, at: event.publishedAt ?? 0 });
      if (refused) {
        this.countRetentionRefusal(this.settings.log, event.topic, refused,
          'retained event copied from another node not kept: a retention limit of this node was reached (refused: since the last warning; further ones not logged for 10 s)');
      }
    }
  }

  /** Whether the realm keeps any event history (else there is none to copy). */
  get keepsHistory(): boolean {
    return this.settings.eventHistory.length > 0;
  }

  /** The event history of every history-kept subscription, for a node that starts later. */
  historySnapshot(): RemoteHistory[] {
    return [...this.byId.values()].flatMap(({ uri, match, history }) => history ? [{ uri, match, events: history.snapshot() }] : []);
  }

  /**
   * The event history another node kept from before this node started, merged into the history
   * of the same (uri, match) here, under this node's limits; a subscription this node keeps no
   * history for takes nothing. The events take this node's subscription ID (the same, but for a hash collision).
   */
  adoptHistory(histories: readonly RemoteHistory[]): void {
    for (const { uri, match, events } of histories) {
      for (const { position } of events) if (position) this.positions.heard(position);
      const subscription = this.table.get(uri, match);
      subscription?.history?.adopt(events.map((copy) => ({ ...copy, event: { ...copy.event, subscription: subscription.id } })));
    }
  }

  /**
   * Keeps a retained event, this node's or (from another node) its own copy; over a limit nothing
   * changes and the limit it would pass is returned, with the event's bytes.
   */
  private keepRetained(message: Published & { options: Dict }, options: PublishOptions, receiverLists: boolean, details: Dict,
    publication: number, excludedSession: number | undefined, stamp: RetainedStamp): RetentionOverflow | undefined {
    // Lamport: whatever this node publishes next orders after every retained event it has seen.
    if (stamp.logicalTime > this.retainedClock) this.retainedClock = stamp.logicalTime;
    const maxEventBytes = this.settings.retention.maxRetainedEventBytes;
    const bytes = message.topic.length + payloadBytes([message.args, message.kwargs, message.payload], maxEventBytes > 0 ? maxEventBytes : undefined);
    const refused = this.retained.retain({
      topic: message.topic, publication, logicalTime: stamp.logicalTime, at: stamp.at, details, args: message.args, kwargs: message.kwargs, payload: message.payload,
      receivers: receiverLists ? options : undefined, excludedSession, bytes, options: message.options, expiresAt: stampedExpiry(options.mqtt),
    });
    return refused && { ...refused, bytes };
  }

  /**
   * Another node's retained publication this node cannot keep under its own limits: its node
   * accepted it (and its publisher was answered), so it was delivered here all the same; only
   * this node's copy is missing. Counted and warned like a refusal.
   */
  private notKeptHere(topic: string, refused: RetentionOverflow): void {
    this.countRetentionRefusal(this.settings.log, topic, refused,
      'retained publication from another node delivered here but not retained on this node: a retention limit was reached ' +
      '(refused: since the last warning; further ones not logged for 10 s)');
  }

  private countRetentionRefusal(log: Logger, topic: string, refused: RetentionOverflow, warning: string): void {
    this.retainedRefused.inc({ realm: this.realmName, limit: refused.limit });
    const since = this.retentionRefusals.record(this.settings.now());
    if (since !== undefined) {
      log.warn({ topic, limit: refused.limit, bytes: refused.bytes, retainedBytes: this.retained.bytes, retainedTopics: this.retained.topicCount,
        refused: since }, warning);
    }
  }

  /** Removes every subscription of a session that left; the meta events follow once all are gone. */
  leave(session: Session): void {
    const mine = this.bySession.take(session);
    const removed = mine.map((subscription) => [subscription, this.removeSubscriber(subscription, session)] as const);
    for (const [subscription, deleted] of removed) this.announceRemoval(session, subscription, deleted);
  }

  /** Sessions with retained events still on their way to them (RetainedReplays). */
  get retainedReplaysPending(): number {
    return this.replays.pending;
  }

  subscriptionCount(): number {
    return this.byId.size;
  }

  /**
   * One EVENT for one subscription, built once and handed to each eligible subscriber; returns
   * how many got it. `details` (publisher, passthru) is shared by every subscription of the publication.
   */
  private deliver(subscription: Subscription, excluded: number, message: Published, options: PublishOptions,
    receiverLists: boolean, details: Dict, publication: number, position: PublicationPosition | undefined): number {
    // With a pattern the subscriber cannot know which topic fired: the spec says to tell it.
    const eventDetails = subscription.match === 'exact' ? details : { ...details, topic: message.topic };
    subscription.history?.record(storedEvent({
      timestamp: new Date().toISOString(), subscription: subscription.id, publication, details: eventDetails,
    }, message.args, message.kwargs), message.topic, options, receiverLists, Date.now(), position);
    if (subscription.subscribers.size === 0) return 0;
    const event = new Envelope({
      type: MessageType.EVENT, subscription: subscription.id, publication, details: eventDetails,
      args: message.args, kwargs: message.kwargs, payload: message.payload,
    });
    if (message.topic === sessionStatsTopic) event.statsReport = true;
    let delivered = 0;
    for (const subscriber of subscription.subscribers) {
      if (subscriber.id === excluded) continue;
      if (receiverLists && !isReceiverAllowed(subscriber, options)) continue;
      if (!this.replays.held(subscriber, subscription.id, event)) subscriber.sendEnvelope(event);
      delivered++;
    }
    return delivered;
  }

  /**
   * SUBSCRIBE get_retained: the latest retained event of every topic the subscription covers that
   * this session may see, as fast as its transport takes them (RetainedReplays); nothing more
   * while this subscription's earlier ones still wait for it (RetainedReplays.waits).
   */
  private sendRetained(session: Session, subscription: Subscription): void {
    if (this.replays.waits(session, subscription.id)) return;
    const events: Envelope[] = [];
    for (const topic of this.retained.topicsMatching(subscription.uri, subscription.match)) {
      const event = this.retained.latestFor(topic, session);
      if (!event) continue;
      const details: Dict = { ...event.details, retained: true };
      if (subscription.match !== 'exact') details.topic = topic;
      events.push(new Envelope({
        type: MessageType.EVENT, subscription: subscription.id, publication: event.publication, details,
        args: event.args, kwargs: event.kwargs, payload: event.payload,
      }));
    }
    this.replays.send(session, subscription.id, events);
  }

  private create(uri: string, match: MatchPolicy, history: EventHistory | undefined, replaces?: number): Subscription {
    const id = replaces ?? this.newId(uri, match, (taken) => this.byId.has(taken));
    const subscription = new SubscriptionRecord(id, uri, match, history);
    this.table.set(uri, match, subscription);
    this.byId.set(subscription.id, subscription);
    this.backplane?.announce({ realm: this.realmName, uri, match }, true);
    return subscription;
  }

  /** Returns whether the subscription is gone with its last subscriber. */
  private removeSubscriber(subscription: Subscription, session: Session): boolean {
    subscription.subscribers.delete(session);
    this.replays.forget(session, subscription.id);
    if (subscription.subscribers.size > 0 || subscription.history) return false;
    this.byId.delete(subscription.id);
    this.table.delete(subscription.uri, subscription.match);
    this.backplane?.announce({ realm: this.realmName, uri: subscription.uri, match: subscription.match }, false);
    return true;
  }

  private announceRemoval(session: Session, subscription: Subscription, deleted: boolean): void {
    this.events.emit('unsubscribed', session, subscription);
    if (deleted) this.events.emit('subscriptionDeleted', session, subscription);
  }
}
