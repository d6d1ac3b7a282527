import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Channel } from './channel.js';

describe('Channel', () => {
  it('hands items over in order, whether pushed before or after the consumer waits', async () => {
    const channel = new Channel<number>();
    channel.push(1);
    const waiting = channel.next();
    assert.deepEqual(await waiting, { value: 1, done: false });
    const later = channel.next();
    channel.push(2);
    assert.deepEqual(await later, { value: 2, done: false });
  });

  it('finishes after queued items, or throws the error it was ended with', async () => {
    const channel = new Channel<number>();
    channel.push(1);
    channel.end(new Error('gone'));
    channel.push(2);
    const got: number[] = [];
    await assert.rejects(async () => {
      for await (const item of channel) got.push(item);
    }, /gone/);
    assert.deepEqual(got, [1]);
    assert.deepEqual(await channel.next(), { value: undefined, done: true });
  });

  it('wakes a waiting consumer when ended, and runs onReturn once when the consumer leaves', async () => {
    let returned = 0;
    const channel = new Channel<number>(() => returned++);
    const waiting = channel.next();
    channel.end();
    assert.deepEqual(await waiting, { value: undefined, done: true });
    assert.equal(returned, 0);
    const left = new Channel<number>(() => returned++);
    left.push(1);
    for await (const _ of left) break;
    await left.return();
    assert.equal(returned, 1);
  });
});
