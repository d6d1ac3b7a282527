import type { WebSocket } from 'ws';
import { plural } from '../../protocol/plural.js';
import { InternalCallError, type InternalSession } from '../../router/internal-session.js';
import { TokenBucket } from '../../router/limits/publish-rate.js';
import type { AppConnection, PusherApp, PusherLimits } from './app.js';
import type { Member } from './channels.js';
import { memberOf, memberSizeProblem, userIdLengthProblem } from './member.js';
import { dataSize, EventDataRefusal, toPublication } from './payload.js';
import {
  channelKind, channelNameProblem, CloseCode, ErrorCode, errorFrame, frame, needsAuth, parseFrame, USER_CHANNEL_PREFIX,
  type ChannelKind, type PusherFrame,
} from './protocol.js';
import { authProblem, channelAuthText, signinText } from './signatures.js';
import { onCloseFrame } from '../ws-close-frame.js';

/** What a connection reports to its service (metrics, logs). */
export interface ConnectionObserver {
  /** A pusher:error was sent (the connection stays open). */
  refused(code: number, message: string): void;
  /** Closed with 1008: more than max_buffered_bytes waited to be written. */
  slowConsumer(bufferedBytes: number): void;
  closed(): void;
}


interface Subscription {
  kind: ChannelKind;
  /** The router's subscription, once SUBSCRIBED arrived; undefined while pending. */
  id: number | undefined;
  member?: Member;
}

/**
 * One Pusher connection: a WebSocket whose frames become the operations of one router session of
 * the app's realm, joined with the app's role (so the realm's authorization applies to every
 * subscribe and publish). Channel subscriptions are subscriptions of that session; events arrive
 * through the broker like any session's.
 */
export class PusherConnection implements AppConnection {
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly clientEvents: TokenBucket;
  private lastHeard = performance.now();
  private activityTimer: NodeJS.Timeout | undefined;
  private pinged = false;
  private ended = false;
  private slotReleased = false;
  userId: string | undefined;

  constructor(
    readonly socketId: string,
    private readonly ws: WebSocket,
    private readonly session: InternalSession,
    private readonly app: PusherApp,
    private readonly limits: PusherLimits,
    private readonly observer: ConnectionObserver,
  ) {
    this.clientEvents = new TokenBucket(limits.clientEventsPerSecond, limits.clientEventsPerSecond, performance.now());
  }

  /** Greets the client and starts serving its frames. */
  start(): void {
    this.app.add(this);
    this.ws.on('message', (data, isBinary) => this.receive(isBinary ? undefined : data.toString()));
    // The client's close frame (ws-close-frame.ts) or an error: it is leaving; its socket may linger until ws's close timeout.
    onCloseFrame(this.ws, () => this.leave());
    this.ws.on('error', () => this.leave());
    this.ws.on('close', () => this.end());
    // The router ended the session (meta API kill, shutdown): the client reconnects for a new one.
    void this.session.closed.then(() => this.terminate(CloseCode.reconnect, 'the router ended this connection\'s session'));
    this.send(frame('pusher:connection_established', { socket_id: this.socketId, activity_timeout: this.limits.activityTimeoutS }));
    this.armActivityTimer(this.limits.activityTimeoutS * 1000);
  }

  send(text: string): void {
    if (this.ended || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.limits.maxBufferedBytes) {
      this.observer.slowConsumer(this.ws.bufferedAmount);
      this.terminate(1008, `slow consumer: more than ${this.limits.maxBufferedBytes} bytes waiting to be sent`);
      return;
    }
    this.ws.send(text);
  }

  terminate(code: number, reason: string): void {
    if (this.ended) return;
    this.ws.close(code, reason);
    this.end();
  }

  private refuse(code: number, message: string): void {
    this.observer.refused(code, message);
    this.send(errorFrame(code, message));
  }

  /** `text` is undefined for a binary message. */
  private receive(text: string | undefined): void {
    this.lastHeard = performance.now();
    this.pinged = false;
    const parsed = text === undefined ? 'binary messages are not part of the Pusher protocol' : parseFrame(text);
    if (typeof parsed === 'string') return this.refuse(ErrorCode.badMessage, parsed);
    const data = typeof parsed.data === 'string' && parsed.event.startsWith('pusher:') ? parseJsonObject(parsed.data) : parsed.data;
    switch (parsed.event) {
      case 'pusher:ping':
        return this.send(frame('pusher:pong', {}));
      case 'pusher:pong':
        return;
      case 'pusher:subscribe':
        return void this.subscribe(data);
      case 'pusher:unsubscribe':
        return this.unsubscribe(data);
      case 'pusher:signin':
        return this.signin(data);
      default:
        if (parsed.event.startsWith('client-')) return void this.clientEvent(parsed);
        return this.refuse(ErrorCode.badMessage, `unknown event "${parsed.event.slice(0, 100)}": a client sends pusher:* protocol events or client-* events`);
    }
  }

  private async subscribe(data: unknown): Promise<void> {
    if (!isObject(data)) return this.refuse(ErrorCode.badMessage, 'pusher:subscribe needs data {"channel": ...}');
    const channel = data.channel;
    if (typeof channel === 'string' && channel.startsWith(USER_CHANNEL_PREFIX)) return this.subscribeUserChannel(channel);
    const nameProblem = channelNameProblem(channel);
    if (nameProblem !== undefined) return this.refuse(ErrorCode.invalidChannel, nameProblem);
    const name = channel as string;
    const existing = this.subscriptions.get(name);
    // Subscribed already (pusher-js re-subscribes after a hiccup): say so again. Still pending: it will answer.
    if (existing) return existing.id === undefined ? undefined : this.succeeded(name);
    if (this.subscriptions.size >= this.limits.maxChannelsPerConnection) {
      return this.refuse(ErrorCode.tooManyChannels, `this connection already has ${this.subscriptions.size} channels (max_channels_per_connection); unsubscribe from one first`);
    }
    const topicProblem = this.app.topicProblem(name);
    if (topicProblem !== undefined) return this.refuse(ErrorCode.invalidChannel, topicProblem);
    const kind = channelKind(name);
    let member: Member | undefined;
    if (needsAuth(kind)) {
      const channelData = kind === 'presence' ? data.channel_data : undefined;
      if (channelData !== undefined && typeof channelData !== 'string' || kind === 'presence' && channelData === undefined) return this.subscriptionError(name, 400, 'a presence channel needs "channel_data" (JSON text with user_id) signed by the app\'s auth endpoint');
      const problem = authProblem(data.auth, this.app.settings.key, this.app.settings.secret, channelAuthText(this.socketId, name, channelData as string | undefined));
      if (problem !== undefined) return this.subscriptionError(name, 401, problem, ErrorCode.unauthorized);
      if (kind === 'presence') {
        member = memberOf(parseJsonObject(channelData as string));
        if (!member) return this.subscriptionError(name, 400, '"channel_data" must be JSON text of an object with a string or number "user_id"');
        const sizeProblem = memberSizeProblem(member, this.limits);
        if (sizeProblem !== undefined) return this.subscriptionError(name, 400, sizeProblem, ErrorCode.memberTooLarge);
        if (this.refusedAsFull(name, member)) return;
      }
    }

    const subscription: Subscription = member ? { kind, id: undefined, member } : { kind, id: undefined };
    this.subscriptions.set(name, subscription);
    let id: number;
    try {
      id = await this.session.subscribe(this.app.topic(name), (args, kwargs) => this.send(this.app.eventFrame(name, args, kwargs)));
    } catch (error) {
      if (this.subscriptions.get(name) === subscription) this.subscriptions.delete(name);
      return this.subscriptionError(name, 403, `realm "${this.app.settings.realm}" refused the subscription to topic "${this.app.topic(name)}": ${describe(error)}`, ErrorCode.routerRefused);
    }
    // In a cluster the seat decides, atomically for all nodes; the node's own count is checked again
    // in the same step as the join, for members that joined while the router or the cluster answered.
    const seated = member === undefined || await this.app.seats.take(name, member.user_id, this.limits.maxPresenceMembers);
    const joins = !this.ended && this.subscriptions.get(name) === subscription // not unsubscribed or gone meanwhile
      && (member === undefined || (seated ? !this.refusedAsFull(name, member) : !this.refuseFull(name)));
    if (!joins) {
      if (member && seated) this.app.seats.give(name, member.user_id); // a refused take gave its own back
      if (this.subscriptions.get(name) === subscription) this.subscriptions.delete(name);
      this.session.unsubscribe(id).catch(() => undefined);
      return;
    }
    subscription.id = id;
    this.app.channels.join(name, this, member);
    this.succeeded(name);
  }

  /** Refuses a user who is not yet a member of a presence channel that has max_presence_members; true if it did. */
  private refusedAsFull(channel: string, member: Member): boolean {
    const channels = this.app.channels;
    const limit = this.limits.maxPresenceMembers;
    if (channels.hasMember(channel, member.user_id) || channels.memberCount(channel) < limit) return false;
    return this.refuseFull(channel);
  }

  /** Refuses a user the presence channel has no room for (here or, by its seat, in the cluster); always true. */
  private refuseFull(channel: string): true {
    const limit = this.limits.maxPresenceMembers;
    this.subscriptionError(channel, 403, `presence channel "${channel}" already has ${plural(limit, 'member')} (max_presence_members); a user joins when another leaves`, ErrorCode.presenceFull);
    return true;
  }

  private succeeded(channel: string): void {
    const data = channelKind(channel) === 'presence' ? { presence: this.app.channels.presence(channel) } : {};
    this.send(frame('pusher_internal:subscription_succeeded', data, channel));
  }

  /** Answers what pusher-js asks after pusher:signin; events to users are not supported (docs/pusher.md). */
  private subscribeUserChannel(channel: string): void {
    if (this.userId === undefined || channel !== USER_CHANNEL_PREFIX + this.userId) {
      return this.subscriptionError(channel, 403, `only a connection signed in (pusher:signin) as user "${channel.slice(USER_CHANNEL_PREFIX.length, 100)}" may subscribe to ${channel.slice(0, 120)}`, ErrorCode.unauthorized);
    }
    this.send(frame('pusher_internal:subscription_succeeded', {}, channel));
  }

  /**
   * pusher-js and Laravel Echo report this on the channel (Echo's `.error()` callback); the code
   * says which refusal it was.
   */
  private subscriptionError(channel: string, status: number, message: string, code: number = ErrorCode.badMessage): void {
    this.observer.refused(code, message);
    this.send(frame('pusher:subscription_error', { type: status === 401 ? 'AuthError' : 'SubscriptionError', error: message, status, code }, channel));
  }

  private unsubscribe(data: unknown): void {
    if (!isObject(data) || typeof data.channel !== 'string') return this.refuse(ErrorCode.badMessage, 'pusher:unsubscribe needs data {"channel": ...}');
    this.leaveChannel(data.channel);
  }

  private leaveChannel(channel: string): void {
    const subscription = this.subscriptions.get(channel);
    if (!subscription) return;
    this.subscriptions.delete(channel);
    if (subscription.id === undefined) return; // still pending: subscribe() drops it when the router answers
    if (!this.ended) this.session.unsubscribe(subscription.id).catch(() => undefined);
    this.app.channels.leave(channel, this);
    if (subscription.member) this.app.seats.give(channel, subscription.member.user_id);
  }

  private signin(data: unknown): void {
    if (!isObject(data) || typeof data.user_data !== 'string') return this.refuse(ErrorCode.badMessage, 'pusher:signin needs data {"auth": ..., "user_data": JSON text}');
    const problem = authProblem(data.auth, this.app.settings.key, this.app.settings.secret, signinText(this.socketId, data.user_data));
    if (problem !== undefined) return this.refuse(ErrorCode.unauthorized, `sign-in refused: ${problem}`);
    const user = parseJsonObject(data.user_data);
    const id = isObject(user) ? user.id : undefined;
    if (typeof id !== 'string' || id === '') return this.refuse(ErrorCode.badMessage, 'sign-in refused: "user_data" must be JSON text of an object with a non-empty string "id"');
    const idProblem = userIdLengthProblem('id', id, this.limits);
    if (idProblem !== undefined) return this.refuse(ErrorCode.memberTooLarge, `sign-in refused: ${idProblem}`);
    this.userId = id;
    this.send(frame('pusher:signin_success', { user_data: data.user_data }));
  }

  private async clientEvent(message: PusherFrame): Promise<void> {
    const channel = message.channel;
    const what = `client event "${message.event.slice(0, 100)}"`;
    if (!this.app.settings.clientEvents) return this.refuse(ErrorCode.clientEventRefused, `${what} refused: client events are not enabled for this app (client_events)`);
    if (channel === undefined) return this.refuse(ErrorCode.badMessage, `${what} has no "channel"`);
    const subscription = this.subscriptions.get(channel);
    if (!subscription || subscription.id === undefined) return this.refuse(ErrorCode.clientEventRefused, `${what} refused: this connection is not subscribed to "${channel.slice(0, 200)}"`);
    if (subscription.kind !== 'private' && subscription.kind !== 'presence') {
      return this.refuse(ErrorCode.clientEventRefused, `${what} refused: client events are allowed on private- and presence- channels only`);
    }
    if (message.event.length > 200) return this.refuse(ErrorCode.badMessage, `${what} refused: event names have at most 200 characters`);
    const size = dataSize(message.data ?? '');
    if (size > this.limits.maxEventSize) return this.refuse(ErrorCode.eventTooLarge, `${what} refused: its data has ${size} bytes, more than max_event_size (${this.limits.maxEventSize})`);
    if (!this.clientEvents.take(performance.now())) {
      return this.refuse(ErrorCode.rateLimited, `${what} refused: more than ${this.limits.clientEventsPerSecond} client events per second on this connection`);
    }
    let publication;
    try {
      publication = toPublication(message.event, message.data ?? '', subscription.kind, this.limits.maxNestingDepth);
    } catch (error) {
      if (error instanceof EventDataRefusal) return this.refuse(ErrorCode.badMessage, `${what} refused: ${error.message}`);
      throw error;
    }
    const { args, kwargs } = publication;
    if (subscription.member) kwargs.user_id = subscription.member.user_id;
    try {
      // Acknowledged, so that a refusal of the realm reaches the client; the publisher is excluded (never echoed).
      await this.session.publishAcknowledged(this.app.topic(channel), args, kwargs);
    } catch (error) {
      return this.refuse(ErrorCode.routerRefused, `${what} refused by realm "${this.app.settings.realm}": ${describe(error)}`);
    }
    const data = typeof message.data === 'string' ? message.data : JSON.stringify(message.data ?? '');
    this.app.webhooks.emit({
      name: 'client_event', channel, event: message.event, data, socket_id: this.socketId,
      ...(subscription.member ? { user_id: subscription.member.user_id } : {}),
    });
  }

  /** Silence past the activity timeout gets our ping; no answer within pongTimeoutMs closes with 4201. */
  private armActivityTimer(ms: number): void {
    this.activityTimer = setTimeout(() => {
      if (this.ended) return;
      const silentMs = performance.now() - this.lastHeard;
      const timeoutMs = this.limits.activityTimeoutS * 1000;
      if (this.pinged) {
        if (silentMs >= this.limits.pongTimeoutMs) return this.terminate(CloseCode.pongNotReceived, 'no pong received within the activity timeout');
        return this.armActivityTimer(this.limits.pongTimeoutMs - silentMs);
      }
      if (silentMs < timeoutMs) return this.armActivityTimer(timeoutMs - silentMs);
      this.pinged = true;
      this.lastHeard = performance.now();
      this.send(frame('pusher:ping', {}));
      this.armActivityTimer(this.limits.pongTimeoutMs);
    }, Math.max(1, ms));
    this.activityTimer.unref();
  }

  /** The client is leaving or gone: leave every channel (members leave, webhooks fire) and the realm. */
  private leave(): void {
    if (this.ended) return;
    this.ended = true; // from here on, leaving a channel does not unsubscribe: the session leaves as a whole
    for (const channel of [...this.subscriptions.keys()]) this.leaveChannel(channel);
    clearTimeout(this.activityTimer);
    this.app.remove(this);
    this.session.leave();
  }

  /** The connection is over (closed by us, or its socket gone): its slot too. */
  private end(): void {
    this.leave();
    if (this.slotReleased) return;
    this.slotReleased = true;
    this.observer.closed();
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJsonObject(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  if (error instanceof InternalCallError) return error.message;
  return (error as Error).message;
}
