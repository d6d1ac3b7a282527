import { plural } from '../../protocol/plural.js';

/**
 * Components that must run once per cluster (a MessageForwarder) run on the one node that holds
 * their lease, while every node takes in their events: each node appends what it took to the
 * component's shared feed, and the lease holder reads the feed in order, storing each batch in its
 * own durable outbox before the batch leaves the feed. When the holder dies, the feed keeps what
 * it had not yet taken, and the next holder reads on from there: nothing is lost in a takeover.
 *
 * With `--workers` the parent process grants the lease and holds the feed (ipc-feeds.ts); with
 * Redis the lease is a key (SET NX PX, renewed, with a fencing token) and the feed a stream
 * (redis-feeds.ts).
 */

/** One event as a forwarder takes it (the forwarder's ForwardEvent). */
export interface FeedEntry {
  url: string;
  topic: string;
  publication: number;
  body: string;
  /** Where it was in the feed (Redis), kept with it in the holder's outbox: see FeedPlace. */
  feed?: FeedPlace;
}

/**
 * An entry's id in the feed (Redis), given at its first append, and the lease ("node#token") under
 * which a holder took it: handed back with them, the entry is recognized when the feed, or
 * another holder, has it already.
 */
export interface FeedPlace {
  id: string;
  takenUnder?: string;
}

/** What the feed holds at most while no holder takes it: beyond either, appends are refused. */
export interface FeedLimits {
  messages: number;
  bytes: number;
}

/** The lease holder's side: called in order, one at a time. */
export interface FeedHolder {
  /** This node now holds the lease: get ready to take entries (open the outbox). */
  granted(): Promise<void>;
  /**
   * Entries of the feed, oldest first: resolves once they are stored; they then leave the feed.
   * An entry's `feed` (Redis) is stored with it, and given back with it by heldElsewhere.
   */
  take(entries: FeedEntry[]): Promise<void>;
  /** This node no longer holds the lease (it lost it, or the feed is closing): stop delivering. */
  lost(): Promise<void>;
  /**
   * Another node holds the lease, and nodes may be on other machines (Redis): what this node's own
   * outbox still holds would wait there until it holds the lease again, so it hands it back to the
   * feed. Called when this node first finds the lease held elsewhere after it started, and again
   * after every lease it loses, each time once. (With --workers the
   * holders share one disk and take over the outbox itself: never called.)
   */
  heldElsewhere?(): Promise<void>;
}

/** One component's lease and feed, as seen from one node. */
export interface LeasedFeed {
  /** Hands an event taken on this node to the feed; resolves to why it was refused, or undefined once the feed has it. */
  append(entry: FeedEntry): Promise<string | undefined>;
  /** The node holding the lease now, as far as this node knows (undefined: none). */
  holderNode(): Promise<string | undefined>;
  /** Starts competing for the lease; `holder` runs while this node holds it. Called once. */
  run(holder: FeedHolder): void;
  /** Leaves: gives the lease up (the holder's `lost` runs first) and stops competing. */
  close(): Promise<void>;
}

/** The feeds of one node's cluster, by component name. */
export interface ClusterFeeds {
  feed(name: string, limits: FeedLimits): LeasedFeed;
  /** Why this node's feeds cannot reach where they are kept now (their connection stalled), or undefined: /health says degraded. */
  readonly degraded?: string | undefined;
  /** After every feed closed: lets go of the connection. */
  close(): Promise<void>;
}

/** Entries handed to the holder at once (each batch is one outbox write and one removal from the feed). */
export const FEED_BATCH = 100;
/** The parent of --workers holds at most this many bytes per feed, whatever the forwarder's outbox_limit_bytes. */
export const FEED_MEMORY_LIMIT_BYTES = 64 * 1024 * 1024;

/** A batch the holder could not store (logged) is tried again after this long. */
export const RETRY_MS = 1_000;

/** The bytes an entry counts for against a feed's limit. */
export function entryBytes(entry: FeedEntry): number {
  return entry.body.length + entry.url.length + entry.topic.length + 32;
}

/** Why a feed refused an entry at its limits, or undefined when it fits. */
export function feedFull(name: string, held: { messages: number; bytes: number }, limits: FeedLimits, entry: FeedEntry): string | undefined {
  if (held.messages >= limits.messages) return `the cluster's feed of "${name}" holds ${plural(held.messages, 'event')} no node has taken yet (outbox_limit)`;
  if (held.bytes + entryBytes(entry) > limits.bytes) return `the cluster's feed of "${name}" holds ${held.bytes} bytes no node has taken yet (its byte limit)`;
  return undefined;
}
