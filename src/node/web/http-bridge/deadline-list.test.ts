import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeadlineList } from './deadline-list.js';
import { Refusal } from './refusal.js';

function pending<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: Error): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

describe('DeadlineList', () => {
  // Its timer is unref'd (in the router the requests' sockets keep the process alive): here this does.
  let keepAlive: NodeJS.Timeout;
  before(() => (keepAlive = setInterval(() => {}, 1_000)));
  after(() => clearInterval(keepAlive));

  it('passes on a value that arrives in time and forgets its deadline', async () => {
    const deadlines = new DeadlineList();
    assert.equal(await deadlines.within(Promise.resolve(7), 50, 'the router did not answer'), 7);
    assert.equal(deadlines.size, 0);
  });

  it('passes on a rejection that arrives in time', async () => {
    const deadlines = new DeadlineList();
    await assert.rejects(deadlines.within(Promise.reject(new Error('not authorized')), 50, 'x'), /not authorized/);
    assert.equal(deadlines.size, 0);
  });

  it('fails with a 504 refusal naming what did not happen once the time passed', async () => {
    const deadlines = new DeadlineList();
    const never = pending<number>();
    const started = performance.now();
    const error = await deadlines.within(never.promise, 30, 'the router did not acknowledge the publication').catch((e: unknown) => e);
    assert.ok(error instanceof Refusal);
    assert.equal(error.status, 504);
    assert.equal(error.code, 'no_answer');
    assert.equal(error.message, 'the router did not acknowledge the publication within 30 ms');
    assert.ok(performance.now() - started >= 29, 'not before its time');
    assert.equal(deadlines.size, 0);
    // An answer after the deadline changes nothing.
    never.resolve(1);
  });

  it('expires each deadline at its own time or later, in order of expiry whatever order they were set in, and not the settled ones', { timeout: 10_000 }, async () => {
    const deadlines = new DeadlineList();
    const started = performance.now();
    const expired: { name: string; after: number }[] = [];
    const watch = (name: string, ms: number, promise: Promise<unknown>) =>
      deadlines.within(promise, ms, name).catch((error: unknown) => {
        if (error instanceof Refusal) expired.push({ name, after: performance.now() - started });
      });
    const settled = pending<number>();
    const all = Promise.all([
      watch('long', 90, pending().promise),
      watch('short', 20, pending().promise),
      watch('settled', 10, settled.promise),
      watch('middle', 50, pending().promise),
    ]);
    settled.resolve(1);
    await all;
    // Only a lower bound on the times: a busy machine may run the timer late, never early.
    assert.deepEqual(expired.map(({ name }) => name), ['short', 'middle', 'long']);
    expired.forEach(({ name, after }, index) => assert.ok(after >= [20, 50, 90][index]! - 1, `${name} expired after ${after} ms`));
    assert.equal(deadlines.size, 0);
  });

  it('keeps one deadline running when an earlier one settles first', { timeout: 10_000 }, async () => {
    const deadlines = new DeadlineList();
    const first = pending<number>();
    const firstDone = deadlines.within(first.promise, 20, 'first');
    const second = deadlines.within(pending<number>().promise, 40, 'second').catch((error: unknown) => error);
    first.resolve(3);
    assert.equal(await firstDone, 3);
    assert.ok((await second) instanceof Refusal, 'the timer armed for the settled one re-armed for the next');
    assert.equal(deadlines.size, 0);
  });
});
