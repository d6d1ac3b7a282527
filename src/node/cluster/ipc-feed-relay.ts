import type { Logger } from '../../router/log.js';
import type { ParentToWorker, WorkerToParent } from './ipc-messages.js';
import { entryBytes, FEED_BATCH, FEED_MEMORY_LIMIT_BYTES, feedFull, type FeedEntry, type FeedLimits } from './leased-feed.js';

type FeedMessage = Extract<WorkerToParent, { junction: `feed-${string}` }>;

interface Feed {
  limits: FeedLimits;
  /** Not yet acknowledged by a holder, oldest first, each with its sequence number. */
  entries: { seq: number; entry: FeedEntry }[];
  bytes: number;
  nextSeq: number;
  /** The workers that joined, in order: the first is the holder. */
  candidates: string[];
  /** The last sequence number handed to the holder and not yet acknowledged (0: none in flight). */
  inFlight: number;
}

/**
 * The parent's part in leased feeds with `--workers`: it grants each feed's lease to the first
 * worker that joined it (the next one when that worker exits), keeps what the workers append
 * until the holder acknowledges it, and hands it to the holder one batch at a time. A holder that
 * dies leaves its unacknowledged batch here, and the next holder gets it again.
 */
export class FeedRelay {
  private readonly feeds = new Map<string, Feed>();

  constructor(private readonly send: (node: string, message: ParentToWorker) => void, private readonly log: Logger) {}

  handle(node: string, message: FeedMessage): void {
    switch (message.junction) {
      case 'feed-join': {
        const feed = this.feedFor(message.feed, message.limits);
        if (!feed.candidates.includes(node)) feed.candidates.push(node);
        if (feed.candidates[0] === node) this.grant(message.feed, feed);
        else this.send(node, { junction: 'feed-holder', feed: message.feed, node: feed.candidates[0] });
        return;
      }
      case 'feed-append': {
        const feed = this.feedFor(message.feed, undefined);
        const refused = feedFull(message.feed, { messages: feed.entries.length, bytes: feed.bytes }, feed.limits, message.entry);
        if (refused === undefined) {
          feed.entries.push({ seq: feed.nextSeq++, entry: message.entry });
          feed.bytes += entryBytes(message.entry);
          this.pump(message.feed, feed);
        }
        this.send(node, refused === undefined ? { junction: 'feed-appended', id: message.id } : { junction: 'feed-appended', id: message.id, refused });
        return;
      }
      case 'feed-ack': {
        const feed = this.feeds.get(message.feed);
        if (!feed || feed.candidates[0] !== node) return; // a holder that was replaced meanwhile
        while (feed.entries.length > 0 && feed.entries[0]!.seq <= message.upTo) feed.bytes -= entryBytes(feed.entries.shift()!.entry);
        feed.inFlight = 0;
        this.pump(message.feed, feed);
        return;
      }
      case 'feed-leave':
        this.leave(node, message.feed);
        return;
    }
  }

  /** The worker exited: the next candidate of each feed it held takes over. */
  dropNode(node: string): void {
    for (const name of this.feeds.keys()) this.leave(node, name);
  }

  private leave(node: string, name: string): void {
    const feed = this.feeds.get(name);
    if (!feed) return;
    const wasHolder = feed.candidates[0] === node;
    feed.candidates = feed.candidates.filter((candidate) => candidate !== node);
    if (!wasHolder) return;
    feed.inFlight = 0; // what it had not acknowledged goes to the next holder
    if (feed.candidates.length > 0) this.grant(name, feed);
    else if (feed.entries.length > 0) this.log.warn({ feed: name, waiting: feed.entries.length }, 'no worker holds the feed now: its events wait for the next holder');
  }

  /** A feed is created by its first join or append (a worker may append before any worker joined). */
  private feedFor(name: string, limits: FeedLimits | undefined): Feed {
    let feed = this.feeds.get(name);
    const bounded = limits && { messages: limits.messages, bytes: Math.min(limits.bytes, FEED_MEMORY_LIMIT_BYTES) };
    if (!feed) {
      feed = { limits: bounded ?? { messages: 0, bytes: 0 }, entries: [], bytes: 0, nextSeq: 1, candidates: [], inFlight: 0 };
      this.feeds.set(name, feed);
    } else if (bounded) feed.limits = bounded;
    return feed;
  }

  private grant(name: string, feed: Feed): void {
    const holder = feed.candidates[0]!;
    this.log.info({ feed: name, node: holder, waiting: feed.entries.length }, 'feed lease granted');
    this.send(holder, { junction: 'feed-lease', feed: name });
    for (const candidate of feed.candidates) this.send(candidate, { junction: 'feed-holder', feed: name, node: holder });
    this.pump(name, feed);
  }

  private pump(name: string, feed: Feed): void {
    const holder = feed.candidates[0];
    if (holder === undefined || feed.inFlight !== 0 || feed.entries.length === 0) return;
    const batch = feed.entries.slice(0, FEED_BATCH);
    feed.inFlight = batch.at(-1)!.seq;
    this.send(holder, { junction: 'feed-entries', feed: name, entries: batch.map(({ entry }) => entry), upTo: feed.inFlight });
  }
}
