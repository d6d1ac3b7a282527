import type { IPublishPacket, ISubscription, QoS } from 'mqtt-packet';
import type { Envelope } from '../../protocol/envelope.js';
import type { Event } from '../../protocol/messages.js';
import { mqttPropertiesOf, stampedExpiry, type MqttProperties } from '../../protocol/mqtt-properties.js';
import { quoted } from '../../protocol/uri.js';
import { carriesNothing } from '../../router/broker/retained-events.js';
import { payloadBytes } from '../../router/limits/payload-bytes.js';
import { WarningThrottle } from '../../router/limits/warning-throttle.js';
import { hasRoom } from '../outbound-room.js';
import type { Logger } from '../../router/log.js';
import type { DynamicCodecs } from './dynamic-codec.js';
import { InOrder } from './in-order.js';
import { OwnPublications, type NoLocalLimits } from './no-local.js';
import type { PayloadMapping, WampPayload } from './payload-mapping.js';
import type { SharedPayloads } from './byte-budget.js';
import { toPacket } from './properties.js';
import { Reason, reasonForRouterError } from './reason-codes.js';
import { RouterRefusal, type JoinedIdentity, type MqttRouterSession, type OutboundRoom, type RouterSessionHandlers } from './router-session.js';
import { isServerTopic, startsWithWildcard, topicFilterToSubscription, TopicRefusal, uriToTopicName } from './topics.js';

/** MQTT 5's shared subscriptions (4.8.2), which Junction does not offer (CONNACK says so). */
const sharedSubscriptionPrefix = '$share/';

/** What a client session needs from the connection it is bound to. */
export interface ClientLink {
  readonly version: number;
  /** False once the connection is closing: nothing more is handed to it. */
  readonly open: boolean;
  /** Writes a packet; false when the packet was not sent (larger than the client accepts). */
  write(packet: Record<string, unknown> & { cmd: string }): boolean;
  /** Closes the connection from our side (MQTT 5 clients are told why). */
  disconnect(reasonCode: number, reason: string): void;
  /** Whether the connection has room for more of the router's own burst, `heldBytes` on their way to it besides (outbound-room.ts). */
  hasRoom(heldBytes: number): boolean;
  /** Calls `resume` once the connection's send buffer drained. */
  whenDrained(resume: () => void): void;
  /** Backpressure from the router: stop and start reading packets. */
  pause(): void;
  resume(): void;
  /** A newer connection took the client id: this one closes (MQTT 5: 0x8E), its will is published, the session is left to the newer one. */
  takeOver(): void;
}

/** A message on its way to the client at QoS 1 or 2. */
interface Outgoing {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  /** The publication's MQTT 5 properties (sent to MQTT 5 clients). */
  mqtt: MqttProperties | undefined;
  /** When its Message Expiry Interval runs out (ms since the epoch): not sent after that. */
  expiresAt: number | undefined;
  /** The MQTT 5 Subscription Identifier of the subscription it is delivered for. */
  subscriptionIdentifier: number | undefined;
  /** Set once sent: its packet id, and whether PUBREC has come (QoS 2: PUBREL is what is in flight then). */
  packetId?: number;
  released?: boolean;
}

interface Subscription {
  filter: string;
  uri: string;
  qos: QoS;
  id: number;
  /** The MQTT 5 Subscription Identifier its SUBSCRIBE gave: every message delivered for it carries it (MQTT 5 3.3.4). */
  identifier: number | undefined;
  /** MQTT 5 Retain As Published: live messages keep the RETAIN flag they were published with (else it is 0). */
  retainAsPublished: boolean;
  /** MQTT 5 No Local: the client's own publications are not delivered to it (OwnPublications). */
  noLocal: boolean;
  /** The filter starts with "#" or "+": the server's and the router's own topics are not delivered to it (topics.ts). */
  hidesServerTopics: boolean;
  /** Events held until SUBACKs not yet written, one group per SUBSCRIBE the router answered, oldest first (none: undefined). */
  held: HeldUntilSuback[] | undefined;
}

/**
 * The events of one subscription that came after the router answered one SUBSCRIBE of its filter
 * (that SUBSCRIBE's retained events first) and before the next: held until that SUBSCRIBE's SUBACK
 * is written, so that the SUBACK goes first. A filter subscribed twice before the first SUBACK gets
 * SUBACK, its retained events, SUBACK, its retained events again, as mosquitto sends them.
 */
export interface HeldUntilSuback {
  readonly subscription: Subscription;
  readonly events: { event: Event; uri: string; payload: Uint8Array }[];
  /** Their payload bytes (counted in ClientSession.heldBytes too). */
  bytes: number;
}

export interface ClientSessionLimits extends NoLocalLimits {
  maxInflight: number;
  maxInflightBytes: number;
  maxQueuedMessages: number;
  maxQueuedBytes: number;
  maxSubscriptions: number;
  /** Events waiting on an encoder (and those behind them) for this client. */
  maxCodecCallsPerConnection: number;
  /** The connection's slow-consumer limit: events held until a SUBACK count as on their way to it (half of it at most). */
  maxBufferedBytes: number;
}

export interface ClientSessionCounters {
  /** `limit`: "client" (its max_queued_messages, max_queued_bytes) or "transport" (max_total_queued_bytes). */
  queueDropped: { inc(labels: { limit: 'client' | 'transport' }): void };
  expired: { inc(): void };
  subscriptionsRefused: { inc(by?: number): void };
  delivered: { inc(): void };
  /** Events (and their estimated bytes) waiting in the clients' No Local holds: more, or fewer. */
  noLocalHeld: { add(events: number, bytes: number): void };
  /** Events that went on undecided from a full No Local hold. */
  noLocalOverflows: { inc(): void };
  /** Payload bytes held until SUBACKs: more, or fewer. */
  subackHeldBytes: { add(bytes: number): void };
  /** Times live events held until SUBACKs passed half of max_buffered_bytes and all went ahead of them. */
  subackHoldOverflows: { inc(): void };
}

/** A connection's will (its CONNECT's last will), mapped to a WAMP publication. */
export interface WillMessage {
  uri: string;
  payload: WampPayload;
  retain: boolean;
  /** Its QoS and MQTT 5 properties, carried like a PUBLISH's. */
  properties: MqttProperties;
  /** MQTT 5 Will Delay Interval, seconds (0: at once). */
  delaySeconds: number;
  /** Gives its bytes back to the transport's will budget (max_total_will_bytes) once it is published or dropped; later calls do nothing. */
  release(): void;
}

/** The router's answer to a publication from the client: MQTT's success code, or its refusal's reason code and text. */
export interface PublishAnswer {
  code: number;
  text?: string;
}

/** What a SUBSCRIBE or UNSUBSCRIBE gets: a code per filter, and why any were refused (MQTT 5 reason string). */
export interface FilterAnswers {
  codes: number[];
  refusals: string[];
}

/** A SUBSCRIBE's answers, and the events to let go once its SUBACK is written (releaseHeld). */
export interface SubscribeAnswers extends FilterAnswers {
  held: HeldUntilSuback[];
}

/**
 * What a session holds before its first QoS 1/2 message: one empty map and set shared by every
 * session (most MQTT devices never have one in flight), replaced by its own at the first write.
 * Only read through these references, never written.
 */
const noneInFlight: ReadonlyMap<number, Outgoing> = new Map();
const noneAwaitingRelease: ReadonlyMap<number, Promise<PublishAnswer>> = new Map();

/** A QoS 2 message's payload once PUBREC came: the client has it, and only PUBREL is ever resent. */
const released = new Uint8Array(0);

/**
 * The MQTT session of one client id: its router session, its subscriptions, and the QoS 1/2
 * messages queued for it and in flight. It outlives a connection when the client asked for a
 * persistent session: the router session stays in the realm, subscribed, and what arrives while
 * the client is away waits in a bounded queue (the oldest is dropped past the limit, counted and
 * logged) until the client comes back.
 */
export class ClientSession implements RouterSessionHandlers, OutboundRoom {
  private link: ClientLink | undefined;
  private readonly filters = new Map<string, Subscription>();
  private readonly byId = new Map<number, Subscription>();
  private readonly queue: Outgoing[] = [];
  /** Payload bytes in `queue` (an event's bytes may be shared with other clients: counted for each). */
  private queuedBytes = 0;
  private inflight: ReadonlyMap<number, Outgoing> = noneInFlight;
  /** Payload bytes in `inflight` (a QoS 2 message's are let go at PUBREC: only PUBREL is resent after it). */
  private inflightBytes = 0;
  /** One warning per 10 s at most: a queue stays full for as long as its client is away (made at the first drop). */
  private queueFullWarnings: WarningThrottle | undefined;
  private nextPacketId = 1;
  /** QoS 2 publications from the client handed to the router and waiting for PUBREL, by id: the router's answer (a resend gets it too). */
  private awaitingRelease: ReadonlyMap<number, Promise<PublishAnswer>> = noneAwaitingRelease;
  /** The client's own limit on our in-flight messages (MQTT 5 Receive Maximum). */
  private sendQuota: number;
  private expiry: NodeJS.Timeout | undefined;
  /** A will waiting out its delay: sent when it passes or the session ends, dropped if a connection takes the session back first. */
  private pendingWill: { will: WillMessage; timer: NodeJS.Timeout } | undefined;
  /** The last will publication, while the router has not answered it: the router session leaves only after it. */
  private willSent: Promise<void> | undefined;
  private ended = false;
  /** Payload bytes of every subscription's events held until its SUBACK: they count as on their way to the connection. */
  private heldBytes = 0;
  /** Events waiting on an encoder, and those that came after them (made at the first encode). */
  private encodes: InOrder | undefined;
  /** The router's paced burst waiting for room (Peer.whenRoom), and whether the connection's drain is awaited for it. */
  private roomWaiters: (() => void)[] = [];
  private drainAwaited = false;
  /** The client's publications with the router, for No Local: events of its own are not sent back on such subscriptions. */
  private readonly ownPublications: OwnPublications<{ envelope: Envelope; event: Event }>;
  /** One warning per 10 s at most while events held for SUBACKs go ahead of them (made at the first). */
  private heldEarlyWarnings: WarningThrottle | undefined;
  /** One warning per 10 s at most for SUBSCRIBEs naming more than max_subscriptions filters (made at the first). */
  private oversizedSubscribes: WarningThrottle | undefined;
  /** One warning per 10 s at most for filters refused because the client holds max_subscriptions already (made at the first). */
  private fullSubscriptions: WarningThrottle | undefined;
  /** One warning per 10 s at most while the No Local hold overflows (made at the first overflow). */
  private noLocalWarnings: WarningThrottle | undefined;
  /** The door (service) that last served this session: it ends the session when it closes. */
  owner: object | undefined;

  constructor(
    readonly clientId: string,
    readonly router: MqttRouterSession,
    readonly identity: JoinedIdentity,
    private readonly mapping: PayloadMapping,
    /** A dynamic format's encoder calls. */
    private readonly codecs: DynamicCodecs,
    private readonly limits: ClientSessionLimits,
    /** The payloads every session of the transport holds (max_total_queued_bytes). */
    private readonly payloads: SharedPayloads,
    private readonly counters: ClientSessionCounters,
    /** Bound with the client id (clipped: the client chose it), which every line names. */
    private readonly log: Logger,
    /** Where the session is known by its client id: told when it ends (an object, not a closure per session). */
    private readonly registry: { remove(session: ClientSession): void },
  ) {
    this.sendQuota = limits.maxInflight;
    this.ownPublications = new OwnPublications(({ envelope, event }) => this.decided(envelope, event),
      ({ event }) => payloadBytes([event.args, event.kwargs, event.payload], limits.maxNoLocalHeldBytes),
      limits, { held: (events, bytes) => counters.noLocalHeld.add(events, bytes), overflowed: (events, bytes) => this.countNoLocalOverflow(events, bytes) });
    // The session itself is the router session's handlers and room: no closures per client.
    router.listen(this, this);
  }

  /** RouterSessionHandlers: killed through the meta API, or the router shuts down: the client cannot go on without it. */
  routerEnded(reason: string): void {
    this.log.info({ reason }, 'the router ended an MQTT client\'s session');
    this.link?.disconnect(Reason.administrativeAction, `the router ended the session: ${reason}`);
    this.end();
  }

  get connected(): boolean {
    return this.link !== undefined;
  }

  get queued(): number {
    return this.queue.length;
  }

  /**
   * Peer.hasRoom for the router's own burst (retained events on SUBSCRIBE): the connection's send
   * buffer, with what is held until SUBACK, under half of max_buffered_bytes, and the QoS 1/2 queue
   * under half its limits, so the burst neither closes a client that reads nor pushes the oldest
   * out of its queue. Without a connection (a persistent session whose client is away) the usual
   * queue rules decide, as for live events.
   */
  hasRoom(): boolean {
    // Events waiting on an encoder take room too: a retained burst on a dynamic topic goes at the encoder's pace.
    if (!hasRoom(this.encodes?.size ?? 0, this.limits.maxCodecCallsPerConnection)) return false;
    if (!this.link?.open) return true;
    return this.link.hasRoom(this.heldBytes)
      && hasRoom(this.queuedBytes, this.limits.maxQueuedBytes) && hasRoom(this.queue.length, this.limits.maxQueuedMessages);
  }

  /** Peer.whenRoom: `resume` runs once there is room again (socket drained, SUBACK released what was held, the queue went out, or the client left). */
  whenRoom(resume: () => void): void {
    this.roomWaiters.push(resume);
    this.wakeRoomWaiters();
  }

  private wakeRoomWaiters(): void {
    if (this.roomWaiters.length === 0) return;
    if (this.hasRoom()) {
      const waiters = this.roomWaiters;
      this.roomWaiters = [];
      // Not from inside a write or an acknowledgement: the burst goes on in its own turn.
      queueMicrotask(() => {
        for (const resume of waiters) resume();
      });
      return;
    }
    const link = this.link;
    // Else the encoder is what the burst waits for: each encoded event wakes it.
    if (link?.open && !this.drainAwaited && !link.hasRoom(0)) {
      this.drainAwaited = true;
      link.whenDrained(() => {
        this.drainAwaited = false;
        this.wakeRoomWaiters();
      });
    }
  }

  /** A newer connection claims this client id: the current connection, if any, is closed. */
  takeOver(): void {
    if (this.link?.open) this.link.takeOver();
  }

  /** A connection takes this session: what was in flight is sent again (DUP), then what was queued. */
  bind(link: ClientLink, clientReceiveMaximum: number | undefined): void {
    clearTimeout(this.expiry);
    this.expiry = undefined;
    this.dropPendingWill();
    this.link = link;
    this.router.readFrom(link);
    this.sendQuota = Math.min(this.limits.maxInflight, clientReceiveMaximum ?? this.limits.maxInflight);
    for (const [packetId, message] of this.inflight) {
      if (message.released) link.write({ cmd: 'pubrel', messageId: packetId });
      else link.write(this.publishPacket(message, packetId, true));
    }
    this.pump();
    this.drainAwaited = false; // a drain awaited on the previous connection never comes
    this.wakeRoomWaiters();
  }

  /** The connection is gone; the session waits `expirySeconds` for the client, or ends now (0). */
  unbind(link: ClientLink, expirySeconds: number): void {
    if (this.link !== link) return; // already taken over by a newer connection
    this.link = undefined;
    this.router.readFrom(undefined);
    this.wakeRoomWaiters();
    if (expirySeconds <= 0) return this.end();
    this.expiry = setTimeout(() => {
      this.log.info({ expirySeconds }, 'persistent MQTT session expired');
      this.end();
    }, expirySeconds * 1000);
    this.expiry.unref();
  }

  /**
   * A connection ended without the client's DISCONNECT: its will is published after its delay,
   * at once if the session ends first, and not at all if a connection takes the session back in time.
   */
  connectionLost(will: WillMessage): void {
    this.dropPendingWill();
    if (will.delaySeconds <= 0) return this.publishWill(will);
    const timer = setTimeout(() => {
      this.pendingWill = undefined;
      this.publishWill(will);
    }, will.delaySeconds * 1000);
    timer.unref();
    this.pendingWill = { will, timer };
  }

  /** A will waiting out its delay is not sent after all: a connection took the session back, or a newer will replaces it. */
  private dropPendingWill(): void {
    this.takePendingWill()?.release();
  }

  private takePendingWill(): WillMessage | undefined {
    const pending = this.pendingWill;
    clearTimeout(pending?.timer);
    this.pendingWill = undefined;
    return pending?.will;
  }

  private publishWill(will: WillMessage): void {
    const sent = this.publish(will.uri, will.payload, will.retain, will.properties).then(
      () => this.log.info({ uri: will.uri }, 'MQTT will published'),
      (error: unknown) => this.log.warn({ uri: will.uri, err: (error as Error).message }, 'MQTT will not published'),
    ).finally(() => {
      will.release();
      if (this.willSent === sent) this.willSent = undefined;
    });
    this.willSent = sent;
  }

  /** The session is over: a pending will goes out, then its router session leaves the realm; what waited for the client is dropped. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.expiry);
    const pending = this.takePendingWill();
    if (pending) this.publishWill(pending);
    if (this.queue.length + this.inflight.size > 0) {
      this.log.info({ queued: this.queue.length, inflight: this.inflight.size }, 'MQTT session ended with undelivered messages');
    }
    for (const message of this.queue) this.payloads.give(message.payload);
    for (const message of this.inflight.values()) this.payloads.give(message.payload);
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.inflight = noneInFlight;
    this.inflightBytes = 0;
    for (const subscription of this.filters.values()) this.letGoHeld(subscription);
    this.ownPublications.drop();
    if (this.willSent) void this.willSent.then(() => this.router.leave());
    else this.router.leave();
    this.registry.remove(this);
  }

  // ---- from the client ----

  /** A publication of the client (PUBLISH, will) to the router: resolves to its publication id, rejects with the router's refusal. */
  publish(uri: string, payload: WampPayload, retain: boolean, mqtt: MqttProperties, bytes = 0): Promise<number> {
    this.ownPublications.sent();
    return this.router.publish(uri, payload, retain, mqtt, bytes, (publication) => this.ownPublications.answered(publication));
  }

  /** SUBSCRIBE: one answer code per filter, in order (granted QoS or a failure), and why any failed; `identifier`: its Subscription Identifier. */
  async subscribe(subscriptions: ISubscription[], identifier?: number): Promise<SubscribeAnswers> {
    const refusals: string[] = [];
    const held: HeldUntilSuback[] = [];
    // MQTT 3.1.1 has one failure code.
    const code = (reason: number): number => (this.link?.version === 5 ? reason : Reason.unspecified);
    const failure = (reason: number, why: string): number => {
      refusals.push(why);
      return code(reason);
    };
    // A client holds max_subscriptions filters at most, so a SUBSCRIBE naming more is served up to
    // that many: each repeat of a filter would ask the router again and hold events until SUBACK.
    const { maxSubscriptions } = this.limits;
    const beyond = subscriptions.length - maxSubscriptions;
    if (beyond > 0) {
      this.counters.subscriptionsRefused.inc(beyond);
      const warned = (this.oversizedSubscribes ??= new WarningThrottle()).record(performance.now());
      if (warned !== undefined) {
        this.log.warn({ filters: subscriptions.length, limit: maxSubscriptions, packets: warned },
          'MQTT SUBSCRIBE names more filters than max_subscriptions: the rest refused (further ones are counted, and warned at most every 10 s)');
      }
      refusals.push(`${beyond} filters past the first ${maxSubscriptions}: a SUBSCRIBE names at most max_subscriptions (${maxSubscriptions})`);
    }
    const answers = subscriptions.map(async (request, index): Promise<number> => {
      if (index >= maxSubscriptions) return code(Reason.quotaExceeded);
      const qos = Math.min(request.qos, 2) as QoS;
      const existing = this.filters.get(request.topic);
      if (existing) {
        // The new subscription replaces the old (MQTT 5 3.8.4): its identifier too, or none.
        existing.qos = qos;
        existing.identifier = identifier;
        existing.retainAsPublished = request.rap === true;
        existing.noLocal = request.nl === true;
        if ((request.rh ?? 0) === 0) await this.resendRetained(existing, held);
        return qos;
      }
      if (this.filters.size >= this.limits.maxSubscriptions) {
        this.counters.subscriptionsRefused.inc();
        const warned = (this.fullSubscriptions ??= new WarningThrottle()).record(performance.now());
        if (warned !== undefined) {
          this.log.warn({ filter: request.topic, limit: this.limits.maxSubscriptions, refused: warned },
            'MQTT subscription refused: max_subscriptions reached (further ones are counted, and warned at most every 10 s)');
        }
        return failure(Reason.quotaExceeded, `${quoted(request.topic)}: max_subscriptions (${this.limits.maxSubscriptions}) reached`);
      }
      if (request.topic.startsWith(sharedSubscriptionPrefix)) {
        this.counters.subscriptionsRefused.inc();
        return failure(Reason.sharedSubscriptionsNotSupported, `${quoted(request.topic)}: shared subscriptions are not offered`);
      }
      let mapped;
      try {
        mapped = topicFilterToSubscription(request.topic);
      } catch (error) {
        if (!(error instanceof TopicRefusal)) throw error;
        this.counters.subscriptionsRefused.inc();
        this.log.info({ err: error.message }, 'MQTT topic filter cannot map to WAMP');
        return failure(Reason.topicFilterInvalid, error.message);
      }
      const subscription: Subscription = {
        filter: request.topic, uri: mapped.uri, qos, id: 0, identifier, retainAsPublished: request.rap === true, noLocal: request.nl === true, hidesServerTopics: startsWithWildcard(request.topic), held: undefined,
      };
      this.filters.set(request.topic, subscription); // counted against the limit while the router answers
      try {
        await this.router.subscribe(mapped.uri, mapped.match, request.rh !== 2, (id) => {
          subscription.id = id;
          this.byId.set(id, subscription);
          this.holdUntilSuback(subscription, held);
        });
        return qos;
      } catch (error) {
        this.filters.delete(request.topic);
        if (!(error instanceof RouterRefusal)) throw error;
        this.counters.subscriptionsRefused.inc();
        this.log.info({ filter: request.topic, uri: error.uri, err: error.message }, 'MQTT subscription refused by the router');
        return failure(reasonForRouterError(error.uri, 'subscribe'), `${quoted(request.topic)}: ${error.message}`);
      }
    });
    return { codes: await Promise.all(answers), refusals, held };
  }

  /** From the router's answer to a SUBSCRIBE on: the subscription's events wait for that SUBSCRIBE's SUBACK. */
  private holdUntilSuback(subscription: Subscription, held: HeldUntilSuback[]): void {
    const group: HeldUntilSuback = { subscription, events: [], bytes: 0 };
    (subscription.held ??= []).push(group);
    held.push(group);
  }

  /**
   * A SUBSCRIBE repeating a filter the client holds replaces the subscription, and its retained
   * messages are sent again (MQTT 3.1.1 3.8.4; MQTT 5 Retain Handling 0): the router is asked
   * for them with a SUBSCRIBE of the same topic, which keeps the subscription it has. Live events
   * wait behind SUBACK with them, in order.
   */
  private async resendRetained(subscription: Subscription, held: HeldUntilSuback[]): Promise<void> {
    const { match } = topicFilterToSubscription(subscription.filter);
    try {
      await this.router.subscribe(subscription.uri, match, true, () => this.holdUntilSuback(subscription, held));
    } catch (error) {
      if (!(error instanceof RouterRefusal)) throw error;
      this.log.info({ filter: subscription.filter, uri: error.uri, err: error.message }, 'MQTT retained messages not sent again: the router refused');
    }
  }

  /** After a SUBACK went out: the events held back for it (SubscribeAnswers.held) are sent. */
  releaseHeld(held: HeldUntilSuback[]): void {
    for (const group of held) {
      const { subscription } = group;
      const index = subscription.held?.indexOf(group) ?? -1;
      if (index === -1) continue; // the subscription is gone
      subscription.held!.splice(index, 1);
      if (subscription.held!.length === 0) subscription.held = undefined;
      this.changeHeld(-group.bytes);
      for (const { event, uri, payload } of group.events) this.send(subscription, event, uri, payload);
    }
    this.wakeRoomWaiters();
  }

  /** The subscription is gone: what it held is dropped. */
  private letGoHeld(subscription: Subscription): void {
    for (const group of subscription.held ?? []) this.changeHeld(-group.bytes);
    subscription.held = undefined;
  }

  private changeHeld(bytes: number): void {
    this.heldBytes += bytes;
    this.counters.subackHeldBytes.add(bytes);
  }

  /**
   * Live events past half of max_buffered_bytes held until SUBACKs (a SUBSCRIBE whose other
   * filters wait on a slow authorizer): everything held goes now, ahead of its SUBACK, as MQTT
   * allows (3.8.4). Half, so that a client that reads takes it whole, and the connection's
   * slow-consumer limit then decides, as for any burst; the retained events paced in behind
   * SUBACK stop at that half too (hasRoom), so they alone never overflow.
   */
  private sendHeldEarly(): void {
    this.counters.subackHoldOverflows.inc();
    const warned = (this.heldEarlyWarnings ??= new WarningThrottle()).record(performance.now());
    if (warned !== undefined) {
      this.log.warn({ heldBytes: this.heldBytes, limit: this.limits.maxBufferedBytes / 2, overflows: warned },
        'MQTT events held for a SUBACK passed half of max_buffered_bytes: sent ahead of it (further ones are counted, and warned at most every 10 s)');
    }
    for (const subscription of this.filters.values()) if (subscription.held) this.releaseHeld([...subscription.held]);
  }

  /** UNSUBSCRIBE: one answer per filter (MQTT 5 reason codes; MQTT 3.1.1 ignores them). */
  async unsubscribe(filters: string[]): Promise<FilterAnswers> {
    const refusals: string[] = [];
    const codes = await Promise.all(filters.map(async (filter): Promise<number> => {
      const subscription = this.filters.get(filter);
      if (!subscription) return Reason.noSubscriptionExisted;
      this.filters.delete(filter);
      this.byId.delete(subscription.id);
      this.letGoHeld(subscription);
      try {
        await this.router.unsubscribe(subscription.id);
        return Reason.success;
      } catch (error) {
        if (!(error instanceof RouterRefusal)) throw error;
        refusals.push(`"${filter}": ${error.message}`);
        return Reason.unspecified;
      }
    }));
    return { codes, refusals };
  }

  /** This session's own in-flight map, made at the first QoS 1/2 message. */
  private ownInflight(): Map<number, Outgoing> {
    if (this.inflight === noneInFlight) this.inflight = new Map();
    return this.inflight as Map<number, Outgoing>;
  }

  /** A QoS 2 publication from the client handed to the router: its PUBREL is awaited (a resend gets `answer`, and is not published again). */
  awaitRelease(packetId: number, answer: Promise<PublishAnswer>): void {
    if (this.awaitingRelease === noneAwaitingRelease) this.awaitingRelease = new Map();
    (this.awaitingRelease as Map<number, Promise<PublishAnswer>>).set(packetId, answer);
  }

  /** The ids of the QoS 2 publications whose PUBREL is awaited. */
  awaitedReleases(): number[] {
    return [...this.awaitingRelease.keys()];
  }

  /** The router's answer to the QoS 2 publication with this id, while its PUBREL is awaited. */
  answerTo(packetId: number): Promise<PublishAnswer> | undefined {
    return this.awaitingRelease.get(packetId);
  }

  /** PUBREL, or a refusal that ends the flow: whether the id was awaited. */
  released(packetId: number): boolean {
    return this.awaitingRelease.size > 0 && (this.awaitingRelease as Map<number, Promise<PublishAnswer>>).delete(packetId);
  }

  puback(packetId: number): void {
    const message = this.inflight.get(packetId);
    if (message?.qos !== 1) return;
    this.settle(packetId, message);
  }

  /** PUBREC: the client has our QoS 2 message; PUBREL follows (a failure code ends the flow, MQTT 5). */
  pubrec(packetId: number, reasonCode: number | undefined): void {
    const message = this.inflight.get(packetId);
    if (message?.qos !== 2) {
      this.link?.write({ cmd: 'pubrel', messageId: packetId, ...(this.link.version === 5 ? { reasonCode: Reason.packetIdNotFound } : {}) });
      return;
    }
    if (reasonCode !== undefined && reasonCode >= 0x80) return this.settle(packetId, message);
    message.released = true;
    this.inflightBytes -= message.payload.byteLength;
    this.payloads.give(message.payload);
    message.payload = released;
    this.link?.write({ cmd: 'pubrel', messageId: packetId });
    this.pump();
  }

  pubcomp(packetId: number): void {
    const message = this.inflight.get(packetId);
    if (message?.released !== true) return;
    this.settle(packetId, message);
  }

  /** The client acknowledged a message for good: its room in the window goes to the next. */
  private settle(packetId: number, message: Outgoing): void {
    this.ownInflight().delete(packetId);
    this.inflightBytes -= message.payload.byteLength;
    this.payloads.give(message.payload);
    this.pump();
  }

  // ---- from the router ----

  /** Drops the oldest queued messages until `bytes` more fit in max_queued_messages and max_queued_bytes (an empty queue takes anything). */
  private makeRoomFor(bytes: number): void {
    const { maxQueuedMessages, maxQueuedBytes } = this.limits;
    while (this.queue.length > 0 && (this.queue.length >= maxQueuedMessages || this.queuedBytes + bytes > maxQueuedBytes)) {
      const dropped = this.queue.shift()!;
      this.queuedBytes -= dropped.payload.byteLength;
      this.payloads.give(dropped.payload);
      this.countDrop();
    }
  }

  private countDrop(): void {
    this.counters.queueDropped.inc({ limit: 'client' });
    const dropped = (this.queueFullWarnings ??= new WarningThrottle()).record(performance.now());
    if (dropped !== undefined) {
      this.log.warn({ maxMessages: this.limits.maxQueuedMessages, maxBytes: this.limits.maxQueuedBytes, dropped },
        'MQTT client queue full: the oldest message was dropped (max_queued_messages, max_queued_bytes; further drops are counted, and warned at most every 10 s)');
    }
  }

  /** The transport's sessions together hold max_total_queued_bytes: a new message for this client is dropped. */
  private countTransportDrop(bytes: number): void {
    this.counters.queueDropped.inc({ limit: 'transport' });
    const dropped = this.payloads.refusals.record(performance.now());
    if (dropped !== undefined) {
      this.log.warn({ bytes, held: this.payloads.bytes.used, limit: this.payloads.bytes.limit, dropped },
        'MQTT messages dropped: the transport\'s clients together hold max_total_queued_bytes (dropped: since the last warning, for any client; further drops are counted, and warned at most every 10 s)');
    }
  }

  /** RouterSessionHandlers: an event for one of this client's subscriptions. */
  event(envelope: Envelope, event: Event): void {
    // An ended session may still hear events while its will goes out (it leaves the realm after): nothing more is held for it.
    if (this.ended) return;
    const subscription = this.byId.get(event.subscription);
    if (!subscription) return;
    if (subscription.noLocal && this.ownPublications.hold(event.publication, { envelope, event })) return;
    this.forward(subscription, envelope, event);
  }

  /** An event the No Local hold let go: not the client's own, or sent undecided from a full hold. */
  private decided(envelope: Envelope, event: Event): void {
    const subscription = this.ended ? undefined : this.byId.get(event.subscription);
    if (subscription) this.forward(subscription, envelope, event);
  }

  private countNoLocalOverflow(heldEvents: number, heldBytes: number): void {
    this.counters.noLocalOverflows.inc();
    const overflows = (this.noLocalWarnings ??= new WarningThrottle()).record(performance.now());
    if (overflows !== undefined) {
      this.log.warn({ heldEvents, heldBytes, maxEvents: this.limits.maxNoLocalHeld, maxBytes: this.limits.maxNoLocalHeldBytes, overflows },
        'MQTT No Local hold full while the router weighs the client\'s publication: the oldest event went on unchecked, and may be the client\'s own (max_no_local_held, max_no_local_held_bytes; further ones are counted, and warned at most every 10 s)');
    }
  }

  /** An event for `subscription` past the No Local check: mapped to MQTT and delivered. */
  private forward(subscription: Subscription, envelope: Envelope, event: Event): void {
    const uri = typeof event.details.topic === 'string' ? event.details.topic : subscription.uri;
    // MQTT's "$" rule, which keeps the meta events from "#" and "+/..." as well (topics.ts).
    if (subscription.hidesServerTopics && isServerTopic(uri)) return;
    const retained = event.details.retained === true;
    // MQTT clears a retained topic with an empty payload, kept as a retained event without
    // arguments: never delivered as a retained message (WAMP publishers clear a topic the same way).
    if (retained && carriesNothing(event)) return;
    // A passthru event's bytes are opaque to the router: no format, dynamic or static, can read them.
    const dynamic = event.payload === undefined ? this.mapping.dynamicFor(uri) : undefined;
    if (dynamic === undefined && this.encodes === undefined) return this.deliver(subscription, event, uri, this.staticPayload(envelope, event, uri));
    if ((this.encodes?.size ?? 0) >= this.limits.maxCodecCallsPerConnection) {
      this.codecs.overflow('encode', this.limits.maxCodecCallsPerConnection);
      return;
    }
    // An event without arguments is an empty payload in every format (payload-mapping.ts): no encoder is asked.
    const payload = dynamic === undefined ? Promise.resolve(this.staticPayload(envelope, event, uri))
      : carriesNothing(event) ? Promise.resolve(new Uint8Array(0))
        : this.codecs.encode(dynamic, uri, uriToTopicName(uri), event.args, event.kwargs);
    // While an encoder works, this client's later events wait their turn: none overtakes an earlier one.
    (this.encodes ??= new InOrder()).add(payload, (outcome) => {
      if (this.encodes?.size === 0) this.encodes = undefined;
      // A failed encode was counted and logged once for the event (DynamicCodecs): the event is not sent.
      if (outcome.status === 'fulfilled' && !this.ended && this.byId.get(event.subscription) === subscription) {
        this.deliver(subscription, event, uri, outcome.value);
      }
      this.wakeRoomWaiters();
    });
  }

  /**
   * The MQTT payload of an event mapped without a procedure: encoded once per envelope and format;
   * an event in Payload Passthru Mode (Autobahn's payload codecs, end-to-end encryption) as its
   * bytes, untouched, in every format.
   */
  private staticPayload(envelope: Envelope, event: Event, uri: string): Uint8Array {
    return event.payload ?? envelope.encode(this.mapping.encoderFor(uri)) as Uint8Array;
  }

  /** An event with its MQTT payload: held until a SUBACK, or sent. */
  private deliver(subscription: Subscription, event: Event, uri: string, payload: Uint8Array): void {
    const waiting = subscription.held?.at(-1);
    if (!waiting) return this.send(subscription, event, uri, payload);
    waiting.events.push({ event, uri, payload });
    waiting.bytes += payload.byteLength;
    this.changeHeld(payload.byteLength);
    // Retained events come paced by the room they leave (hasRoom): only live ones, which come as they are published, overflow.
    if (event.details.retained !== true && this.heldBytes > this.limits.maxBufferedBytes / 2) this.sendHeldEarly();
  }

  /** An event with its MQTT payload, sent, or queued by QoS. */
  private send(subscription: Subscription, event: Event, uri: string, payload: Uint8Array): void {
    const retained = event.details.retained === true;
    const mqtt = mqttPropertiesOf(event.details);
    // MQTT delivers at the lower of the publication's QoS and the subscription's; a WAMP publication that names none is QoS 0.
    const qos = Math.min(subscription.qos, mqtt?.qos ?? 0) as QoS;
    // An interval of 0 never expires (as mosquitto reads it: "expired before it was sent" helps no one). It counts
    // from the publication (an MQTT door's), else (a WAMP publisher's) from here.
    const expiresAt = stampedExpiry(mqtt) ?? (mqtt?.message_expiry ? Date.now() + mqtt.message_expiry * 1000 : undefined);
    if (expiresAt !== undefined && expiresAt <= Date.now()) return this.expired(uriToTopicName(uri));
    // A retained message sent for a new subscription has RETAIN set; a live one only through Retain As Published (MQTT 5 3.3.1.3).
    const retain = retained || (subscription.retainAsPublished && mqtt?.retain === true);
    const message: Outgoing = { topic: uriToTopicName(uri), payload, qos, retain, mqtt, expiresAt, subscriptionIdentifier: subscription.identifier };
    if (message.qos === 0) {
      // QoS 0 is not kept for a client that is away (MQTT allows either; we keep nothing that is not asked for).
      if (this.link?.write(this.publishPacket(message, undefined, false))) this.counters.delivered.inc();
      return;
    }
    if (this.limits.maxQueuedMessages === 0) {
      this.countDrop();
    } else if (!this.payloads.take(payload)) {
      this.countTransportDrop(payload.byteLength);
    } else {
      this.makeRoomFor(message.payload.byteLength);
      this.queue.push(message);
      this.queuedBytes += message.payload.byteLength;
    }
    this.pump();
  }

  revoked(id: number): void {
    const subscription = this.byId.get(id);
    if (!subscription) return;
    this.byId.delete(id);
    this.filters.delete(subscription.filter);
    this.letGoHeld(subscription);
    this.log.info({ filter: subscription.filter }, 'the router removed an MQTT subscription');
  }

  /** Sends queued messages while the client's in-flight window has room (max_inflight, its Receive Maximum, max_inflight_bytes). */
  private pump(): void {
    const link = this.link;
    if (!link?.open) return;
    while (link.open && this.inflight.size < this.sendQuota && this.queue.length > 0 && this.windowHasBytesFor(this.queue[0]!)) {
      const message = this.queue.shift()!;
      this.queuedBytes -= message.payload.byteLength;
      if (message.expiresAt !== undefined && message.expiresAt <= Date.now()) {
        this.payloads.give(message.payload);
        this.expired(message.topic);
        continue;
      }
      const packetId = this.freePacketId();
      if (!link.write(this.publishPacket(message, packetId, false))) {
        this.payloads.give(message.payload); // too large for the client: counted there
        continue;
      }
      message.packetId = packetId;
      this.ownInflight().set(packetId, message);
      this.inflightBytes += message.payload.byteLength;
      this.counters.delivered.inc();
    }
    this.wakeRoomWaiters();
  }

  /** A message whose Message Expiry Interval ran out before it could be sent (MQTT-3.3.2-5): it is not. */
  private expired(topic: string): void {
    this.counters.expired.inc();
    this.log.debug({ topic }, 'MQTT message expired (message expiry interval): not sent');
  }

  /** Whether `message` fits in max_inflight_bytes beside what is in flight; an empty window takes any message, so none waits forever. */
  private windowHasBytesFor(message: Outgoing): boolean {
    return this.inflightBytes === 0 || this.inflightBytes + message.payload.byteLength <= this.limits.maxInflightBytes;
  }

  private freePacketId(): number {
    // At most sendQuota (<= 65535) ids are taken, so a free one is found.
    while (this.inflight.has(this.nextPacketId)) this.nextPacketId = (this.nextPacketId % 65535) + 1;
    const id = this.nextPacketId;
    this.nextPacketId = (this.nextPacketId % 65535) + 1;
    return id;
  }

  private publishPacket(message: Outgoing, packetId: number | undefined, dup: boolean): IPublishPacket & Record<string, unknown> {
    // MQTT wants the expiry time left; a message already sent that is resent keeps at least a second.
    const expiry = message.expiresAt === undefined ? undefined : Math.max(1, Math.ceil((message.expiresAt - Date.now()) / 1000));
    const properties = this.link?.version === 5 ? toPacket(message.mqtt, expiry, message.subscriptionIdentifier) : undefined;
    return {
      cmd: 'publish', topic: message.topic, payload: Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength),
      qos: message.qos, retain: message.retain, dup, ...(packetId === undefined ? {} : { messageId: packetId }),
      ...(properties === undefined ? {} : { properties }),
    };
  }
}
