import type { Backplane, SpaceListener } from '../../router/backplane.js';
import type { AppChannels, LocalChanges } from './app-channels.js';
import type { WebhookEvent, WebhookSink } from './webhook-sink.js';
import type { SeatAuthority } from './presence-seats.js';

/** What an app needs of the cluster's backplane. */
export type ClusterLink = Pick<Backplane, 'nodeId' | 'share' | 'note' | 'listen' | 'unlisten' | 'seat' | 'unseat'>;

/** The part of an app the cluster reaches. */
export interface ClusterApp {
  readonly channels: AppChannels;
  /** Ends this node's connections signed in as the user. */
  terminateHere(userId: string): void;
}

/**
 * Entry keys of an app's space: `c␀channel` = this node's subscription count, `m␀channel␀user` =
 * a presence member of this node ({info}), `w` = this node delivers the app's webhooks.
 */
const SEP = '\u0000';
const WEBHOOK_DUTY = 'w';

/** What a node tells another of one app: a client event for the webhook node, or a user to disconnect everywhere. */
type AppNote = { webhook: WebhookEvent } | { terminate: string };

/**
 * One Pusher app across a cluster: this node shares its channels' subscription counts and
 * presence members (coalesced, once per turn of the event loop) and mirrors the other nodes'
 * into AppChannels, which works out member_added/member_removed and occupancy cluster-wide.
 *
 * Webhooks are reported by one node only, the webhook node: of the nodes that run the app's
 * webhooks (with --workers only w1 does), the one whose id sorts first. Channel and member events
 * are seen by every node and dropped everywhere else; a client event is seen only where it
 * happened, so another node sends it to the webhook node. A node gone hands the duty on before
 * its members are removed, so their member_removed is still reported.
 */
export class AppCluster implements WebhookSink, LocalChanges, SpaceListener, SeatAuthority {
  private readonly space: string;
  /** The other nodes that run this app's webhooks. */
  private readonly webhookNodes = new Set<string>();
  /** Entries to share at the end of this turn: key -> value (undefined: withdraw). */
  private pending = new Map<string, unknown>();
  private flushScheduled = false;
  private readonly sharing = new Set<string>();
  private app: ClusterApp | undefined;
  private stopped = false;

  /** `transportId` and `appId` name the app alike on every node (they share one configuration). */
  constructor(transportId: string, appId: string, private readonly link: ClusterLink, private readonly sink: WebhookSink | undefined) {
    this.space = `pusher:${transportId}:${appId}`;
  }

  /** Starts sharing and hearing: what the other nodes have is mirrored at once. */
  start(app: ClusterApp): void {
    this.app = app;
    this.link.listen(this.space, this);
    if (this.sink) this.put(WEBHOOK_DUTY, true);
  }

  /**
   * The app stops on this node: the others forget what it shared, members before channels and
   * the webhook duty last, so that what this node reported itself is not reported again by the
   * node that takes the duty over.
   */
  stop(): void {
    this.flush();
    this.stopped = true;
    this.link.unlisten(this.space);
    const order = (key: string): number => (key === WEBHOOK_DUTY ? 2 : key.startsWith('c') ? 1 : 0);
    for (const key of [...this.sharing].sort((a, b) => order(a) - order(b))) this.link.share(this.space, key, undefined);
    this.sharing.clear();
  }

  /** The node that reports the app's webhooks, or undefined when none runs them. */
  webhookNode(): string | undefined {
    let first = this.sink ? this.link.nodeId : undefined;
    for (const node of this.webhookNodes) if (first === undefined || node < first) first = node;
    return first;
  }

  emit(event: WebhookEvent): void {
    const node = this.webhookNode();
    if (node === undefined) return;
    if (node === this.link.nodeId) this.sink!.emit(event);
    else if (event.name === 'client_event') this.link.note(this.space, { webhook: event } satisfies AppNote, [node]);
  }

  /** Ends the user's connections on every other node. */
  terminate(userId: string): void {
    this.link.note(this.space, { terminate: userId } satisfies AppNote);
  }

  /** A seat of the cluster's for the user on the presence channel (max_presence_members across the cluster). */
  seat(channel: string, userId: string, limit: number): Promise<boolean> {
    return this.link.seat(`${this.space}${SEP}${channel}`, userId, limit);
  }

  unseat(channel: string, userId: string): void {
    this.link.unseat(`${this.space}${SEP}${channel}`, userId);
  }

  // ---- this node's changes ----

  subscriptions(channel: string, count: number): void {
    this.queue(`c${SEP}${channel}`, count > 0 ? count : undefined);
  }

  member(channel: string, userId: string, present: boolean, info: unknown): void {
    this.queue(`m${SEP}${channel}${SEP}${userId}`, present ? (info === undefined ? {} : { info }) : undefined);
  }

  // ---- the other nodes' ----

  entry(node: string, key: string, value: unknown): void {
    const channels = this.app?.channels;
    if (!channels) return;
    if (key === WEBHOOK_DUTY) {
      if (value === undefined) this.webhookNodes.delete(node);
      else this.webhookNodes.add(node);
      return;
    }
    const [kind, channel, userId] = splitKey(key);
    if (kind === 'c') return channels.remoteSubscriptions(node, channel, typeof value === 'number' ? value : undefined);
    if (kind === 'm' && userId !== undefined) channels.remoteMember(node, channel, userId, value !== undefined, (value as { info?: unknown } | undefined)?.info);
  }

  note(_from: string, body: unknown): void {
    if (typeof body !== 'object' || body === null) return;
    const note = body as AppNote;
    if ('webhook' in note) this.sink?.emit(note.webhook);
    else if ('terminate' in note && typeof note.terminate === 'string') this.app?.terminateHere(note.terminate);
  }

  gone(node: string): void {
    this.webhookNodes.delete(node);
  }

  private queue(key: string, value: unknown): void {
    if (this.stopped) return;
    this.pending.set(key, value);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /**
   * Shares what changed in this turn, in the order the others should see it: channels occupied,
   * then members added, members removed, channels vacated (webhooks report them in that order).
   */
  private flush(): void {
    this.flushScheduled = false;
    const changes = [...this.pending];
    this.pending = new Map();
    const rank = ([key, value]: [string, unknown]): number => (key.startsWith('c') ? (value === undefined ? 3 : 0) : value === undefined ? 2 : 1);
    changes.sort((a, b) => rank(a) - rank(b));
    for (const [key, value] of changes) this.put(key, value);
  }

  private put(key: string, value: unknown): void {
    if (value === undefined) this.sharing.delete(key);
    else this.sharing.add(key);
    this.link.share(this.space, key, value);
  }
}

/** kind, channel and (for members) user id of an entry key; channel names never hold the separator. */
function splitKey(key: string): [string, string, string | undefined] {
  const kind = key.slice(0, 1);
  const rest = key.slice(2);
  if (kind !== 'm') return [kind, rest, undefined];
  const at = rest.indexOf(SEP);
  return at < 0 ? [kind, rest, undefined] : [kind, rest.slice(0, at), rest.slice(at + 1)];
}
