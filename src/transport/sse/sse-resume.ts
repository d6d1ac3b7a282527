import type { Args, Dict } from '../../protocol/messages.js';
import type { MatchPolicy } from '../../protocol/uri.js';
import type { PublicationPosition } from '../../router/broker/publication-positions.js';
import type { ResumePoint } from './sse-resume-point.js';

/**
 * Resuming a stream from Last-Event-ID: which stored events the client missed.
 *
 * An id of this version names the client's position in each source of publications (see
 * sse-resume-point.ts): the replay is every kept event past it, in this node's order but with
 * each source's events in their own order, and exact whichever node the client left. A position
 * past what this node has heard (its events are still on their way) replays nothing of that
 * source: those events are recognised by their position when they arrive, and dropped.
 *
 * An id of before (a bare publication ID) names a place in one history. For a topic whose history
 * holds it, the replay is every event stored after it; other topics of the stream are replayed
 * from its timestamp (millisecond resolution) on, inclusive: at least once, never lost. An ID
 * not (yet) in the history is `unknown`: the caller may wait for it, then give up (`fromOldest`).
 */

/** An event as the router's event history stores it (the shape of wamp.subscription.get_events). */
export interface HistoryEvent {
  readonly publication: number;
  /** RFC 3339, with milliseconds. */
  readonly timestamp: string;
  readonly details: Dict;
  readonly args?: Args;
  readonly kwargs?: Dict;
  /** Undefined for an event from a node of an older version, which sent none. */
  readonly position?: PublicationPosition;
}

/** One subscription of the stream, with the stored events its reader may see (oldest first). */
export interface TopicHistory {
  uri: string;
  match: MatchPolicy;
  /** Undefined: no history is kept for this topic. */
  events: readonly HistoryEvent[] | undefined;
  /** The highest seq of a source among the events the history let go (no longer kept). */
  droppedUpTo?(source: string): number | undefined;
}

export interface ReplayEvent {
  /** The topic the event was published to. */
  topic: string;
  event: HistoryEvent;
}

export type ResumePlan =
  /**
   * Replay these (oldest first), then go live. `withoutHistory` names topics that can only go live;
   * `gap` says why events the client missed may not all be there; `unplaced` counts kept events
   * without a position (from a node of an older version), which a resume by position cannot place.
   * `had`: kept events the client already had (before its resume point), for the caller to drop
   * should one also arrive live (it may, when it reached this node only just now).
   */
  | { kind: 'replay'; events: ReplayEvent[]; withoutHistory: string[]; gap?: string; unplaced: number; had: ReadonlySet<number> }
  /** Nothing can be replayed; `reason` is for the stream's comment line. */
  | { kind: 'live'; reason: string }
  /** A bare publication ID this node's history does not hold (yet). */
  | { kind: 'unknown'; publication: number };

export interface ResumeOptions {
  /** A bare publication ID still unknown after waiting: replay every kept event, with a gap. */
  fromOldest?: boolean;
}

export function planResume(point: ResumePoint, topics: readonly TopicHistory[], options: ResumeOptions = {}): ResumePlan {
  const withHistory = topics.filter((topic) => topic.events !== undefined);
  if (withHistory.length === 0) return { kind: 'live', reason: 'no event history is kept for these topics; live events only' };
  const withoutHistory = topics.filter((topic) => topic.events === undefined).map((topic) => topic.uri);
  if (point.kind === 'positions') {
    const plan = replayByPosition(point.seen, withHistory);
    return { kind: 'replay', withoutHistory, ...plan, had: had(withHistory, plan.events, (event) => event.position !== undefined) };
  }
  const found = afterPublication(point.publication, withHistory);
  if (found) return { kind: 'replay', withoutHistory, events: found, unplaced: 0, had: had(withHistory, found, () => true) };
  if (!options.fromOldest) return { kind: 'unknown', publication: point.publication };
  return {
    kind: 'replay', withoutHistory, events: inTimeOrder(withHistory, (topic) => topic.events!), unplaced: 0, had: new Set(),
    gap: `event ${point.publication} is not in the event history (unknown, or older than the history keeps); every kept event follows`,
  };
}

/** The kept events (those `placed` of them) that are not replayed: the client had them. */
function had(histories: readonly TopicHistory[], replayed: readonly ReplayEvent[], placed: (event: HistoryEvent) => boolean): Set<number> {
  const replaying = new Set(replayed.map(({ event }) => event.publication));
  const result = new Set<number>();
  for (const topic of histories) {
    for (const event of topic.events!) if (placed(event) && !replaying.has(event.publication)) result.add(event.publication);
  }
  return result;
}

function replayByPosition(seen: ReadonlyMap<string, number>, histories: readonly TopicHistory[]): { events: ReplayEvent[]; gap?: string; unplaced: number } {
  let unplaced = 0;
  const events = inTimeOrder(histories, (topic) => topic.events!.filter((event) => {
    if (!event.position) unplaced++;
    return event.position !== undefined && event.position.seq > (seen.get(event.position.source) ?? 0);
  }));
  const lost = histories.some((topic) => [...seen].some(([source, seq]) => (topic.droppedUpTo?.(source) ?? 0) > seq));
  const gap = lost ? 'events after this stream\'s last one are no longer kept (the history let them go); every kept event after it follows' : undefined;
  return gap ? { events, gap, unplaced } : { events, unplaced };
}

/** Every event after a bare publication ID, if a history holds it (see the module comment). */
function afterPublication(id: number, histories: readonly TopicHistory[]): ReplayEvent[] | undefined {
  const anchor = histories.map((topic) => topic.events!.find((event) => event.publication === id)).find((event) => event !== undefined);
  if (!anchor) return undefined;
  const anchorTime = Date.parse(anchor.timestamp);
  return inTimeOrder(histories, (topic) => {
    const events = topic.events!;
    const at = events.findIndex((event) => event.publication === id);
    return at >= 0 ? events.slice(at + 1) : events.filter((event) => Date.parse(event.timestamp) >= anchorTime && event.publication !== id);
  });
}

/**
 * The events `select` picks from each history, each publication once, by the time each was kept;
 * then each source's events put back in their own order among the places they took (two of one
 * source kept in the same millisecond by two histories may otherwise swap).
 */
function inTimeOrder(histories: readonly TopicHistory[], select: (topic: TopicHistory) => readonly HistoryEvent[]): ReplayEvent[] {
  const replay: { event: ReplayEvent; time: number }[] = [];
  const taken = new Set<number>();
  for (const topic of histories) {
    for (const event of select(topic)) {
      // An event stored by two subscriptions of the stream (exact and prefix) is replayed once.
      if (taken.has(event.publication)) continue;
      taken.add(event.publication);
      replay.push({ event: { topic: topicOf(event, topic.uri), event }, time: Date.parse(event.timestamp) });
    }
  }
  // Array.prototype.sort is stable: each history's own order is kept among equal timestamps.
  replay.sort((a, b) => a.time - b.time);
  const events = replay.map((entry) => entry.event);
  return histories.length > 1 ? inSourceOrder(events) : events;
}

function inSourceOrder(events: ReplayEvent[]): ReplayEvent[] {
  const slots = new Map<string, number[]>();
  events.forEach(({ event }, index) => {
    const source = event.position?.source;
    if (source === undefined) return;
    const indexes = slots.get(source);
    if (indexes) indexes.push(index);
    else slots.set(source, [index]);
  });
  const result = [...events];
  for (const indexes of slots.values()) {
    const ordered = indexes.map((index) => events[index]!).sort((a, b) => a.event.position!.seq - b.event.position!.seq);
    indexes.forEach((index, i) => (result[index] = ordered[i]!));
  }
  return result;
}

/** A pattern subscription's events name their topic; an exact one's topic is its URI. */
export function topicOf(event: { details: Dict }, subscribedUri: string): string {
  const topic = event.details.topic;
  return typeof topic === 'string' ? topic : subscribedUri;
}
