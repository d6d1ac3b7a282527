import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planResume, type HistoryEvent, type TopicHistory } from './sse-resume.js';

function stored(publication: number, at: number, topic?: string): HistoryEvent {
  return { publication, timestamp: new Date(Date.UTC(2024, 0, 1, 0, 0, 0, at)).toISOString(), details: topic ? { topic } : {}, args: [publication] };
}

const ids = (plan: ReturnType<typeof planResume>): number[] => {
  assert.equal(plan.kind, 'replay');
  return plan.kind === 'replay' ? plan.events.map((entry) => entry.event.publication) : [];
};

describe('SSE resume from event history', () => {
  const news: TopicHistory = { uri: 'news', match: 'exact', events: [stored(11, 1), stored(12, 2), stored(13, 3), stored(14, 4)] };

  it('replays every event stored after the last one the client had', () => {
    assert.deepEqual(ids(planResume('12', [news])), [13, 14]);
    assert.deepEqual(ids(planResume('14', [news])), []);
  });

  it('goes live, saying why, for an unknown or evicted ID, an ID that is not one, or topics without history', () => {
    const unknown = planResume('99', [news]);
    assert.equal(unknown.kind, 'live');
    assert.match(unknown.kind === 'live' ? unknown.reason : '', /event 99 is not in the event history/);
    for (const bad of ['abc', '0', '-3', '1.5', '9007199254740993', 'x'.repeat(100)]) {
      const plan = planResume(bad, [news]);
      assert.equal(plan.kind, 'live', bad);
      assert.match(plan.kind === 'live' ? plan.reason : '', /is not a publication ID/);
    }
    const none = planResume('12', [{ uri: 'chat', match: 'exact', events: undefined }]);
    assert.match(none.kind === 'live' ? none.reason : '', /no event history is kept/);
  });

  it('with several topics, replays the others from the resume event time on, merged in time order', () => {
    const sport: TopicHistory = { uri: 'sport', match: 'exact', events: [stored(21, 1), stored(22, 2), stored(23, 5)] };
    // 12 is at t=2: sport's 22 (same millisecond) is replayed too: at least once, never lost.
    assert.deepEqual(ids(planResume('12', [news, sport])), [22, 13, 14, 23]);
  });

  it('names topics without history, and replays a publication stored by two subscriptions once', () => {
    const pattern: TopicHistory = { uri: 'news', match: 'prefix', events: [stored(12, 2, 'news'), stored(13, 3, 'news'), stored(15, 5, 'news.x')] };
    const plan = planResume('12', [news, pattern, { uri: 'chat', match: 'exact', events: undefined }]);
    assert.deepEqual(ids(plan), [13, 14, 15]);
    assert.deepEqual(plan.kind === 'replay' ? plan.withoutHistory : [], ['chat']);
    assert.deepEqual(plan.kind === 'replay' ? plan.events.map((entry) => entry.topic) : [], ['news', 'news', 'news.x']);
  });
});
