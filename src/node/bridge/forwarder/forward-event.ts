import type { FeedPlace } from '../../cluster/leased-feed.js';

/** An event to forward. */
export interface ForwardEvent {
  url: string;
  topic: string;
  publication: number;
  body: string;
  /** Where it was in the cluster's feed (leased-feed.ts), kept in the outbox with it. */
  feed?: FeedPlace;
}
