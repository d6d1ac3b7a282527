import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelRegistry, type ChannelSubscriber } from './channels.js';

function subscriber(socketId: string): ChannelSubscriber & { got: string[] } {
  const got: string[] = [];
  return { socketId, got, send: (text) => void got.push(text) };
}

describe('pusher channel registry', () => {
  it('counts a user with two connections as one member, added once and removed with the last', () => {
    const registry = new ChannelRegistry();
    const [a, b, c] = [subscriber('1.1'), subscriber('1.2'), subscriber('1.3')];
    registry.join('presence-x', a, { user_id: '7', user_info: { n: 1 } });
    registry.join('presence-x', b, { user_id: '7' });
    registry.join('presence-x', c, { user_id: '8' });
    assert.deepEqual(registry.members('presence-x'), new Map<string, unknown>([['7', undefined], ['8', undefined]]), 'the latest sign-in\'s info wins');
    assert.equal(registry.hasMember('presence-x', '7'), true);
    assert.equal(registry.subscriptionCount('presence-x'), 3);
    assert.deepEqual(registry.leave('presence-x', a), { vacated: false, memberRemoved: undefined });
    assert.deepEqual(registry.leave('presence-x', b), { vacated: false, memberRemoved: { user_id: '7' } });
    assert.deepEqual(registry.leave('presence-x', c), { vacated: true, memberRemoved: { user_id: '8' } });
    assert.equal(registry.occupied('presence-x'), false);
    assert.deepEqual([...registry.names()], []);
  });

  it('broadcasts to every subscriber but the one excepted', () => {
    const registry = new ChannelRegistry();
    const [a, b] = [subscriber('1.1'), subscriber('1.2')];
    registry.join('c', a);
    registry.join('c', b);
    registry.broadcast('c', 'hello', a);
    assert.deepEqual([a.got, b.got], [[], ['hello']]);
    assert.deepEqual(registry.leave('c', subscriber('9.9')), { vacated: false, memberRemoved: undefined });
  });
});
