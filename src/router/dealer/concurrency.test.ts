import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../../protocol/codes.js';
import type { Dict, WampMessage } from '../../protocol/messages.js';
import { flush, onlyMessage, RouterHarness, type MemoryPeer } from '../../../test/support/router-harness.js';

/** Crossbar's REGISTER option `concurrency`: a callee's most calls in flight on one registration. */

async function register(peer: MemoryPeer, procedure: string, options: Dict): Promise<void> {
  peer.raw([T.REGISTER, 1, options, procedure]);
  await flush();
  onlyMessage(peer.take(), T.REGISTERED);
}

function invocations(peer: MemoryPeer): Extract<WampMessage, { type: typeof T.INVOCATION }>[] {
  return peer.take().filter((m) => m.type === T.INVOCATION) as Extract<WampMessage, { type: typeof T.INVOCATION }>[];
}

describe('dealer - REGISTER concurrency (Crossbar\'s option)', () => {
  it('refuses a call beyond a single callee\'s limit with crossbar.error.max_concurrency_reached, and frees the place as each call ends', async () => {
    const h = new RouterHarness();
    const callee = await h.join();
    await register(callee.peer, 'com.busy', { concurrency: 2 });
    const caller = await h.join();
    for (const request of [1, 2, 3]) caller.peer.raw([T.CALL, request, {}, 'com.busy']);
    const [first, second] = invocations(callee.peer);
    const refused = onlyMessage(caller.peer.take(), T.ERROR);
    assert.equal(refused.request, 3);
    assert.equal(refused.error, 'crossbar.error.max_concurrency_reached');

    callee.peer.raw([T.YIELD, first!.request, {}, ['one']]);
    caller.peer.raw([T.CALL, 4, {}, 'com.busy']);
    assert.equal(invocations(callee.peer).length, 1, 'a YIELD frees a place');
    callee.peer.raw([T.ERROR, T.INVOCATION, second!.request, {}, 'com.example.failed']);
    caller.peer.raw([T.CALL, 5, { timeout: 10 }, 'com.busy']);
    assert.equal(invocations(callee.peer).length, 1, 'an ERROR frees a place');
    caller.peer.take();
    h.clock.advance(10);
    assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, 'wamp.error.timeout');
    caller.peer.raw([T.CALL, 6, {}, 'com.busy']);
    assert.equal(invocations(callee.peer).length, 1, 'a timeout frees a place');
    caller.peer.raw([T.CALL, 7, {}, 'com.busy']);
    assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, 'crossbar.error.max_concurrency_reached');
  });

  it('passes over busy callees round-robin, and refuses only when every one is busy', async () => {
    const h = new RouterHarness();
    const limited = await h.join();
    const free = await h.join();
    await register(limited.peer, 'com.pool', { invoke: 'roundrobin', concurrency: 1 });
    await register(free.peer, 'com.pool', { invoke: 'roundrobin', concurrency: 2 });
    const caller = await h.join();
    for (const request of [1, 2, 3, 4]) caller.peer.raw([T.CALL, request, {}, 'com.pool']);
    assert.equal(invocations(limited.peer).length, 1);
    assert.equal(invocations(free.peer).length, 2);
    assert.deepEqual(caller.peer.take().map((m) => [m.type, (m as { request: number }).request]), [[T.ERROR, 4]]);
  });

  it('frees the places of a callee that leaves, and counts per callee, not per registration', async () => {
    const h = new RouterHarness();
    const a = await h.join();
    await register(a.peer, 'com.last', { invoke: 'last', concurrency: 1 });
    const caller = await h.join();
    caller.peer.raw([T.CALL, 1, {}, 'com.last']);
    assert.equal(invocations(a.peer).length, 1);
    const b = await h.join();
    await register(b.peer, 'com.last', { invoke: 'last' });
    for (const request of [2, 3]) caller.peer.raw([T.CALL, request, {}, 'com.last']);
    assert.equal(invocations(b.peer).length, 2, 'the newest callee has no limit');
    b.peer.link.detach();
    caller.peer.take();
    caller.peer.raw([T.CALL, 4, {}, 'com.last']);
    assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, 'crossbar.error.max_concurrency_reached', 'back to the busy first callee');
    caller.peer.raw([T.CANCEL, 1, { mode: 'skip' }]);
    caller.peer.take();
    caller.peer.raw([T.CALL, 5, {}, 'com.last']);
    assert.equal(invocations(a.peer).length, 1, 'a canceled call frees its place');
  });

  it('refuses a concurrency that is no non-negative integer', async () => {
    const h = new RouterHarness();
    const callee = await h.join();
    callee.peer.raw([T.REGISTER, 1, { concurrency: -1 }, 'com.bad']);
    const refused = onlyMessage(callee.peer.take(), T.ERROR);
    assert.equal(refused.error, 'wamp.error.invalid_argument');
    assert.match(String(refused.args?.[0]), /concurrency/);
  });
});
