import type { MatchPolicy } from '../../protocol/uri.js';
import type { RemoteHistory } from '../backplane.js';
import type { CopiedEvent, HistoryJournal } from './event-history.js';

/**
 * Where a realm's event history is kept beyond this process (a file, the node provides it): read
 * once at start, then told of every event a history keeps or lets go. `kept` and `dropped` come on
 * the publish path: a store buffers them and writes later, never blocking it.
 */
export interface HistoryStore {
  /** The events kept before this start, by the (uri, match) of their history, each oldest first. */
  load(): RemoteHistory[];
  /** The history of (uri, match) kept this event. */
  kept(uri: string, match: MatchPolicy, event: CopiedEvent): void;
  /** The history of (uri, match) let this publication go (for room, or not kept at load). */
  dropped(uri: string, match: MatchPolicy, publication: number): void;
}

export function journalOf(store: HistoryStore, uri: string, match: MatchPolicy): HistoryJournal {
  return {
    kept: (event) => store.kept(uri, match, event),
    dropped: (publication) => store.dropped(uri, match, publication),
  };
}
