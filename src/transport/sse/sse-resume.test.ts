import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PublicationPosition } from '../../router/broker/publication-positions.js';
import { planResume, type HistoryEvent, type ResumePlan, type TopicHistory } from './sse-resume.js';
import { MAX_POSITION_SOURCES } from '../../router/broker/publication-positions.js';
import { covers, formatEventId, merged, parseResumePoint, raise, reached, type ResumePoint } from './sse-resume-point.js';

function stored(publication: number, at: number, position?: PublicationPosition, topic?: string): HistoryEvent {
  const event = { publication, timestamp: new Date(Date.UTC(2024, 0, 1, 0, 0, 0, at)).toISOString(), details: topic ? { topic } : {}, args: [publication] };
  return position ? { ...event, position } : event;
}

function point(text: string): ResumePoint {
  const parsed = parseResumePoint(text);
  assert.notEqual(parsed.kind, 'invalid', text);
  return parsed as ResumePoint;
}

const ids = (plan: ResumePlan): number[] => {
  assert.equal(plan.kind, 'replay');
  return plan.kind === 'replay' ? plan.events.map((entry) => entry.event.publication) : [];
};

/** Two nodes' sources, as base64url names of 8 characters. */
const A = 'AAAAAAAA';
const B = 'BBBBBBBB';
const at = (source: string, seq: number): PublicationPosition => ({ source, seq });

describe('SSE event ids', () => {
  it('name the publication and the position reached in each source; parse back', () => {
    const id = formatEventId(42, new Map([[A, 35], [B, 1]]));
    assert.equal(id, `42:${A}.z,${B}.1`);
    const parsed = parseResumePoint(id);
    assert.deepEqual(parsed, { kind: 'positions', publication: 42, seen: new Map([[A, 35], [B, 1]]) });
    assert.deepEqual(parseResumePoint('42:'), { kind: 'positions', publication: 42, seen: new Map() });
  });

  it('still read a bare publication ID (ids given before positions)', () => {
    assert.deepEqual(parseResumePoint('4071539862112347'), { kind: 'publication', publication: 4071539862112347 });
  });

  it('refuse what is not one of ours, saying so, and stay bounded in size', () => {
    const tooMany = Array.from({ length: 17 }, (_, i) => `${String(i).padStart(8, 'x')}.1`).join(',');
    for (const bad of ['abc', '0', '-3', '1.5', '9007199254740993', 'x'.repeat(100), `1:${A}`, `1:${A}.1,${A}.2`, `1:${A}.ZZ`, `1:short.1`,
      `1:${A}.zzzzzzzzzzzz`, `1:${tooMany}`]) {
      const parsed = parseResumePoint(bad);
      assert.equal(parsed.kind, 'invalid', bad);
      assert.match(parsed.kind === 'invalid' ? parsed.reason : '', /is not an event id of this router/);
    }
  });

  it('merge a node\'s heads with a client\'s place ahead of them, and tell when the node has caught up', () => {
    const heads = new Map([[A, 5], [B, 2]]);
    const client = new Map([[A, 7]]);
    assert.deepEqual(merged(heads, client), new Map([[A, 7], [B, 2]]));
    assert.equal(reached(heads, client), false);
    assert.equal(reached(new Map([[A, 7]]), client), true);
    assert.equal(covers(client, at(A, 7)), true);
    assert.equal(covers(client, at(A, 8)), false);
    assert.equal(covers(client, at(B, 1)), false);
    assert.equal(covers(client, undefined), false);
  });

  it('stay within MAX_POSITION_SOURCES entries however many sources a stream meets', () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) raise(seen, at(String(i).padStart(8, 'x'), 1));
    raise(seen, at('00000039'.replace('0000', 'xxxx'), 0));
    assert.equal(seen.size, MAX_POSITION_SOURCES);
    assert.equal(parseResumePoint(formatEventId(1, seen)).kind, 'positions');
    const heads = new Map([...seen].map(([source]) => [`${source.slice(1)}y`, 2] as [string, number]));
    assert.equal(merged(heads, seen).size, MAX_POSITION_SOURCES);
  });
});

describe('SSE resume by position', () => {
  it('replays exactly what the client missed although the two nodes interleaved the sources differently', () => {
    // Node 1 had A1 B1 A2 B2; the client got them all, its last id was made after B2 (A:2, B:2).
    // Node 2 kept them as B1 B2 A1 A2 A3 B3: "after the last id" by place would skip or repeat.
    const node2: TopicHistory = { uri: 'news', match: 'exact', events: [
      stored(21, 1, at(B, 1)), stored(22, 2, at(B, 2)), stored(11, 3, at(A, 1)), stored(12, 4, at(A, 2)), stored(13, 5, at(A, 3)), stored(23, 6, at(B, 3)),
    ] };
    const plan = planResume(point(`22:${A}.2,${B}.2`), [node2]);
    assert.deepEqual(ids(plan), [13, 23]);
    assert.deepEqual(plan.kind === 'replay' ? [...plan.had].sort() : [], [11, 12, 21, 22]);
    // A client that had only B1 and A1 (node 1 got B's first): B2, A2, A3, B3.
    assert.deepEqual(ids(planResume(point(`11:${A}.1,${B}.1`), [node2])), [22, 12, 13, 23]);
    // A source the client never saw (a node started since): all of its kept events.
    assert.deepEqual(ids(planResume(point(`12:${A}.2`), [node2])), [21, 22, 13, 23]);
  });

  it('replays nothing of a source the client is ahead of this node in (its events are still on their way)', () => {
    const history: TopicHistory = { uri: 'news', match: 'exact', events: [stored(11, 1, at(A, 1)), stored(21, 2, at(B, 1)), stored(22, 3, at(B, 2))] };
    const plan = planResume(point(`13:${A}.3,${B}.1`), [history]);
    assert.deepEqual(ids(plan), [22]);
    assert.equal(plan.kind === 'replay' ? plan.gap : 'x', undefined);
  });

  it('keeps each source\'s order across topics kept in the same millisecond', () => {
    const news: TopicHistory = { uri: 'news', match: 'exact', events: [stored(12, 5, at(A, 2)), stored(14, 6, at(A, 4))] };
    const sport: TopicHistory = { uri: 'sport', match: 'exact', events: [stored(11, 5, at(A, 1)), stored(13, 5, at(A, 3)), stored(21, 5, at(B, 1))] };
        // By time alone: 12 11 13 21 14; A's events then take those places in A's order.
    assert.deepEqual(ids(planResume(point('1:'), [news, sport])), [11, 12, 13, 21, 14]);
  });

  it('marks a gap when events after the client\'s place are no longer kept, and counts events without a position', () => {
    const history: TopicHistory = {
      uri: 'news', match: 'exact', events: [stored(14, 4, at(A, 4)), stored(99, 5)],
      droppedUpTo: (source) => (source === A ? 3 : undefined),
    };
    const plan = planResume(point(`11:${A}.1`), [history]);
    assert.deepEqual(ids(plan), [14]);
    assert.match(plan.kind === 'replay' ? plan.gap ?? '' : '', /no longer kept/);
    assert.equal(plan.kind === 'replay' ? plan.unplaced : 0, 1);
    const caughtUp = planResume(point(`13:${A}.3`), [history]);
    assert.equal(caughtUp.kind === 'replay' ? caughtUp.gap : 'x', undefined);
  });
});

describe('SSE resume from a bare publication ID', () => {
  const news: TopicHistory = { uri: 'news', match: 'exact', events: [stored(11, 1), stored(12, 2), stored(13, 3), stored(14, 4)] };

  it('replays every event stored after the last one the client had', () => {
    assert.deepEqual(ids(planResume(point('12'), [news])), [13, 14]);
    assert.deepEqual(ids(planResume(point('14'), [news])), []);
  });

  it('names the kept events the client had, so that one also arriving live is not sent again', () => {
    const plan = planResume(point('12'), [news]);
    assert.deepEqual(plan.kind === 'replay' ? [...plan.had] : [], [11, 12]);
  });

  it('resumes right after an unknown ID once it has arrived', () => {
    assert.deepEqual(planResume(point('15'), [news]), { kind: 'unknown', publication: 15 });
    const arrived: TopicHistory = { ...news, events: [...news.events!, stored(15, 5), stored(16, 6)] };
    assert.deepEqual(ids(planResume(point('15'), [arrived])), [16]);
  });

  it('calls an ID not in the history unknown (the caller waits for it), then replays every kept event with a gap', () => {
    assert.deepEqual(planResume(point('99'), [news]), { kind: 'unknown', publication: 99 });
    const given = planResume(point('99'), [news], { fromOldest: true });
    assert.deepEqual(ids(given), [11, 12, 13, 14]);
    assert.match(given.kind === 'replay' ? given.gap ?? '' : '', /event 99 is not in the event history/);
  });

  it('goes live, saying why, for topics without history', () => {
    const none = planResume(point('12'), [{ uri: 'chat', match: 'exact', events: undefined }]);
    assert.match(none.kind === 'live' ? none.reason : '', /no event history is kept/);
  });

  it('with several topics, replays the others from the resume event time on, merged in time order', () => {
    const sport: TopicHistory = { uri: 'sport', match: 'exact', events: [stored(21, 1), stored(22, 2), stored(23, 5)] };
    // 12 is at t=2: sport's 22 (same millisecond) is replayed too: at least once, never lost.
    assert.deepEqual(ids(planResume(point('12'), [news, sport])), [22, 13, 14, 23]);
  });

  it('names topics without history, and replays a publication stored by two subscriptions once', () => {
    const pattern: TopicHistory = { uri: 'news', match: 'prefix', events: [stored(12, 2, undefined, 'news'), stored(13, 3, undefined, 'news'), stored(15, 5, undefined, 'news.x')] };
    const plan = planResume(point('12'), [news, pattern, { uri: 'chat', match: 'exact', events: undefined }]);
    assert.deepEqual(ids(plan), [13, 14, 15]);
    assert.deepEqual(plan.kind === 'replay' ? plan.withoutHistory : [], ['chat']);
    assert.deepEqual(plan.kind === 'replay' ? plan.events.map((entry) => entry.topic) : [], ['news', 'news', 'news.x']);
  });
});
