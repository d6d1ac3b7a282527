import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueueFullError, RunSlots } from './run-slots.js';

describe('RunSlots', () => {
  it('runs up to the concurrency, queues up to the limit, refuses the rest', async () => {
    const slots = new RunSlots(2, 1);
    await slots.acquire();
    await slots.acquire();
    let third = false;
    const waiting = slots.acquire().then(() => (third = true));
    await assert.rejects(slots.acquire(), (error: unknown) => error instanceof QueueFullError && /2 runs in progress and 1 call waiting/.test(error.message));
    assert.deepEqual([slots.runningCount, slots.waitingCount, third], [2, 1, false]);
    slots.release();
    await waiting;
    assert.deepEqual([slots.runningCount, slots.waitingCount, third], [2, 0, true], 'the slot passed to the waiting call');
    slots.release();
    slots.release();
    assert.equal(slots.runningCount, 0);
  });

  it('serves waiting calls in order', async () => {
    const slots = new RunSlots(1, 3);
    await slots.acquire();
    const order: number[] = [];
    const waiting = [1, 2, 3].map((n) => slots.acquire().then(() => {
      order.push(n);
      slots.release();
    }));
    slots.release();
    await Promise.all(waiting);
    assert.deepEqual(order, [1, 2, 3]);
  });

  it('drops an aborted waiting call from the line', async () => {
    const slots = new RunSlots(1, 1);
    await slots.acquire();
    const controller = new AbortController();
    const waiting = slots.acquire(controller.signal);
    controller.abort(new Error('caller went away'));
    await assert.rejects(waiting, /caller went away/);
    assert.equal(slots.waitingCount, 0);
    await assert.rejects(slots.acquire(controller.signal), /caller went away/, 'an aborted signal never takes a slot');
  });

  it('refuses every waiting call when stopped', async () => {
    const slots = new RunSlots(1, 5);
    await slots.acquire();
    const waiting = [slots.acquire(), slots.acquire()];
    slots.rejectWaiting(new Error('stopping'));
    for (const one of waiting) await assert.rejects(one, /stopping/);
  });
});
