import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../../protocol/codes.js';
import type { MatchPolicy } from '../../protocol/uri.js';
import { RouterHarness } from '../../../test/support/router-harness.js';
import type { RemoteHistory } from '../backplane.js';
import type { CopiedEvent } from './event-history.js';
import type { HistoryStore } from './history-store.js';

/** A store in memory that records what the broker tells it. */
class RecordingStore implements HistoryStore {
  readonly keptEvents: [string, MatchPolicy, CopiedEvent][] = [];
  readonly droppedEvents: [string, MatchPolicy, number][] = [];
  constructor(private readonly before: RemoteHistory[]) {}
  load(): RemoteHistory[] {
    return this.before;
  }
  kept(uri: string, match: MatchPolicy, event: CopiedEvent): void {
    this.keptEvents.push([uri, match, event]);
  }
  dropped(uri: string, match: MatchPolicy, publication: number): void {
    this.droppedEvents.push([uri, match, publication]);
  }
}

const copied = (publication: number, time: number, topic = 'log'): CopiedEvent =>
  ({ event: { timestamp: new Date(time).toISOString(), subscription: 1, publication, details: {}, args: [publication] }, time, topic });

const reader = { authid: 'a', authrole: 'anonymous' };

describe('broker - event history store', () => {
  it('starts with what the store held, under this start\'s limits, and lets the store drop the rest (older ones, topics no longer kept)', () => {
    const store = new RecordingStore([
      { uri: 'log', match: 'exact', events: [copied(11, 1_000), copied(12, 2_000), copied(13, 3_000)] },
      { uri: 'gone', match: 'exact', events: [copied(21, 1_500, 'gone')] },
    ]);
    const h = new RouterHarness({ realm: { eventHistory: [{ uri: 'log', match: 'exact', limit: 2, limitBytes: 0 }], historyStore: store } });
    const subscription = h.router.realm('realm1')!.broker.lookup('log', 'exact')!;
    const { events } = subscription.history!.query({}, reader);
    assert.deepEqual(events.map((event) => event.publication), [12, 13]);
    assert.ok(events.every((event) => event.subscription === subscription.id), 'the events carry this start\'s subscription ID');
    assert.deepEqual(store.droppedEvents, [['log', 'exact', 11], ['gone', 'exact', 21]]);
    assert.deepEqual(store.keptEvents, [], 'what was loaded is not written again');
  });

  it('tells the store each event kept live and each one let go for room', async () => {
    const store = new RecordingStore([]);
    const h = new RouterHarness({ realm: { eventHistory: [{ uri: 'log', match: 'prefix', limit: 2, limitBytes: 0 }], historyStore: store } });
    const pub = await h.join();
    for (let i = 1; i <= 3; i++) pub.peer.raw([T.PUBLISH, i, { acknowledge: true, exclude_authrole: i === 3 ? ['guest'] : undefined }, `log.${i}`, [i]]);
    const publications = pub.peer.take().map((message) => (message.type === T.PUBLISHED ? message.publication : 0));
    assert.deepEqual(store.keptEvents.map(([uri, match, { event, topic }]) => [uri, match, event.publication, topic]),
      publications.map((publication, i) => ['log', 'prefix', publication, `log.${i + 1}`]));
    assert.deepEqual(store.keptEvents[2]![2].receivers, { excludeAuthrole: ['guest'] }, 'the receiver lists travel with the event');
    assert.deepEqual(store.droppedEvents, [['log', 'prefix', publications[0]]]);
  });

  it('stores only what the history keeps (not a publication with session-ID lists)', async () => {
    const store = new RecordingStore([]);
    const h = new RouterHarness({ realm: { eventHistory: [{ uri: 'log', match: 'exact', limit: 5, limitBytes: 0 }], historyStore: store } });
    const pub = await h.join();
    pub.peer.raw([T.PUBLISH, 1, { exclude: [pub.id] }, 'log', ['by session']]);
    pub.peer.raw([T.PUBLISH, 2, {}, 'log', ['to all']]);
    assert.deepEqual(store.keptEvents.map(([, , { event }]) => event.args), [['to all']]);
  });
});
