import type { Args, Dict } from '../../protocol/messages.js';
import type { MatchPolicy } from '../../protocol/uri.js';
import type { PublishOptions } from '../options.js';

/** Which topics keep their events for wamp.subscription.get_events, and how many (a realm setting). */
export interface EventHistorySetting {
  uri: string;
  match: MatchPolicy;
  limit: number;
}

/** One stored event, in the shape the spec gives for wamp.subscription.get_events. */
export interface StoredEvent {
  readonly timestamp: string;
  readonly subscription: number;
  readonly publication: number;
  readonly details: Dict;
  readonly args?: Args;
  readonly kwargs?: Dict;
}

/**
 * A stored event whose args and kwargs appear only when the publication had them: a key holding
 * `undefined` would reach msgpack peers as nil and CBOR peers as `undefined`, while JSON drops it.
 */
export function storedEvent(fields: Omit<StoredEvent, 'args' | 'kwargs'>, args: Args | undefined, kwargs: Dict | undefined): StoredEvent {
  const event: { -readonly [K in keyof StoredEvent]: StoredEvent[K] } = { ...fields };
  if (args !== undefined) event.args = args;
  if (kwargs !== undefined) event.kwargs = kwargs;
  return event;
}

interface Entry {
  readonly event: StoredEvent;
  readonly time: number;
  readonly topic: string;
  /** authid/authrole black and white lists of the publication (the only lists history keeps). */
  readonly receivers: PublishOptions | undefined;
}

/** Who asks for history: lists by authid and authrole apply to them as if they were subscribed. */
export interface HistoryReader {
  authid: string;
  authrole: string;
}

/** The spec's get_events filters. Times are RFC 3339 strings already parsed to milliseconds. */
export interface HistoryQuery {
  limit?: number;
  reverse?: boolean;
  topic?: string;
  fromTime?: number;
  afterTime?: number;
  beforeTime?: number;
  untilTime?: number;
  fromPublication?: number;
  afterPublication?: number;
  beforePublication?: number;
  untilPublication?: number;
}

/**
 * The last `limit` events of one subscription, in a ring buffer: memory stays bounded however
 * much is published. Publications with session-ID lists (exclude, eligible) are not stored, as
 * the spec advises: session IDs change, so a later reader could not be judged by them.
 */
export class EventHistory {
  private readonly ring: (Entry | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly limit: number) {
    this.ring = new Array<Entry | undefined>(Math.max(1, limit));
  }

  get size(): number {
    return this.count;
  }

  /** Stores an event unless its publication addressed session IDs. */
  record(event: StoredEvent, topic: string, options: PublishOptions, hasReceiverLists: boolean, now = Date.now()): void {
    if (options.exclude !== undefined || options.eligible !== undefined) return;
    const entry: Entry = { event, time: now, topic, receivers: hasReceiverLists ? options : undefined };
    if (this.count < this.ring.length) {
      this.ring[(this.start + this.count) % this.ring.length] = entry;
      this.count++;
    } else {
      this.ring[this.start] = entry;
      this.start = (this.start + 1) % this.ring.length;
    }
  }

  /** The stored events the reader may see that pass every filter, oldest first unless `reverse`. */
  query(query: HistoryQuery, reader: HistoryReader): StoredEvent[] {
    let entries = this.chronological();
    entries = sliceByPublication(entries, query);
    const visible = entries.filter((entry) =>
      mayRead(entry, reader) &&
      (query.topic === undefined || entry.topic === query.topic) &&
      (query.fromTime === undefined || entry.time >= query.fromTime) &&
      (query.afterTime === undefined || entry.time > query.afterTime) &&
      (query.beforeTime === undefined || entry.time < query.beforeTime) &&
      (query.untilTime === undefined || entry.time <= query.untilTime));
    if (query.reverse) visible.reverse();
    const limited = query.limit === undefined ? visible : visible.slice(0, query.limit);
    return limited.map((entry) => entry.event);
  }

  private chronological(): Entry[] {
    const entries: Entry[] = [];
    for (let i = 0; i < this.count; i++) entries.push(this.ring[(this.start + i) % this.ring.length]!);
    return entries;
  }
}

function mayRead(entry: Entry, reader: HistoryReader): boolean {
  const lists = entry.receivers;
  if (!lists) return true;
  if (lists.eligibleAuthid && !lists.eligibleAuthid.has(reader.authid)) return false;
  if (lists.eligibleAuthrole && !lists.eligibleAuthrole.has(reader.authrole)) return false;
  if (lists.excludeAuthid?.has(reader.authid)) return false;
  if (lists.excludeAuthrole?.has(reader.authrole)) return false;
  return true;
}

/**
 * Applies the *_publication filters: they refer to a stored event by its ID (IDs are random, so
 * only the position in the history orders them). An ID no longer stored matches nothing.
 */
function sliceByPublication(entries: Entry[], query: HistoryQuery): Entry[] {
  const at = (publication: number): number => entries.findIndex((entry) => entry.event.publication === publication);
  let from = 0;
  let to = entries.length;
  const bound = (publication: number | undefined, apply: (index: number) => void): boolean => {
    if (publication === undefined) return true;
    const index = at(publication);
    if (index < 0) return false;
    apply(index);
    return true;
  };
  const found =
    bound(query.fromPublication, (i) => (from = Math.max(from, i))) &&
    bound(query.afterPublication, (i) => (from = Math.max(from, i + 1))) &&
    bound(query.beforePublication, (i) => (to = Math.min(to, i))) &&
    bound(query.untilPublication, (i) => (to = Math.min(to, i + 1)));
  return found ? entries.slice(from, Math.max(from, to)) : [];
}
