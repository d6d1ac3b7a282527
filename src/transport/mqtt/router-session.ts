import { MessageType } from '../../protocol/codes.js';
import type { Envelope } from '../../protocol/envelope.js';
import { ErrorUri } from '../../protocol/errors.js';
import { IdSequence } from '../../protocol/ids.js';
import { errorText } from '../../protocol/message-text.js';
import { toWire, type Dict, type Event, type WampMessage } from '../../protocol/messages.js';
import { mqttPropertiesKey, type MqttProperties } from '../../protocol/mqtt-properties.js';
import type { MatchPolicy } from '../../protocol/uri.js';
import type { WampPayload } from './payload-mapping.js';
import type { DoorSessionLink, Peer, TransportInfo } from '../../router/peer.js';
import { DoorSession } from '../door-session.js';

/** The router refused a request or the sign-in: its error URI and message. */
export class RouterRefusal extends Error {
  constructor(readonly uri: string, message: string) {
    super(message);
  }
}

/** Who the session is, from WELCOME. */
export interface JoinedIdentity {
  session: number;
  authid: string;
  authrole: string;
  authmethod: string;
}

/** A username and password from CONNECT, offered as WAMP-Ticket. */
export interface TicketCredential {
  authid: string;
  ticket: string;
}

/** Room for the router's own bursts (Peer.hasRoom / whenRoom), as the MQTT session of the moment judges it. */
export interface OutboundRoom {
  hasRoom(): boolean;
  whenRoom(resume: () => void): void;
}

/** What the session reports once joined. */
export interface RouterSessionHandlers {
  /** The envelope is shared with other subscribers: read it, never change it. */
  event(envelope: Envelope, event: Event): void;
  /** The broker took a subscription away (meta API remove_subscriber...). */
  revoked(subscription: number): void;
  /** The router ended the session (kill, shutdown, ABORT). */
  routerEnded(reason: string): void;
}

interface Pending {
  resolve(value: number): void;
  reject(error: RouterRefusal): void;
  /** Runs at once when the answer arrives, before anything the router sends next (a SUBSCRIBE's retained events). */
  settled?: (value: number) => void;
  /** Likewise for an ERROR answer. */
  refused?: () => void;
}

/**
 * An MQTT client's session in the realm: a router session like any other, fed typed messages
 * without a codec; its sign-in and its end go through DoorSession, as the SSE peer's. It signs in
 * through the transport's auth gate, so the realm's authentication and role rules apply unchanged;
 * every request resolves with the router's answer or rejects with its ERROR.
 */
export class MqttRouterSession implements Peer {
  private link: DoorSessionLink | undefined;
  private readonly requests = new IdSequence();
  /** Requests awaiting the router's answer; none most of the time (an idle device), so made at need and dropped when empty. */
  private pending: Map<number, Pending> | undefined;
  private readonly doorSession = new DoorSession<JoinedIdentity>({
    door: 'MQTT',
    identityOf: (welcome) => ({ session: welcome.session, authid: String(welcome.details.authid ?? ''), authrole: String(welcome.details.authrole ?? ''), authmethod: String(welcome.details.authmethod ?? '') }),
    refusal: (uri, text) => new RouterRefusal(uri, text),
    leaveText: 'the MQTT session ended',
  }, {
    deliver: (message) => this.deliver(message),
    failWaiting: (uri, text) => this.fail(new RouterRefusal(uri, text)),
    routerEnded: (reason) => this.handlers?.routerEnded(reason),
    detach: () => this.link?.detach(),
  });
  private handlers: RouterSessionHandlers | undefined;
  /** The router asked us to stop reading (its queue for this session is full); the connection of the moment obeys. */
  private paused = false;
  private reading: { pause(): void; resume(): void } | undefined;
  private room: OutboundRoom | undefined;

  constructor(readonly transport: TransportInfo) {}

  connect(attach: (peer: Peer) => DoorSessionLink): void {
    this.link = attach(this);
  }

  /**
   * HELLO (and AUTHENTICATE when asked for the ticket); resolves at WELCOME, rejects at ABORT.
   * `certificate`: the connection carries a TLS client certificate, so "tls" is offered first.
   */
  join(realm: string, credential: TicketCredential | undefined, certificate: boolean, authextra: Dict): Promise<JoinedIdentity> {
    const details: Dict = {
      roles: {
        subscriber: { features: { pattern_based_subscription: true, publisher_identification: true } },
        publisher: { features: { publisher_exclusion: true } },
      },
      authmethods: [...(certificate ? ['tls'] : []), credential ? 'ticket' : 'anonymous'],
      authextra,
    };
    if (credential) details.authid = credential.authid;
    return this.doorSession.join({ type: MessageType.HELLO, realm, details }, credential?.ticket);
  }

  /** `room` paces the retained events the router sends on SUBSCRIBE (the client session, which knows its connection). */
  listen(handlers: RouterSessionHandlers, room?: OutboundRoom): void {
    this.handlers = handlers;
    this.room = room;
  }

  /** The connection that reads for this session now (a persistent session changes connections), paused if the router wants it so. */
  readFrom(reading: { pause(): void; resume(): void } | undefined): void {
    this.reading = reading;
    if (this.paused) reading?.pause();
  }

  /** `subscribed` runs at SUBSCRIBED, before the retained events that follow it. */
  subscribe(topic: string, match: MatchPolicy, getRetained: boolean, subscribed: (subscription: number) => void): Promise<number> {
    const options: Dict = match === 'exact' ? {} : { match };
    if (getRetained) options.get_retained = true;
    return this.request((request) => ({ type: MessageType.SUBSCRIBE, request, options, topic }), subscribed);
  }

  unsubscribe(subscription: number): Promise<number> {
    return this.request((request) => ({ type: MessageType.UNSUBSCRIBE, request, subscription }));
  }

  /**
   * PUBLISH, always acknowledged: the door must know whether the router took it. Resolves to the
   * publication id. `mqtt`: the publication's QoS and MQTT 5 properties, carried to every event.
   * `bytes`: the MQTT packet's size, counted against the session's queue limits. `answered` runs
   * at once when the router answers, with the publication id (undefined: refused), before any
   * event that comes after the answer.
   */
  publish(topic: string, { args, kwargs, routing }: WampPayload, retain: boolean, mqtt: MqttProperties, bytes = 0,
    answered?: (publication: number | undefined) => void): Promise<number> {
    // The interval counts from now wherever the message waits (retained, queued, on another node): MQTT-3.3.2-6.
    const stamped = mqtt.message_expiry ? { ...mqtt, expires_at: Date.now() + mqtt.message_expiry * 1000 } : mqtt;
    const options: Dict = { ...routing, acknowledge: true, exclude_me: false, [mqttPropertiesKey]: stamped };
    if (retain) options.retain = true;
    return this.request((request) => ({ type: MessageType.PUBLISH, request, options, topic, args, ...(kwargs ? { kwargs } : {}) }), answered, bytes,
      answered && (() => answered(undefined)));
  }

  /** Why the router would refuse this session's publication to `topic` now (a will, checked at CONNECT), or undefined; nothing is published. */
  async publishRefusal(topic: string, retain: boolean): Promise<RouterRefusal | undefined> {
    const refusal = await this.link?.publishRefusal(topic, retain ? { retain: true } : {});
    return refusal && new RouterRefusal(refusal.error, refusal.text);
  }

  /** The MQTT session is over: the router session leaves the realm. */
  leave(): void {
    this.doorSession.leave();
  }

  // ---- Peer: what the router sends ----

  send(envelope: Envelope): void {
    if (this.doorSession.ended) return;
    const message = envelope.message;
    if (message.type === MessageType.EVENT) this.handlers?.event(envelope, message);
    else if (!this.doorSession.took(message)) this.receive(message);
  }

  close(): void {
    this.doorSession.closed();
  }

  pauseReading(): void {
    this.paused = true;
    this.reading?.pause();
  }

  resumeReading(): void {
    this.paused = false;
    this.reading?.resume();
  }

  hasRoom(): boolean {
    return this.room?.hasRoom() ?? true;
  }

  whenRoom(resume: () => void): void {
    if (this.room) this.room.whenRoom(resume);
    else queueMicrotask(resume);
  }

  private receive(message: WampMessage): void {
    switch (message.type) {
      case MessageType.SUBSCRIBED:
        return this.settle(message.request, message.subscription);
      case MessageType.PUBLISHED:
        return this.settle(message.request, message.publication);
      case MessageType.UNSUBSCRIBED: {
        // Request 0: the broker revoked a subscription unasked.
        if (message.request !== 0) return this.settle(message.request, 0);
        const subscription = message.details?.subscription;
        if (typeof subscription === 'number') this.handlers?.revoked(subscription);
        return;
      }
      case MessageType.ERROR: {
        const pending = this.answered(message.request);
        const text = errorText(message);
        pending?.refused?.();
        pending?.reject(new RouterRefusal(message.error, text));
        return;
      }
      default:
        return;
    }
  }

  private request(build: (request: number) => WampMessage, settled?: (value: number) => void, bytes = 0, refused?: () => void): Promise<number> {
    if (this.doorSession.ended) return Promise.reject(new RouterRefusal(ErrorUri.closeNormal, 'the session has ended'));
    const request = this.requests.nextId();
    return new Promise<number>((resolve, reject) => {
      (this.pending ??= new Map()).set(request, settled || refused ? { resolve, reject, settled, refused } : { resolve, reject });
      this.deliver(build(request), bytes);
    });
  }

  /** The request answered now, taken out of `pending`. */
  private answered(request: number): Pending | undefined {
    const pending = this.pending?.get(request);
    if (pending === undefined) return undefined;
    this.pending!.delete(request);
    if (this.pending!.size === 0) this.pending = undefined;
    return pending;
  }

  private settle(request: number, value: number): void {
    const pending = this.answered(request);
    pending?.settled?.(value);
    pending?.resolve(value);
  }

  private fail(error: RouterRefusal): void {
    const pending = this.pending;
    this.pending = undefined;
    for (const waiting of pending?.values() ?? []) waiting.reject(error);
  }

  private deliver(message: WampMessage, bytes = 0): void {
    this.link?.receive(toWire(message), bytes);
  }
}
