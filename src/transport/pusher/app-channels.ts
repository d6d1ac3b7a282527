import type { WebhookSink } from './webhook-sink.js';
import { ChannelRegistry, type ChannelSubscriber, type Member } from './channels.js';
import { frame } from './protocol.js';
import { RemoteChannels } from './remote-channels.js';

/** What the cluster is told of this node's own channels (see AppCluster); absent without a cluster. */
export interface LocalChanges {
  /** `count` connections of this node are subscribed to the channel now (0: none). */
  subscriptions(channel: string, count: number): void;
  /** The user has (present) or no longer has a connection of this node on the presence channel. */
  member(channel: string, userId: string, present: boolean, info: unknown): void;
}

/**
 * One app's channels as its clients and its HTTP API see them: this node's connections and
 * members, plus (in a cluster) the other nodes'. A user is one member however many connections
 * it has on however many nodes: member_added goes to the channel's subscribers on this node when
 * the user appears anywhere in the cluster, member_removed when its last connection anywhere
 * leaves. Every node works these out alike; the webhook sink it is given decides whether this
 * node reports them (AppCluster: only the cluster's webhook node does).
 */
export class AppChannels {
  private readonly local = new ChannelRegistry();
  private readonly remote = new RemoteChannels();

  constructor(private readonly webhooks: WebhookSink, private readonly changes: LocalChanges | undefined) {}

  /** A connection of this node subscribed; its own member_added is not sent to it. */
  join(channel: string, subscriber: ChannelSubscriber, member?: Member): void {
    const wasOccupied = this.occupied(channel);
    const wasMember = member !== undefined && this.hasMember(channel, member.user_id);
    this.local.join(channel, subscriber, member);
    this.changes?.subscriptions(channel, this.local.subscriptionCount(channel));
    if (member) this.changes?.member(channel, member.user_id, true, member.user_info);
    if (!wasOccupied) this.webhooks.emit({ name: 'channel_occupied', channel });
    if (member && !wasMember) this.memberAdded(channel, member.user_id, member.user_info, subscriber);
  }

  /** A connection of this node unsubscribed or closed. */
  leave(channel: string, subscriber: ChannelSubscriber): void {
    const left = this.local.leave(channel, subscriber);
    this.changes?.subscriptions(channel, this.local.subscriptionCount(channel));
    const removed = left.memberRemoved;
    if (removed) {
      this.changes?.member(channel, removed.user_id, false, undefined);
      if (!this.hasMember(channel, removed.user_id)) this.memberRemoved(channel, removed.user_id);
    }
    if (left.vacated && !this.occupied(channel)) this.webhooks.emit({ name: 'channel_vacated', channel });
  }

  /** Another node's count of connections on the channel changed (undefined: it has none). */
  remoteSubscriptions(node: string, channel: string, count: number | undefined): void {
    const wasOccupied = this.occupied(channel);
    this.remote.setSubscriptions(node, channel, count);
    const occupied = this.occupied(channel);
    if (occupied !== wasOccupied) this.webhooks.emit({ name: occupied ? 'channel_occupied' : 'channel_vacated', channel });
  }

  /** A user appeared on (present) or left the channel at another node. */
  remoteMember(node: string, channel: string, userId: string, present: boolean, info: unknown): void {
    const wasMember = this.hasMember(channel, userId);
    this.remote.setMember(node, channel, userId, present, info);
    if (present && !wasMember) this.memberAdded(channel, userId, info);
    else if (!present && wasMember && !this.hasMember(channel, userId)) this.memberRemoved(channel, userId);
  }

  /** Sends a frame to this node's subscribers of the channel, except `except`. */
  broadcast(channel: string, text: string, except?: ChannelSubscriber): void {
    this.local.broadcast(channel, text, except);
  }

  /** The presence data pusher_internal:subscription_succeeded carries: every member in the cluster. */
  presence(channel: string): { ids: string[]; hash: Record<string, unknown>; count: number } {
    const members = this.members(channel);
    const hash: Record<string, unknown> = {};
    for (const [id, info] of members) hash[id] = info ?? null;
    return { ids: [...members.keys()], hash, count: members.size };
  }

  occupied(channel: string): boolean {
    return this.local.occupied(channel) || this.remote.has(channel);
  }

  subscriptionCount(channel: string): number {
    return this.local.subscriptionCount(channel) + this.remote.subscriptions(channel);
  }

  userIds(channel: string): string[] {
    return this.presence(channel).ids;
  }

  /** Occupied channel names, in no particular order. */
  names(): string[] {
    return [...new Set([...this.local.names(), ...this.remote.names()])];
  }

  /** Distinct users on the presence channel, in the cluster. */
  memberCount(channel: string): number {
    return this.members(channel).size;
  }

  hasMember(channel: string, userId: string): boolean {
    return this.local.hasMember(channel, userId) || this.remote.hasMember(channel, userId);
  }

  /** user_id -> user_info of every member in the cluster; this node's info wins. */
  private members(channel: string): Map<string, unknown> {
    const members = this.remote.members(channel);
    for (const [id, info] of this.local.members(channel)) members.set(id, info);
    return members;
  }

  private memberAdded(channel: string, userId: string, info: unknown, except?: ChannelSubscriber): void {
    this.local.broadcast(channel, frame('pusher_internal:member_added', { user_id: userId, user_info: info }, channel), except);
    this.webhooks.emit({ name: 'member_added', channel, user_id: userId });
  }

  private memberRemoved(channel: string, userId: string): void {
    this.local.broadcast(channel, frame('pusher_internal:member_removed', { user_id: userId }, channel));
    this.webhooks.emit({ name: 'member_removed', channel, user_id: userId });
  }
}
