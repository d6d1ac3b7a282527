import type { Args, Dict } from '../../protocol/messages.js';
import type { MatchPolicy } from '../../protocol/uri.js';
import { payloadBytes } from '../limits/payload-bytes.js';
import type { PublishOptions } from '../options.js';
import { MAX_POSITION_SOURCES, type PublicationPosition } from './publication-positions.js';

/** Which topics keep their events for wamp.subscription.get_events, how many and how many bytes (a realm setting). */
export interface EventHistorySetting {
  uri: string;
  match: MatchPolicy;
  limit: number;
  /** Bytes (estimated, payloadBytes) the kept events may take together; 0 = no byte limit. */
  limitBytes: number;
}

/** Where a history reports its bytes and the events it could not keep (the realm's metrics). */
export interface HistoryMeter {
  changed(bytes: number): void;
  /** An event larger than limitBytes on its own was not kept. */
  refused(bytes: number, limitBytes: number): void;
}

const unmetered: HistoryMeter = { changed() {}, refused() {} };

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

/** The receiver lists a history keeps: by authid and authrole (session-ID lists are never stored). */
export const receiverListKeys = ['excludeAuthid', 'excludeAuthrole', 'eligibleAuthid', 'eligibleAuthrole'] as const;
type ReceiverLists = Pick<PublishOptions, (typeof receiverListKeys)[number]>;

interface Entry {
  readonly event: StoredEvent;
  readonly time: number;
  readonly topic: string;
  /** authid/authrole black and white lists of the publication (the only lists history keeps). */
  readonly receivers: ReceiverLists | undefined;
  readonly bytes: number;
  /** Undefined for an event from a node of an older version, which sent none. */
  readonly position: PublicationPosition | undefined;
}

/** A kept event with its publication's position, for a resume that reads positions (SSE). */
export interface PositionedEvent {
  readonly event: StoredEvent;
  readonly position: PublicationPosition | undefined;
}

/** A kept event as it crosses to a node that starts later: its receiver lists as arrays (a Set does not cross). */
export interface CopiedEvent {
  event: StoredEvent;
  /** When it was kept (epoch milliseconds): the *_time filters and the merge order go by it. */
  time: number;
  topic: string;
  receivers?: Partial<Record<(typeof receiverListKeys)[number], string[]>>;
  position?: PublicationPosition;
}

/** What one history tells its store (history-store.ts): the store's calls, its (uri, match) bound. */
export interface HistoryJournal {
  kept(event: CopiedEvent): void;
  dropped(publication: number): void;
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
 * The most one get_events answer holds, in bytes estimated as limit_bytes counts them, plus
 * ANSWER_BYTES_PER_EVENT per event. A history may hold more (limit_bytes is 4 MiB by default, the
 * default slow-consumer limit of a WebSocket), and an answer is one message: all of it at once
 * would close the session that asked. A quarter of that limit leaves room for the estimate's error
 * (a binary payload is a third larger as base64 in JSON) and for whatever else is queued. A cap on
 * the answer, not a rule tying limit_bytes to the transports' limits at config load: a realm's
 * history is read through every transport, each with its own limit.
 */
export const MAX_ANSWER_BYTES = 1024 * 1024;
/** A stored event's timestamp, IDs and details, which its estimated bytes leave out. */
const ANSWER_BYTES_PER_EVENT = 128;

/** A get_events answer: the first events of the selection that fit in MAX_ANSWER_BYTES, and whether more matched. */
export interface HistoryAnswer {
  events: StoredEvent[];
  truncated: boolean;
}

/**
 * The last events of one subscription, at most `limit` of them and `limitBytes` together, in a
 * ring buffer: memory stays bounded however much is published. The oldest go first; an event
 * larger than `limitBytes` on its own is not kept (and reported). Publications with session-ID
 * lists (exclude, eligible) are not stored, as the spec advises: session IDs change, so a later
 * reader could not be judged by them.
 */
export class EventHistory {
  private readonly ring: (Entry | undefined)[];
  private start = 0;
  private count = 0;
  private byteCount = 0;
  /**
   * Publications copied from another node (adopt) that are still kept: one may yet arrive live,
   * in flight from a third node when the copy was made, and must not be kept twice.
   */
  private readonly copied = new Set<number>();
  /**
   * The highest position of each source among the events this history let go: a reader whose
   * resume point is below it has missed events no longer kept. Bounded like the broker's sources.
   */
  private readonly dropped = new Map<string, number>();

  /** A store that keeps this history beyond the process: told of each event kept live and each let go for room. */
  private journal: HistoryJournal | undefined;

  constructor(readonly limit: number, readonly limitBytes = 0, private readonly meter: HistoryMeter = unmetered) {
    this.ring = new Array<Entry | undefined>(Math.max(1, limit));
  }

  /** From now on (once what the store held is adopted), tells `journal` of every change. */
  journalTo(journal: HistoryJournal): void {
    this.journal = journal;
  }

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.byteCount;
  }

  /** Stores an event unless its publication addressed session IDs or it is larger than limitBytes. */
  record(event: StoredEvent, topic: string, options: PublishOptions, hasReceiverLists: boolean, now = Date.now(),
    position?: PublicationPosition): void {
    if (options.exclude !== undefined || options.eligible !== undefined) return;
    if (this.copied.delete(event.publication)) return;
    const entry = { event, time: now, topic, receivers: hasReceiverLists ? options : undefined, position };
    if (this.keep(entry) && this.journal) this.journal.kept(copyOf(entry));
  }

  /** Appends an event as the newest, dropping the oldest to stay within the limits. */
  private keep({ event, time, topic, receivers, position }: Omit<Entry, 'bytes'>): boolean {
    const ceiling = this.limitBytes > 0 ? this.limitBytes : undefined;
    const bytes = topic.length + payloadBytes([event.args, event.kwargs], ceiling);
    if (ceiling !== undefined && bytes > ceiling) {
      this.meter.refused(bytes, ceiling);
      return false;
    }
    while (this.count > 0 && (this.count >= this.ring.length || (ceiling !== undefined && this.byteCount + bytes > ceiling))) {
      this.dropOldest();
    }
    this.ring[(this.start + this.count) % this.ring.length] = { event, time, topic, receivers, bytes, position };
    this.count++;
    this.changeBytes(bytes);
    return true;
  }

  /** `evicted`: let go to make room (a reader may miss it), not just moved (adopt rebuilds the ring). */
  private dropOldest(evicted = true): void {
    const oldest = this.ring[this.start]!;
    this.ring[this.start] = undefined;
    this.start = (this.start + 1) % this.ring.length;
    this.count--;
    this.copied.delete(oldest.event.publication);
    this.changeBytes(-oldest.bytes);
    if (!evicted) return;
    if (oldest.position) this.noteDropped(oldest.position);
    this.journal?.dropped(oldest.event.publication);
  }

  private noteDropped({ source, seq }: PublicationPosition): void {
    const before = this.dropped.get(source);
    if (before !== undefined && before >= seq) return;
    this.dropped.delete(source);
    this.dropped.set(source, seq);
    if (this.dropped.size > MAX_POSITION_SOURCES) this.dropped.delete(this.dropped.keys().next().value!);
  }

  /** The highest seq of `source` among the events let go, if any was. */
  droppedUpTo(source: string): number | undefined {
    return this.dropped.get(source);
  }

  /** Every kept event, oldest first, for a node that starts later. */
  snapshot(): CopiedEvent[] {
    return this.chronological().map(copyOf);
  }

  /**
   * Events another node kept from before this node started, merged with those kept here since:
   * each publication once, ordered by the time it was kept (a copied event first on a tie, as
   * it was kept there first), and then only the newest within this history's own limits.
   */
  adopt(events: readonly CopiedEvent[]): void {
    const here = this.chronological();
    const kept = new Set(here.map((entry) => entry.event.publication));
    const fresh = events.filter((copy) => !kept.has(copy.event.publication));
    if (fresh.length === 0) return;
    const merged = [
      ...fresh.map((copy) => ({ copy, entry: copiedEntry(copy) })),
      ...here.map((entry) => ({ copy: undefined, entry })),
    ].sort((a, b) => a.entry.time - b.entry.time);
    while (this.count > 0) this.dropOldest(false);
    this.start = 0;
    for (const { copy, entry } of merged) {
      if (this.keep(entry) && copy) this.copied.add(entry.event.publication);
    }
  }

  private changeBytes(by: number): void {
    this.byteCount += by;
    this.meter.changed(by);
  }

  /**
   * The stored events the reader may see that pass every filter, oldest first unless `reverse`,
   * as many as fit in MAX_ANSWER_BYTES (always the first, which was sent alone when published).
   */
  query(query: HistoryQuery, reader: HistoryReader): HistoryAnswer {
    const selected = this.select(query, reader);
    let room = MAX_ANSWER_BYTES;
    let end = 0;
    while (end < selected.length) {
      room -= selected[end]!.bytes + ANSWER_BYTES_PER_EVENT;
      if (room < 0 && end > 0) break;
      end++;
    }
    return { events: selected.slice(0, end).map((entry) => entry.event), truncated: end < selected.length };
  }

  /** As `query`, each event with its publication's position. */
  queryPositioned(query: HistoryQuery, reader: HistoryReader): PositionedEvent[] {
    return this.select(query, reader).map(({ event, position }) => ({ event, position }));
  }

  private select(query: HistoryQuery, reader: HistoryReader): Entry[] {
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
    return query.limit === undefined ? visible : visible.slice(0, query.limit);
  }

  private chronological(): Entry[] {
    const entries: Entry[] = [];
    for (let i = 0; i < this.count; i++) entries.push(this.ring[(this.start + i) % this.ring.length]!);
    return entries;
  }
}

function copyOf({ event, time, topic, receivers, position }: Omit<Entry, 'bytes'>): CopiedEvent {
  const copy: CopiedEvent = { event, time, topic };
  if (position) copy.position = position;
  if (receivers) copy.receivers = Object.fromEntries(receiverListKeys.flatMap((key) => receivers[key] ? [[key, [...receivers[key]]]] : []));
  return copy;
}

function copiedEntry({ event, time, topic, receivers, position }: CopiedEvent): Omit<Entry, 'bytes'> {
  if (!receivers) return { event, time, topic, receivers: undefined, position };
  const lists: ReceiverLists = {};
  for (const key of receiverListKeys) if (receivers[key]) lists[key] = new Set(receivers[key]);
  return { event, time, topic, receivers: lists, position };
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
