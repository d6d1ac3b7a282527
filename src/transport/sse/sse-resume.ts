import type { Args, Dict } from '../../protocol/messages.js';
import type { MatchPolicy } from '../../protocol/uri.js';

/**
 * Resuming a stream from Last-Event-ID: which stored events the client missed.
 *
 * Publication IDs are random, so only a position in a history orders them. For a topic whose
 * history holds the ID, the replay is exact: every event stored after it. A stream of several
 * topics has one history per topic, and the ID sits in only one of them; for the others the
 * replay starts at the resume event's timestamp (millisecond resolution), inclusive: an event of
 * another topic published in the same millisecond may be replayed although the client had it,
 * but none is lost (at least once; the `id` lets a client drop a repeat).
 */

/** An event as the router's event history stores it (the shape of wamp.subscription.get_events). */
export interface HistoryEvent {
  readonly publication: number;
  /** RFC 3339, with milliseconds. */
  readonly timestamp: string;
  readonly details: Dict;
  readonly args?: Args;
  readonly kwargs?: Dict;
}

/** One subscription of the stream, with the stored events its reader may see (oldest first). */
export interface TopicHistory {
  uri: string;
  match: MatchPolicy;
  /** Undefined: no history is kept for this topic. */
  events: readonly HistoryEvent[] | undefined;
}

export interface ReplayEvent {
  /** The topic the event was published to. */
  topic: string;
  event: HistoryEvent;
}

export type ResumePlan =
  /** Replay these (oldest first), then go live. `withoutHistory` names topics that can only go live. */
  | { kind: 'replay'; events: ReplayEvent[]; withoutHistory: string[] }
  /** Nothing can be replayed; `reason` is for the stream's comment line. */
  | { kind: 'live'; reason: string };

/** WAMP IDs are 1..2^53. */
const maxId = 2n ** 53n;

export function planResume(lastEventId: string, topics: readonly TopicHistory[]): ResumePlan {
  const withHistory = topics.filter((topic) => topic.events !== undefined);
  if (withHistory.length === 0) return { kind: 'live', reason: 'no event history is kept for these topics; live events only' };
  if (!/^[1-9][0-9]{0,15}$/.test(lastEventId) || BigInt(lastEventId) > maxId) {
    return { kind: 'live', reason: `Last-Event-ID "${printable(lastEventId)}" is not a publication ID; live events only` };
  }
  const id = Number(lastEventId);
  let anchorTime: number | undefined;
  for (const topic of withHistory) {
    const found = topic.events!.find((event) => event.publication === id);
    if (found) {
      anchorTime = Date.parse(found.timestamp);
      break;
    }
  }
  if (anchorTime === undefined) {
    return { kind: 'live', reason: `event ${id} is not in the event history (unknown, or older than the history keeps); live events only` };
  }

  const replay: { event: ReplayEvent; time: number }[] = [];
  const replayed = new Set<number>();
  for (const topic of withHistory) {
    const events = topic.events!;
    const at = events.findIndex((event) => event.publication === id);
    const missed = at >= 0 ? events.slice(at + 1) : events.filter((event) => Date.parse(event.timestamp) >= anchorTime);
    for (const event of missed) {
      // An event stored by two subscriptions of the stream (exact and prefix) is replayed once.
      if (event.publication === id || replayed.has(event.publication)) continue;
      replayed.add(event.publication);
      replay.push({ event: { topic: topicOf(event, topic.uri), event }, time: Date.parse(event.timestamp) });
    }
  }
  // Array.prototype.sort is stable: each history's own order is kept among equal timestamps.
  replay.sort((a, b) => a.time - b.time);
  const withoutHistory = topics.filter((topic) => topic.events === undefined).map((topic) => topic.uri);
  return { kind: 'replay', events: replay.map((entry) => entry.event), withoutHistory };
}

/** A pattern subscription's events name their topic; an exact one's topic is its URI. */
export function topicOf(event: { details: Dict }, subscribedUri: string): string {
  const topic = event.details.topic;
  return typeof topic === 'string' ? topic : subscribedUri;
}

function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}...` : clean;
}
