import type { Args, Dict } from '../../protocol/messages.js';
import { uriMatches, type MatchPolicy } from '../../protocol/uri.js';
import type { RetentionLimits } from '../limits/session-limits.js';
import type { PublishOptions } from '../options.js';
import type { Session } from '../session.js';
import { ExpiryHeap } from './expiry-heap.js';
import { isReceiverAllowed } from './publish-filter.js';

/**
 * When a retained publication was made, in the order every node keeps retained events in,
 * whatever order they arrive in (see retainedOrder).
 */
export interface RetainedStamp {
  /**
   * A Lamport clock: one more than the largest logical time its node had made or kept when it
   * was published, so a publication made after its node kept another one orders after it,
   * whatever the nodes' wall clocks say.
   */
  readonly logicalTime: number;
  /** Its node's wall clock, ms: a tie-break between publications neither node had seen the other of. */
  readonly at: number;
}

/** A publication kept for subscribers that ask for it later (SUBSCRIBE get_retained). */
export interface RetainedEvent extends RetainedStamp {
  readonly topic: string;
  readonly publication: number;
  /** Details every receiver got: publisher disclosure and payload passthru keys. */
  readonly details: Dict;
  readonly args?: Args;
  readonly kwargs?: Dict;
  readonly payload?: Uint8Array;
  /** The publication's black/white lists when it had any: only receivers they allow may have it. */
  readonly receivers: PublishOptions | undefined;
  /** The publisher's session when it excluded itself (exclude_me): it would not have received the event. */
  readonly excludedSession: number | undefined;
  /** What it counts against the byte limits: its topic and payload, estimated (payloadBytes). */
  readonly bytes: number;
  /** The PUBLISH options as given, so that another node can read its receiver lists again. */
  readonly options: Dict;
  /** When its MQTT Message Expiry runs out (ms since the epoch, `_mqtt.expires_at`): from then it is no longer kept. */
  readonly expiresAt?: number;
}

/** The limit a publication would have passed (its config key, for the refusal message and the metric) and its value. */
export interface RetentionRefusal {
  limit: 'max_retained_event_bytes' | 'max_retained_bytes' | 'max_retained_topics';
  max: number;
}

/** Where the store reports what it holds (the realm's gauges) and what it removed on expiry. */
export interface RetentionMeter {
  changed(topics: number, bytes: number): void;
  expired(): void;
}

/**
 * The order retained events are kept in on every node: by logical time, then wall clock, then
 * publication ID, so two nodes that receive the same publications in different orders keep the
 * same latest one, and a publication made after one its node had kept is the later one.
 */
export function retainedOrder(a: Pick<RetainedEvent, 'logicalTime' | 'at' | 'publication'>,
  b: Pick<RetainedEvent, 'logicalTime' | 'at' | 'publication'>): number {
  return a.logicalTime - b.logicalTime || a.at - b.at || a.publication - b.publication;
}

/**
 * Retained events per topic, bounded. The spec asks for the most recent event a subscriber
 * would have received: an event for everyone replaces the topic's list; events with receiver
 * lists queue behind it (a few per topic), so a subscriber they exclude still finds the last
 * one meant for it. "Most recent" is retainedOrder, not arrival: an event that arrives after
 * one for everyone published later (from another node) is outdated and not kept, and one with
 * receiver lists takes its place among the others. A new event that would pass a limit (its own
 * size, the realm's total bytes, the number of topics) is refused and nothing retained changes:
 * what others retained is never evicted for it. Replacing a topic's event frees the old one's bytes first.
 * An event whose MQTT Message Expiry ran out is removed (and its bytes and topic freed at once)
 * before anything else is done with the store, so short-lived events cannot hold its room.
 */
export class RetainedEvents {
  static readonly perTopic = 8;
  private readonly byTopic = new Map<string, RetainedEvent[]>();
  private byteCount = 0;
  /** The kept events that expire, soonest first; also ones replaced since, until they expire or are counted out (see keep). */
  private readonly expiries = new ExpiryHeap<RetainedEvent>((event) => event.expiresAt!);
  /** How many kept events expire (the live part of `expiries`). */
  private expiring = 0;

  /** `now`: ms since the epoch, the clock `expires_at` is stamped by. */
  constructor(private readonly limits: RetentionLimits, private readonly meter: RetentionMeter = { changed() {}, expired() {} }, private readonly now: () => number = Date.now) {}

  get topicCount(): number {
    return this.byTopic.size;
  }

  get bytes(): number {
    return this.byteCount;
  }

  /**
   * Keeps the event (unless a later one for everyone outdates it), or says which limit it would
   * pass (then nothing changes). A clear (an event without arguments) of a topic with nothing
   * retained replaces nothing: past a limit it is simply not kept, and not refused, so live
   * subscribers still get it.
   */
  retain(event: RetainedEvent): RetentionRefusal | undefined {
    this.removeExpired();
    const kept = this.byTopic.get(event.topic);
    const refused = this.keep(event, kept);
    // One that expired on its way (from another node) still replaced the older ones, and goes now.
    if (event.expiresAt !== undefined && event.expiresAt <= this.now()) this.removeExpired();
    return refused && !kept && carriesNothing(event) ? undefined : refused;
  }

  private keep(event: RetainedEvent, kept: RetainedEvent[] | undefined): RetentionRefusal | undefined {
    const { maxRetainedEventBytes: maxEventBytes, maxRetainedBytes: maxBytes, maxRetainedTopics: maxTopics } = this.limits;
    if (maxEventBytes > 0 && event.bytes > maxEventBytes) return { limit: 'max_retained_event_bytes', max: maxEventBytes };
    if (!kept && maxTopics > 0 && this.byTopic.size >= maxTopics) return { limit: 'max_retained_topics', max: maxTopics };
    const events = kept ? withEvent(kept, event) : [event];
    if (!events) return undefined;
    if (events.length > RetainedEvents.perTopic) events.splice(events[0]!.receivers ? 0 : 1, 1);
    const delta = sumBytes(events) - (kept ? sumBytes(kept) : 0);
    if (maxBytes > 0 && this.byteCount + delta > maxBytes) return { limit: 'max_retained_bytes', max: maxBytes };
    this.byTopic.set(event.topic, events);
    this.byteCount += delta;
    this.meter.changed(kept ? 0 : 1, delta);
    this.expiring += countExpiring(events) - (kept ? countExpiring(kept) : 0);
    if (event.expiresAt !== undefined && events.includes(event)) this.expiries.push(event);
    // Replaced events stay in the heap until they would expire: past twice the live ones they are
    // dropped (a cost of the heap's size, so a few per event pushed), keeping it bounded by the store.
    if (this.expiries.size > 2 * this.expiring + 64) this.expiries.keepOnly((expiring) => this.isKept(expiring));
    return undefined;
  }

  /** Removes every kept event whose Message Expiry has run out (each method that reads or adds events calls it first). */
  removeExpired(): void {
    const now = this.now();
    for (let event = this.expiries.takeExpired(now); event !== undefined; event = this.expiries.takeExpired(now)) {
      if (!this.isKept(event)) continue; // replaced meanwhile
      const rest = this.byTopic.get(event.topic)!.filter((other) => other !== event);
      if (rest.length === 0) this.byTopic.delete(event.topic);
      else this.byTopic.set(event.topic, rest);
      this.byteCount -= event.bytes;
      this.expiring--;
      this.meter.changed(rest.length === 0 ? -1 : 0, -event.bytes);
      this.meter.expired();
    }
  }

  private isKept(event: RetainedEvent): boolean {
    return this.byTopic.get(event.topic)?.includes(event) === true;
  }

  /** The newest retained event of `topic` that `receiver` would have received when it was published. */
  latestFor(topic: string, receiver: Session): RetainedEvent | undefined {
    this.removeExpired();
    const events = this.byTopic.get(topic);
    if (!events) return undefined;
    for (let i = events.length - 1; i >= 0; i--) {
      const event = events[i]!;
      if (event.excludedSession === receiver.id) continue;
      if (event.receivers && !isReceiverAllowed(receiver, event.receivers)) continue;
      return event;
    }
    return undefined;
  }

  /** Every event kept and not expired, topic by topic, oldest first within a topic. */
  events(): IterableIterator<RetainedEvent> {
    this.removeExpired();
    return this.allEvents();
  }

  private *allEvents(): IterableIterator<RetainedEvent> {
    for (const events of this.byTopic.values()) yield* events;
  }

  /** Topics with retained events that a subscription pattern covers (a scan, bounded by max_retained_topics; subscribing is not the hot path). */
  topicsMatching(pattern: string, match: MatchPolicy): string[] {
    this.removeExpired();
    if (match === 'exact') return this.byTopic.has(pattern) ? [pattern] : [];
    return [...this.byTopic.keys()].filter((topic) => uriMatches(pattern, match, topic));
  }
}

/** No arguments, keyword arguments or payload: how MQTT (an empty retained payload) and WAMP clear a retained topic. */
export function carriesNothing(message: Pick<RetainedEvent, 'args' | 'kwargs' | 'payload'>): boolean {
  return (message.args === undefined || message.args.length === 0) && (message.kwargs === undefined || Object.keys(message.kwargs).length === 0)
    && message.payload === undefined;
}

/**
 * A topic's events (in retainedOrder, the one for everyone, if any, first) with `event` in its
 * place: an event for everyone drops those before it; undefined when a later event for everyone
 * (or this same publication) is already kept.
 */
function withEvent(kept: readonly RetainedEvent[], event: RetainedEvent): RetainedEvent[] | undefined {
  let index = kept.length;
  while (index > 0 && retainedOrder(kept[index - 1]!, event) > 0) index--;
  const before = kept[index - 1];
  if (before && retainedOrder(before, event) === 0) return undefined;
  if (kept.slice(index).some((later) => !later.receivers)) return undefined;
  return event.receivers ? [...kept.slice(0, index), event, ...kept.slice(index)] : [event, ...kept.slice(index)];
}

function countExpiring(events: readonly RetainedEvent[]): number {
  let count = 0;
  for (const event of events) if (event.expiresAt !== undefined) count++;
  return count;
}

function sumBytes(events: readonly RetainedEvent[]): number {
  let total = 0;
  for (const event of events) total += event.bytes;
  return total;
}
