import { MessageType } from '../../protocol/codes.js';
import type { Envelope } from '../../protocol/envelope.js';
import { ErrorUri } from '../../protocol/errors.js';
import { IdSequence } from '../../protocol/ids.js';
import { errorText } from '../../protocol/message-text.js';
import { toWire, type Dict, type Event, type WampMessage } from '../../protocol/messages.js';
import type { MatchPolicy } from '../../protocol/uri.js';
import type { Peer, SessionLink, TransportInfo } from '../../router/peer.js';
import { DoorSession } from '../door-session.js';
import type { TicketCredential } from './sse-request.js';

/** The router refused something this session asked: ABORT at sign-in, or ERROR to a SUBSCRIBE. */
export class SseSessionRefusal extends Error {
  constructor(readonly stage: 'join' | 'subscribe', readonly uri: string, message: string) {
    super(message);
  }
}

/** Who the session is, from WELCOME. */
export interface SseIdentity {
  session: number;
  /** The realm joined: a dynamic authenticator may have chosen another than the one asked for. */
  realm: string;
  authid: string;
  authrole: string;
}

/** What the peer reports once the session is established. */
export interface SsePeerHandlers {
  /** `subscribedUri` is the URI of the subscription the event came through. */
  event(event: Event, subscribedUri: string): void;
  /** The broker took a subscription away (the meta API's remove_subscriber...). */
  revoked(subscription: number, reason: string | undefined): void;
  /** The session ended from the router's side (GOODBYE, ABORT, shutdown). */
  ended(reason: string): void;
}

interface Pending {
  topic: string;
  resolve(value: number): void;
  reject(error: Error): void;
}

/**
 * The router's view of one SSE stream: a real session that signs in and subscribes like any
 * WebSocket client, so the realm's authentication, authorization and broker rules apply as they
 * are. It speaks typed messages (no codec: the wire arrays go straight to the session), signs in
 * and ends through DoorSession (as the MQTT door), and hands every EVENT to its handlers.
 */
export class SsePeer implements Peer {
  private link: SessionLink | undefined;
  private readonly requests = new IdSequence();
  private readonly pending = new Map<number, Pending>();
  /** Subscription ID -> the URI subscribed, recorded at SUBSCRIBED, before any EVENT can come through it. */
  private readonly subscriptions = new Map<number, string>();
  private readonly doorSession = new DoorSession<SseIdentity>({
    door: 'an SSE stream',
    identityOf: (welcome) => ({
      session: welcome.session,
      realm: String(welcome.details.realm ?? ''),
      authid: String(welcome.details.authid ?? ''),
      authrole: String(welcome.details.authrole ?? ''),
    }),
    refusal: (uri, text) => new SseSessionRefusal('join', uri, text),
    leaveText: 'the stream closed',
  }, {
    deliver: (message) => this.deliver(message),
    // Whoever ended it, a SUBSCRIBE still waiting fails as shut down.
    failWaiting: (_uri, text) => this.failPending(text),
    routerEnded: (reason) => this.handlers?.ended(reason),
    detach: () => this.link?.detach(),
  });
  private handlers: SsePeerHandlers | undefined;
  /** While the session's incoming queue is full, the SUBSCRIBEs this peer makes up wait here (at most max_topics). */
  private held: WampMessage[] | undefined;

  constructor(readonly transport: TransportInfo) {}

  /** Attaches to the router (its `attach` bound to the transport's auth gate). */
  connect(attach: (peer: Peer) => SessionLink): void {
    this.link = attach(this);
  }

  /** HELLO, and the AUTHENTICATE that ticket sign-in asks for; resolves at WELCOME, rejects at ABORT. */
  join(realm: string, credential: TicketCredential | undefined): Promise<SseIdentity> {
    const details: Dict = {
      roles: { subscriber: { features: { pattern_based_subscription: true, publisher_identification: true } } },
      authmethods: credential ? ['ticket'] : ['anonymous'],
    };
    if (credential?.authid !== undefined) details.authid = credential.authid;
    return this.doorSession.join({ type: MessageType.HELLO, realm, details }, credential?.ticket);
  }

  /** SUBSCRIBE; resolves to the subscription ID, rejects with the router's ERROR. */
  subscribe(topic: string, match: MatchPolicy): Promise<number> {
    const request = this.requests.nextId();
    const options: Dict = match === 'exact' ? {} : { match };
    return new Promise<number>((resolve, reject) => {
      this.pending.set(request, { topic, resolve, reject });
      this.deliver({ type: MessageType.SUBSCRIBE, request, options, topic });
    });
  }

  /** From now on, events and the end of the session go to these handlers: set it before subscribing. */
  listen(handlers: SsePeerHandlers): void {
    this.handlers = handlers;
  }

  /** The HTTP side is gone (client disconnected, stream ended): the session leaves the realm. */
  leave(): void {
    this.doorSession.leave();
  }

  // ---- Peer: what the router sends ----

  send(envelope: Envelope): void {
    if (!this.doorSession.ended && !this.doorSession.took(envelope.message)) this.receive(envelope.message);
  }

  close(): void {
    this.doorSession.closed();
  }

  pauseReading(): void {
    this.held ??= [];
  }

  resumeReading(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const [index, message] of held.entries()) {
      this.deliver(message);
      // Paused again by one of them: the rest wait, in order, behind what the new pause holds.
      const pausedAgain = this.held as WampMessage[] | undefined;
      if (pausedAgain) {
        pausedAgain.push(...held.slice(index + 1));
        return;
      }
    }
  }

  private receive(message: WampMessage): void {
    switch (message.type) {
      case MessageType.EVENT: {
        const uri = this.subscriptions.get(message.subscription);
        if (uri !== undefined) this.handlers?.event(message, uri);
        return;
      }
      case MessageType.SUBSCRIBED: {
        const pending = this.pending.get(message.request);
        this.pending.delete(message.request);
        if (!pending) return;
        this.subscriptions.set(message.subscription, pending.topic);
        pending.resolve(message.subscription);
        return;
      }
      case MessageType.ERROR: {
        const pending = this.pending.get(message.request);
        this.pending.delete(message.request);
        const text = errorText(message);
        pending?.reject(new SseSessionRefusal('subscribe', message.error, text));
        return;
      }
      case MessageType.UNSUBSCRIBED:
        // Request 0: the broker revoked a subscription unasked (this peer never unsubscribes).
        if (message.request === 0) {
          const subscription = message.details?.subscription;
          const reason = message.details?.reason;
          if (typeof subscription === 'number') this.handlers?.revoked(subscription, typeof reason === 'string' ? reason : undefined);
        }
        return;
      default:
        return; // nothing else is addressed to a subscriber
    }
  }

  private failPending(reason: string): void {
    for (const pending of this.pending.values()) pending.reject(new SseSessionRefusal('subscribe', ErrorUri.systemShutdown, reason));
    this.pending.clear();
  }

  private deliver(message: WampMessage): void {
    if (this.held) {
      this.held.push(message);
      return;
    }
    // Made up here from the stream's query (its SUBSCRIBEs): no bytes were received for it.
    this.link?.receive(toWire(message), 0);
  }
}
