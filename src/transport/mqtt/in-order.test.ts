import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InOrder } from './in-order.js';

describe('InOrder', () => {
  it('runs each step once it and every step before it settled, rejected ones included', async () => {
    const order = new InOrder();
    const ran: string[] = [];
    let releaseFirst = (): void => {};
    const first = new Promise<string>((resolve) => { releaseFirst = () => resolve('first'); });
    order.add(first, (outcome) => ran.push(outcome.status === 'fulfilled' ? outcome.value : 'failed'));
    order.add(Promise.reject(new Error('no')), (outcome) => ran.push(outcome.status));
    order.add(Promise.resolve('third'), (outcome) => ran.push(outcome.status === 'fulfilled' ? outcome.value : 'failed'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(ran, []);
    assert.equal(order.size, 3);
    releaseFirst();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(ran, ['first', 'rejected', 'third']);
    assert.equal(order.size, 0);
  });
});
