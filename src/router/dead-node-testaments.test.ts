import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Clock } from './dealer/dealer.js';
import { DeadNodeTestaments, testamentKeepMs, type OrphanedTestaments } from './dead-node-testaments.js';
import { silentLogger } from './log.js';

/** A clock whose timers fire only when the test moves it on. */
class ManualClock implements Clock {
  private time = 0;
  private timers: { at: number; callback: () => void; timer: ReturnType<typeof setTimeout> }[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): ReturnType<typeof setTimeout> {
    // A real, never-firing timer, so that clearTimeout on it works as in the code under test.
    const timer = setTimeout(() => undefined, 2 ** 31 - 1);
    clearTimeout(timer);
    this.timers.push({ at: this.time + ms, callback, timer });
    return timer;
  }

  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const { callback } of due) callback();
  }
}

const will = (session: number, ...topics: string[]): OrphanedTestaments => ({
  realm: 'r', session, testaments: topics.map((topic) => ({ topic, args: [session], kwargs: {}, options: {} })),
});

/** A keeper named `nodeId`; the witnesses it asks answer from `answers` (witness -> answer), else fail. */
function keeper(nodeId: string, keepMs = 60_000, answers: Record<string, string> = {}): { keeper: DeadNodeTestaments; clock: ManualClock; log: string[] } {
  const log: string[] = [];
  const clock = new ManualClock();
  const kept = new DeadNodeTestaments(nodeId, {
    publish: (realm, testaments) => log.push(...testaments.map((t) => `publish ${realm} ${t.topic}`)),
    announcePublished: (node, realm, session) => log.push(`announce ${node} ${realm} ${session}`),
    dropped: (node, sessions) => log.push(`dropped ${node} ${sessions}`),
    ask: async (witness, node) => {
      log.push(`ask ${witness} about ${node}`);
      if (answers[witness] === undefined) throw new Error('no answer');
      return answers[witness];
    },
  }, clock, silentLogger, keepMs);
  return { keeper: kept, clock, log };
}

const answered = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('DeadNodeTestaments', () => {
  it('publishes at once, each session then its announcement, when this node sorts first among the witnesses', () => {
    const { keeper: kept, log } = keeper('b');
    kept.nodeGone('a', [will(1, 't1', 't2'), will(2), will(3, 't3')], ['c', 'd']);
    assert.deepEqual(log, ['publish r t1', 'publish r t2', 'announce a r 1', 'publish r t3', 'announce a r 3']);
    assert.equal(kept.deadNodeCount, 0);
  });

  it('waits for the first witness, and publishes only what it did not announce when it dies', () => {
    const { keeper: kept, log } = keeper('c');
    kept.nodeGone('a', [will(1, 't1'), will(2, 't2')], ['b']);
    assert.deepEqual(log, ['ask b about a']);
    kept.published('a', 'r', 1); // b got as far as session 1, then died
    kept.nodeGone('b', [], []);
    assert.deepEqual(log.slice(1), ['publish r t2', 'announce a r 2']);
  });

  it('passes over a witness that never knew the dead node (it started after the death), and waits for one that did', async () => {
    const { keeper: kept, log } = keeper('d', 60_000, { a0: 'unknown', b: 'noticed' });
    kept.nodeGone('x', [will(1, 't1')], ['a0', 'b', 'e']);
    await answered();
    assert.deepEqual(log, ['ask a0 about x', 'ask b about x'], 'b knew x: d waits for it');
    kept.nodeGone('b', [], ['a0', 'e']);
    assert.deepEqual(log.slice(2), ['publish r t1', 'announce x r 1']);
  });

  it('says what it knows of a node another found dead', () => {
    const { keeper: kept, clock } = keeper('c', 1_000);
    assert.equal(kept.knowledgeOf('a', true), 'alive');
    assert.equal(kept.knowledgeOf('a', false), 'unknown');
    kept.nodeGone('a', [], ['b']);
    assert.equal(kept.knowledgeOf('a', false), 'noticed', 'even with no testaments of it');
    clock.advance(1_000);
    kept.nodeGone('z', [], ['b']);
    assert.equal(kept.knowledgeOf('a', false), 'unknown', 'forgotten after the keep time');
  });

  it('forgets a dead node once every session was announced', () => {
    const { keeper: kept, log } = keeper('c');
    kept.nodeGone('a', [will(1, 't1'), will(2, 't2')], ['b']);
    kept.published('a', 'r', 1);
    kept.published('a', 'r', 2);
    assert.equal(kept.deadNodeCount, 0);
    kept.nodeGone('b', [], []);
    assert.deepEqual(log, ['ask b about a']);
  });

  it('does not count a node that joined after the death as a witness', () => {
    const { keeper: kept, log } = keeper('c');
    kept.nodeGone('a', [will(1, 't1')], ['b']);
    // "a0" joined after a died (it never heard of a's sessions); it sorts first, but c does not wait for it.
    kept.nodeGone('b', [], ['a0']);
    assert.deepEqual(log, ['ask b about a', 'publish r t1', 'announce a r 1']);
  });

  it('drops, counts and forgets what no witness said it published within the keep time', () => {
    const { keeper: kept, clock, log } = keeper('c', 1_000);
    kept.nodeGone('a', [will(1, 't1'), will(2, 't2')], ['b']);
    clock.advance(999);
    assert.deepEqual(log, ['ask b about a']);
    clock.advance(1);
    assert.deepEqual(log.slice(1), ['dropped a 2']);
    kept.nodeGone('b', [], []);
    assert.deepEqual(log.slice(1), ['dropped a 2'], 'nothing left to publish');
  });

  it('keeps the sessions of each life of a node that died twice (a worker restarted under its name)', () => {
    const { keeper: kept, log } = keeper('c');
    kept.nodeGone('a', [will(1, 't1')], ['b']);
    kept.nodeGone('a', [will(2, 't2')], ['b']);
    kept.nodeGone('b', [], []);
    assert.deepEqual(log, ['ask b about a', 'publish r t1', 'announce a r 1', 'publish r t2', 'announce a r 2'], 'b asked once');
  });

  it('keeps them well past the lease', () => {
    assert.equal(testamentKeepMs(), 60_000);
    assert.equal(testamentKeepMs(3_000), 60_000);
    assert.equal(testamentKeepMs(30_000), 300_000);
  });
});
