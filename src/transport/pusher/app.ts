import type { PusherAppConfig, PusherServiceConfig } from '../../config/model.js';
import type { Args, Dict } from '../../protocol/messages.js';
import type { InternalSession } from '../../router/internal-session.js';
import type { TransportInfo } from '../../router/peer.js';
import { uriProblem } from '../../protocol/uri.js';
import { AppChannels } from './app-channels.js';
import { AppCluster, type ClusterLink } from './app-cluster.js';
import { PresenceSeats } from './presence-seats.js';
import { toPusherEvent } from './payload.js';
import { channelKind, CloseCode, frame } from './protocol.js';
import type { WebhookSink } from './webhook-sink.js';

/** One configured Pusher app, as the transport uses it: the model's app with its realm's URI rule. */
export type PusherAppSettings = Omit<PusherAppConfig, 'webhooks'> & {
  /** The realm's URI rule is "strict" (lower-case letters, digits, "_"). */
  strictUris: boolean;
};

/** Limits of a pusher transport (every app of it): the model's settings without the apps, and the router's nesting limit. */
export type PusherLimits = Omit<PusherServiceConfig, 'apps'> & { maxNestingDepth: number };

/** The authid of a Pusher connection's session: what the HTTP API's socket_id excludes, on any node. */
export function connectionAuthid(socketId: string): string {
  return `pusher:${socketId}`;
}

const noWebhooks: WebhookSink = { emit: () => undefined };

/** How the transport joins the realm: one session per connection, one for the HTTP API. */
export interface SessionSource {
  /** A session for one Pusher connection: the app's role, not trusted, held to the realm's limits. */
  connection(app: PusherAppSettings, socketId: string, transport: TransportInfo): Promise<InternalSession>;
  /** The session that publishes the HTTP API's events (joined again if it ever closes). */
  api(app: PusherAppSettings): Promise<InternalSession>;
}

/** The parts of a live connection the app needs to reach (termination). */
export interface AppConnection {
  readonly socketId: string;
  readonly userId: string | undefined;
  terminate(code: number, reason: string): void;
}

/**
 * The live state of one app on this node: its channels and members (cluster-wide when the node
 * is part of a cluster) and its connections by socket id, with the helpers both the WebSocket
 * side and the HTTP API use.
 */
export class PusherApp {
  readonly channels: AppChannels;
  /** Presence members' seats in the cluster, for max_presence_members. */
  readonly seats: PresenceSeats;
  /** Where webhook events go: straight to the app's outbox, or in a cluster through the webhook node. */
  readonly webhooks: WebhookSink;
  private readonly cluster: AppCluster | undefined;
  private readonly connections = new Map<string, AppConnection>();
  /**
   * The frame of each event, by its args array: the broker hands every subscriber of a topic the
   * same message, so the frame is written once per publication, not once per connection. Within
   * one app a topic is one channel (the prefix is fixed), so the args identify the frame.
   */
  private readonly frames = new WeakMap<Args, string>();

  /**
   * `webhooks` undefined: this node does not run the app's webhooks. `cluster` undefined: a node
   * on its own; else the backplane and the id of the app's transport.
   */
  constructor(readonly settings: PusherAppSettings, webhooks: WebhookSink | undefined, cluster?: { link: ClusterLink; transportId: string }) {
    this.cluster = cluster && new AppCluster(cluster.transportId, settings.id, cluster.link, webhooks);
    this.webhooks = this.cluster ?? webhooks ?? noWebhooks;
    this.channels = new AppChannels(this.webhooks, this.cluster);
    this.seats = new PresenceSeats(this.cluster);
    this.cluster?.start(this);
  }

  /** The app stops on this node (its transport closes). */
  stop(): void {
    this.cluster?.stop();
  }

  /** The WAMP topic of a channel. */
  topic(channel: string): string {
    return this.settings.topicPrefix + channel;
  }

  /** Why the channel's topic is not a URI the realm accepts, or undefined. */
  topicProblem(channel: string): string | undefined {
    const topic = this.topic(channel);
    const problem = uriProblem(topic, { strict: this.settings.strictUris });
    if (problem === undefined) return undefined;
    return `channel "${channel}" maps to topic "${topic}", which realm "${this.settings.realm}" refuses: ${problem}`;
  }

  /** The Pusher frame of a WAMP event delivered on `channel`. */
  eventFrame(channel: string, args: Args, kwargs: Dict): string {
    const cached = this.frames.get(args);
    if (cached !== undefined) return cached;
    const kind = channelKind(channel);
    const event = toPusherEvent(args, kwargs, kind);
    const userId = kind === 'presence' && typeof kwargs.user_id === 'string' ? kwargs.user_id : undefined;
    const text = frame(event.event, event.data, channel, userId);
    this.frames.set(args, text);
    return text;
  }

  add(connection: AppConnection): void {
    this.connections.set(connection.socketId, connection);
  }

  remove(connection: AppConnection): void {
    if (this.connections.get(connection.socketId) === connection) this.connections.delete(connection.socketId);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Ends every connection signed in (pusher:signin) as `userId`, on every node of the cluster. */
  terminateUser(userId: string): void {
    this.terminateHere(userId);
    this.cluster?.terminate(userId);
  }

  /** Ends this node's connections signed in as `userId`. */
  terminateHere(userId: string): void {
    for (const connection of [...this.connections.values()]) {
      if (connection.userId === userId) connection.terminate(CloseCode.terminated, 'the app terminated this user\'s connections');
    }
  }

  /** Ends every connection (the node is stopping): pusher-js reconnects at once on 4200. */
  closeAll(code: number, reason: string): void {
    for (const connection of [...this.connections.values()]) connection.terminate(code, reason);
  }
}
