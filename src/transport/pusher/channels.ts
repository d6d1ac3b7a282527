/** A presence member's identity, from the channel_data the app's auth endpoint signed. */
export interface Member {
  user_id: string;
  user_info?: unknown;
}

/** What a subscriber must offer to the registry: something to send frames to. */
export interface ChannelSubscriber {
  readonly socketId: string;
  send(text: string): void;
}

interface ChannelState {
  subscribers: Map<ChannelSubscriber, Member | undefined>;
  /** user_id -> the member's info and how many of its connections are subscribed. */
  members: Map<string, { info: unknown; connections: number }>;
}

export interface LeaveOutcome {
  /** The channel has no subscriber left. */
  vacated: boolean;
  /** The member's last connection left (presence channels). */
  memberRemoved: Member | undefined;
}

/**
 * Who is on which channel of one app, on this node: the connections subscribed to each channel
 * and, for presence channels, the members (a user with several connections is one member).
 */
export class ChannelRegistry {
  private readonly channels = new Map<string, ChannelState>();

  join(channel: string, subscriber: ChannelSubscriber, member?: Member): void {
    let state = this.channels.get(channel);
    if (!state) {
      state = { subscribers: new Map(), members: new Map() };
      this.channels.set(channel, state);
    }
    state.subscribers.set(subscriber, member);
    if (member) {
      const known = state.members.get(member.user_id);
      // The latest sign-in's info wins, as on Pusher.
      state.members.set(member.user_id, { info: member.user_info, connections: (known?.connections ?? 0) + 1 });
    }
  }

  leave(channel: string, subscriber: ChannelSubscriber): LeaveOutcome {
    const state = this.channels.get(channel);
    const none = { vacated: false, memberRemoved: undefined };
    if (!state || !state.subscribers.has(subscriber)) return none;
    const member = state.subscribers.get(subscriber);
    state.subscribers.delete(subscriber);
    let memberRemoved: Member | undefined;
    if (member) {
      const known = state.members.get(member.user_id);
      if (known && known.connections > 1) known.connections -= 1;
      else {
        state.members.delete(member.user_id);
        memberRemoved = member;
      }
    }
    const vacated = state.subscribers.size === 0;
    if (vacated) this.channels.delete(channel);
    return { vacated, memberRemoved };
  }

  /** Sends a frame to every subscriber of the channel except `except`. */
  broadcast(channel: string, text: string, except?: ChannelSubscriber): void {
    const state = this.channels.get(channel);
    if (!state) return;
    for (const subscriber of state.subscribers.keys()) if (subscriber !== except) subscriber.send(text);
  }

  occupied(channel: string): boolean {
    return this.channels.has(channel);
  }

  subscriptionCount(channel: string): number {
    return this.channels.get(channel)?.subscribers.size ?? 0;
  }

  /** The channel's members on this node: user_id -> user_info. */
  members(channel: string): Map<string, unknown> {
    const found = new Map<string, unknown>();
    for (const [id, { info }] of this.channels.get(channel)?.members ?? []) found.set(id, info);
    return found;
  }

  hasMember(channel: string, userId: string): boolean {
    return this.channels.get(channel)?.members.has(userId) ?? false;
  }

  /** Occupied channel names, in no particular order. */
  names(): IterableIterator<string> {
    return this.channels.keys();
  }
}
