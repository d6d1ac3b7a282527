import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UrlSlots } from './url-slots.js';

describe('UrlSlots', () => {
  it('lets at most perUrl holders in per URL, independently for each URL', async () => {
    const slots = new UrlSlots(2);
    const a1 = await slots.acquire('a');
    const a2 = await slots.acquire('a');
    const b1 = await slots.acquire('b');
    assert.ok(a1 && a2 && b1);
    const third: { release?: (() => void) | undefined } = {};
    const waiting = slots.acquire('a').then((release) => (third.release = release));
    await new Promise((resolve) => setImmediate(resolve));
    const waits = () => third.release === undefined; // a function: keeps TS from narrowing `third` for good
    assert.equal(waits(), true, 'a third request to a waits');
    assert.equal(slots.inFlight('a'), 2);
    a1();
    await waiting;
    assert.equal(waits(), false);
    assert.equal(slots.inFlight('a'), 2, 'the slot changed hands');
    a2();
    third.release?.();
    a2(); // a second release of the same slot changes nothing
    assert.equal(slots.inFlight('a'), 0);
    b1();
  });

  it('serves waiters in arrival order', async () => {
    const slots = new UrlSlots(1);
    const first = (await slots.acquire('u'))!;
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) => slots.acquire('u').then((release) => {
      order.push(n);
      release!();
    }));
    first();
    await Promise.all(waits);
    assert.deepEqual(order, [1, 2, 3]);
    assert.equal(slots.inFlight('u'), 0);
  });

  it('wakes every waiter without a slot when closed, and gives none afterwards', async () => {
    const slots = new UrlSlots(1);
    await slots.acquire('u');
    const waiter = slots.acquire('u');
    slots.close();
    assert.equal(await waiter, undefined);
    assert.equal(await slots.acquire('v'), undefined);
  });
});
