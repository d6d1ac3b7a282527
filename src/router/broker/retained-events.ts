import type { Args, Dict } from '../../protocol/messages.js';
import { uriMatches, type MatchPolicy } from '../../protocol/uri.js';
import type { PublishOptions } from '../options.js';
import type { Session } from '../session.js';
import { isReceiverAllowed } from './publish-filter.js';

/** A publication kept for subscribers that ask for it later (SUBSCRIBE get_retained). */
export interface RetainedEvent {
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
}

/**
 * Retained events per topic, bounded. The spec asks for the most recent event a subscriber
 * would have received: an event for everyone replaces the topic's list; events with receiver
 * lists queue behind it (a few per topic), so a subscriber they exclude still finds the last
 * one meant for it. At most `topicLimit` topics are kept; the least recently retained goes first.
 */
export class RetainedEvents {
  static readonly perTopic = 8;
  private readonly byTopic = new Map<string, RetainedEvent[]>();

  constructor(private readonly topicLimit: number) {}

  get topicCount(): number {
    return this.byTopic.size;
  }

  retain(event: RetainedEvent): void {
    if (this.topicLimit <= 0) return;
    const kept = this.byTopic.get(event.topic);
    // Re-inserting moves the topic to the end of the map's order: the eviction order.
    this.byTopic.delete(event.topic);
    const events = kept && event.receivers ? kept : [];
    events.push(event);
    if (events.length > RetainedEvents.perTopic) events.splice(events[0]!.receivers ? 0 : 1, 1);
    this.byTopic.set(event.topic, events);
    if (this.byTopic.size > this.topicLimit) this.byTopic.delete(this.byTopic.keys().next().value!);
  }

  /** The newest retained event of `topic` that `receiver` would have received when it was published. */
  latestFor(topic: string, receiver: Session): RetainedEvent | undefined {
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

  /** Topics with retained events that a subscription pattern covers (a scan, bounded by the topic limit; subscribing is not the hot path). */
  topicsMatching(pattern: string, match: MatchPolicy): string[] {
    if (match === 'exact') return this.byTopic.has(pattern) ? [pattern] : [];
    return [...this.byTopic.keys()].filter((topic) => uriMatches(pattern, match, topic));
  }
}
