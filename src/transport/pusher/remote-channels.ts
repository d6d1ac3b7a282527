/**
 * What the other nodes of a cluster have of one app's channels: per channel and node, how many
 * connections are subscribed there and which presence members those connections are. A node's
 * share of a channel is dropped once it has neither.
 */

interface NodeShare {
  subscriptions: number;
  /** user_id -> user_info (undefined when the app signed none). */
  members: Map<string, unknown>;
}

export class RemoteChannels {
  private readonly channels = new Map<string, Map<string, NodeShare>>();

  /** `count` undefined or 0: the node has no connection on the channel any more. */
  setSubscriptions(node: string, channel: string, count: number | undefined): void {
    const share = this.share(node, channel);
    share.subscriptions = count ?? 0;
    this.prune(node, channel, share);
  }

  /** `present` false: the user has no connection on the channel at that node any more. */
  setMember(node: string, channel: string, userId: string, present: boolean, info: unknown): void {
    const share = this.share(node, channel);
    if (present) share.members.set(userId, info);
    else share.members.delete(userId);
    this.prune(node, channel, share);
  }

  has(channel: string): boolean {
    return this.channels.has(channel);
  }

  subscriptions(channel: string): number {
    let total = 0;
    for (const share of this.channels.get(channel)?.values() ?? []) total += share.subscriptions;
    return total;
  }

  hasMember(channel: string, userId: string): boolean {
    for (const share of this.channels.get(channel)?.values() ?? []) if (share.members.has(userId)) return true;
    return false;
  }

  /** Every member of the channel on the other nodes, with its info (any node's, when several have it). */
  members(channel: string): Map<string, unknown> {
    const found = new Map<string, unknown>();
    for (const share of this.channels.get(channel)?.values() ?? []) for (const [id, info] of share.members) found.set(id, info);
    return found;
  }

  names(): IterableIterator<string> {
    return this.channels.keys();
  }

  private share(node: string, channel: string): NodeShare {
    let nodes = this.channels.get(channel);
    if (!nodes) this.channels.set(channel, (nodes = new Map()));
    let share = nodes.get(node);
    if (!share) nodes.set(node, (share = { subscriptions: 0, members: new Map() }));
    return share;
  }

  private prune(node: string, channel: string, share: NodeShare): void {
    if (share.subscriptions > 0 || share.members.size > 0) return;
    const nodes = this.channels.get(channel)!;
    nodes.delete(node);
    if (nodes.size === 0) this.channels.delete(channel);
  }
}
