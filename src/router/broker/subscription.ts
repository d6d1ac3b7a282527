import type { MatchPolicy } from '../../protocol/uri.js';
import type { Session } from '../session.js';
import type { EventHistory } from './event-history.js';
import type { SmallSet } from './small-set.js';

/** A topic (uri and match policy) and the sessions subscribed to it. */
export interface Subscription {
  readonly id: number;
  readonly uri: string;
  readonly match: MatchPolicy;
  readonly created: string;
  /** Most subscriptions of many sessions have one subscriber each (a per-user topic): a SmallSet, not a Set. */
  readonly subscribers: SmallSet<Session>;
  /**
   * Events kept for wamp.subscription.get_events when the realm's history settings name this
   * (uri, match). Such a subscription exists from the start and outlives its subscribers.
   */
  readonly history: EventHistory | undefined;
}
