import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../../protocol/codes.js';
import type { Dict, WampMessage } from '../../protocol/messages.js';
import { flush, onlyMessage, RouterHarness, type HarnessOptions, type MemoryPeer } from '../../../test/support/router-harness.js';
import type { CallQueueSetting } from './call-queue.js';

/** Crossbar's store `call-queue`: a CALL whose callees are all at their `concurrency` limit waits for a free place. */

type Invocation = Extract<WampMessage, { type: typeof T.INVOCATION }>;

async function register(peer: MemoryPeer, procedure: string, options: Dict): Promise<number> {
  peer.raw([T.REGISTER, 1, options, procedure]);
  await flush();
  return onlyMessage(peer.take(), T.REGISTERED).registration;
}

function invocations(peer: MemoryPeer): Invocation[] {
  const messages = peer.take();
  assert.ok(messages.every((m) => m.type === T.INVOCATION), `only INVOCATIONs expected: ${JSON.stringify(messages)}`);
  return messages as Invocation[];
}

/** [type, request, error or first argument] of each message, for short assertions. */
function summary(peer: MemoryPeer): unknown[][] {
  return peer.take().map((m) => {
    if (m.type === T.ERROR) return ['ERROR', m.request, m.error];
    if (m.type === T.RESULT) return ['RESULT', m.request, m.args?.[0]];
    return [m.type];
  });
}

const queue: CallQueueSetting = { uri: 'com.busy', match: 'exact', limit: 10, limitBytes: 1_000_000 };

/** A callee of com.busy that takes one call at a time, and a caller; realm1 queues com.busy. */
async function setUp(queues: CallQueueSetting[] = [queue], options: HarnessOptions = {}) {
  const h = new RouterHarness({ ...options, realm: { ...options.realm, callQueues: queues } });
  const callee = await h.join();
  const registration = await register(callee.peer, 'com.busy', { concurrency: 1 });
  const caller = await h.join();
  const metric = (event: string) => h.router.metrics.callQueueEvents.value({ realm: 'realm1', event });
  const waiting = () => h.router.metrics.callQueueCalls.value({ realm: 'realm1' });
  return { h, callee, caller, registration, metric, waiting };
}

describe('dealer - call queues', () => {
  it('holds a CALL while the callee is busy and invokes it when the callee answers', async () => {
    const { callee, caller, metric, waiting } = await setUp();
    caller.peer.raw([T.CALL, 1, {}, 'com.busy', ['one']]);
    caller.peer.raw([T.CALL, 2, {}, 'com.busy', ['two']]);
    const [first] = invocations(callee.peer);
    assert.equal(first!.args?.[0], 'one');
    assert.deepEqual(summary(caller.peer), [], 'the second CALL waits: no ERROR');
    assert.equal(waiting(), 1);
    callee.peer.raw([T.YIELD, first!.request, {}, ['r1']]);
    const [second] = invocations(callee.peer);
    assert.equal(second!.args?.[0], 'two', 'the waiting call goes to the callee freed');
    callee.peer.raw([T.YIELD, second!.request, {}, ['r2']]);
    assert.deepEqual(summary(caller.peer), [['RESULT', 1, 'r1'], ['RESULT', 2, 'r2']]);
    assert.equal(waiting(), 0);
    assert.equal(metric('queued'), 1);
    assert.equal(metric('drained'), 1);
  });

  it('keeps the order of waiting calls, and a callee that registers takes them', async () => {
    const { h, callee, caller } = await setUp();
    for (const request of [1, 2, 3, 4]) caller.peer.raw([T.CALL, request, {}, 'com.busy', [request]]);
    const [first] = invocations(callee.peer);
    callee.peer.raw([T.ERROR, T.INVOCATION, first!.request, {}, 'com.example.failed']);
    const [second] = invocations(callee.peer);
    assert.equal(second!.args?.[0], 2, 'an ERROR frees the place too');
    callee.peer.raw([T.YIELD, second!.request, {}, []]);
    assert.equal(invocations(callee.peer)[0]!.args?.[0], 3);

    const h2 = new RouterHarness({ realm: { callQueues: [queue] } });
    const single = await h2.join();
    await register(single.peer, 'com.busy', { invoke: 'roundrobin', concurrency: 1 });
    const calls = await h2.join();
    for (const request of [1, 2, 3]) calls.peer.raw([T.CALL, request, {}, 'com.busy', [request]]);
    assert.equal(invocations(single.peer).length, 1);
    const helper = await h2.join();
    helper.peer.raw([T.REGISTER, 1, { invoke: 'roundrobin', concurrency: 5 }, 'com.busy']);
    await flush();
    const [registered, ...taken] = helper.peer.take();
    assert.equal(registered?.type, T.REGISTERED);
    assert.deepEqual(taken.map((m) => m.type === T.INVOCATION && m.args?.[0]), [2, 3], 'the new callee takes the waiting calls, oldest first');
    assert.equal(h.router.metrics.callQueueCalls.value({ realm: 'realm1' }), 1, 'call 4 still waits in the first router');
  });

  it('refuses a CALL when the queue is full, as Crossbar refuses it without one', async () => {
    const { callee, caller, metric } = await setUp([{ ...queue, limit: 2 }]);
    for (const request of [1, 2, 3, 4]) caller.peer.raw([T.CALL, request, {}, 'com.busy']);
    assert.equal(invocations(callee.peer).length, 1);
    const refused = onlyMessage(caller.peer.take(), T.ERROR);
    assert.equal(refused.request, 4);
    assert.equal(refused.error, 'crossbar.error.max_concurrency_reached');
    assert.match(String(refused.args?.[0]), /call queue \("com\.busy", match "exact"\) is full \(limit 2 calls\)/);
    assert.equal(metric('refused_full'), 1);
  });

  it('refuses a CALL whose payload would pass the queue\'s limit_bytes, and frees the bytes of calls that leave it', async () => {
    const { callee, caller, waiting } = await setUp([{ ...queue, limitBytes: 300 }]);
    /** How many calls wait, once the caller was told nothing (so the last CALL waits too). */
    const waitingQuietly = () => caller.peer.take().length === 0 && waiting();
    caller.peer.raw([T.CALL, 1, {}, 'com.busy']);
    caller.peer.raw([T.CALL, 2, {}, 'com.busy', ['x'.repeat(200)]]);
    assert.equal(waitingQuietly(), 1, 'call 2 waits: 200 characters and the procedure fit in 300 bytes');
    caller.peer.raw([T.CALL, 3, {}, 'com.busy', ['y'.repeat(100)]]);
    const refused = onlyMessage(caller.peer.take(), T.ERROR);
    assert.equal(refused.error, 'crossbar.error.max_concurrency_reached');
    assert.match(String(refused.args?.[0]), /is full \(limit_bytes 300\)/);
    caller.peer.raw([T.CALL, 4, {}, 'com.busy', ['z']]);
    assert.equal(waitingQuietly(), 2, 'a small call still fits');
    const [first] = invocations(callee.peer);
    callee.peer.raw([T.YIELD, first!.request, {}, []]);
    assert.equal(onlyMessage(caller.peer.take(), T.RESULT).request, 1);
    caller.peer.raw([T.CALL, 5, {}, 'com.busy', ['y'.repeat(100)]]);
    assert.equal(waitingQuietly(), 2, 'call 2 went to the callee: its bytes are free');
  });

  it('answers a CANCEL of a waiting call with wamp.error.canceled (nothing in mode skip), and the callee never sees it', async () => {
    const { callee, caller, metric, waiting } = await setUp();
    for (const request of [1, 2, 3, 4]) caller.peer.raw([T.CALL, request, {}, 'com.busy', [request]]);
    const [first] = invocations(callee.peer);
    caller.peer.raw([T.CANCEL, 2, { mode: 'killnowait' }]);
    caller.peer.raw([T.CANCEL, 3, { mode: 'skip' }]);
    assert.deepEqual(summary(caller.peer), [['ERROR', 2, 'wamp.error.canceled']]);
    assert.equal(invocations(callee.peer).length, 0, 'no INTERRUPT: the callee never had them');
    callee.peer.raw([T.YIELD, first!.request, {}, []]);
    assert.deepEqual(invocations(callee.peer).map((m) => m.args?.[0]), [4]);
    assert.equal(metric('canceled'), 2);
    assert.equal(waiting(), 0);
  });

  it('drops the waiting calls of a caller that leaves; its call in flight frees the place for the next caller', async () => {
    const { h, callee, caller, metric, waiting } = await setUp();
    for (const request of [1, 2, 3]) caller.peer.raw([T.CALL, request, {}, 'com.busy', [request]]);
    invocations(callee.peer);
    const other = await h.join();
    other.peer.raw([T.CALL, 1, {}, 'com.busy', ['other']]);
    assert.equal(waiting(), 3);
    caller.peer.link.detach();
    await flush();
    assert.equal(metric('caller_left'), 2);
    const [interrupt, next] = callee.peer.take();
    assert.equal(interrupt?.type, T.INTERRUPT, 'the call in flight is interrupted');
    assert.ok(next?.type === T.INVOCATION && next.args?.[0] === 'other');
    assert.equal(waiting(), 0);
  });

  it('sends nothing on for a session that leaves while it is both a waiting caller and a callee of the procedure', async () => {
    const h = new RouterHarness({ realm: { callQueues: [{ uri: 'com.last', match: 'exact', limit: 5, limitBytes: 1_000_000 }] } });
    const older = await h.join();
    await register(older.peer, 'com.last', { invoke: 'last' });
    const both = await h.join();
    await register(both.peer, 'com.last', { invoke: 'last', concurrency: 1 });
    both.peer.raw([T.CALL, 1, {}, 'com.last']);
    both.peer.raw([T.CALL, 2, {}, 'com.last']);
    assert.equal(invocations(both.peer).length, 1, 'call 1 to itself; call 2 waits for it, the last callee');
    both.peer.link.detach();
    await flush();
    assert.deepEqual(older.peer.take(), [], 'the older callee, picked once the leaver is gone, gets no call of the leaver');
    assert.equal(h.router.metrics.callQueueCalls.value({ realm: 'realm1' }), 0);
  });

  it('expires a waiting call at its timeout, and gives a drained call what is left of it', async () => {
    const { h, callee, caller, metric } = await setUp();
    caller.peer.raw([T.CALL, 1, {}, 'com.busy']);
    caller.peer.raw([T.CALL, 2, { timeout: 50 }, 'com.busy']);
    caller.peer.raw([T.CALL, 3, { timeout: 100 }, 'com.busy']);
    const [first] = invocations(callee.peer);
    h.clock.advance(50);
    const expired = onlyMessage(caller.peer.take(), T.ERROR);
    assert.equal(expired.request, 2);
    assert.equal(expired.error, 'wamp.error.timeout');
    assert.match(String(expired.args?.[0]), /waited in the call queue/);
    assert.equal(metric('expired'), 1);
    h.clock.advance(20);
    callee.peer.raw([T.YIELD, first!.request, {}, []]);
    const [third] = invocations(callee.peer);
    assert.equal(third!.details.timeout, 30, 'the timeout counts from the CALL');
    h.clock.advance(30);
    assert.deepEqual(summary(caller.peer), [['RESULT', 1, undefined], ['ERROR', 3, 'wamp.error.timeout']]);
  });

  it('queues only calls to matching procedures; with no callee at all the answer stays no_such_procedure', async () => {
    const { callee, caller } = await setUp([{ uri: 'com.', match: 'prefix', limit: 5, limitBytes: 1_000_000 }]);
    await register(callee.peer, 'org.busy', { concurrency: 1 });
    for (const request of [1, 2]) caller.peer.raw([T.CALL, request, {}, 'org.busy']);
    caller.peer.raw([T.CALL, 3, {}, 'com.nobody']);
    assert.equal(invocations(callee.peer).length, 1);
    assert.deepEqual(summary(caller.peer), [['ERROR', 2, 'crossbar.error.max_concurrency_reached'], ['ERROR', 3, 'wamp.error.no_such_procedure']]);
    for (const request of [4, 5]) caller.peer.raw([T.CALL, request, {}, 'com.busy']);
    assert.equal(invocations(callee.peer).length, 1);
    assert.deepEqual(summary(caller.peer), [], 'com.busy matches the prefix entry: call 5 waits');
  });

  it('ends waiting calls with no_such_procedure when the last callee unregisters, and drains when the policy can pick another', async () => {
    const { callee, caller, registration } = await setUp();
    for (const request of [1, 2]) caller.peer.raw([T.CALL, request, {}, 'com.busy']);
    invocations(callee.peer);
    callee.peer.raw([T.UNREGISTER, 2, registration]);
    assert.deepEqual(summary(caller.peer), [['ERROR', 2, 'wamp.error.no_such_procedure']]);

    const h2Queue = new RouterHarness({ realm: { callQueues: [{ uri: 'com.first', match: 'exact', limit: 3, limitBytes: 1_000_000 }] } });
    const a = await h2Queue.join();
    const aRegistration = await register(a.peer, 'com.first', { invoke: 'first', concurrency: 1 });
    const b = await h2Queue.join();
    await register(b.peer, 'com.first', { invoke: 'first' });
    const calls = await h2Queue.join();
    for (const request of [1, 2]) calls.peer.raw([T.CALL, request, {}, 'com.first', [request]]);
    assert.equal(invocations(a.peer).length, 1, '"first" waits for the first callee only');
    assert.equal(invocations(b.peer).length, 0);
    a.peer.raw([T.UNREGISTER, 2, aRegistration]);
    a.peer.take();
    assert.deepEqual(invocations(b.peer).map((m) => m.args?.[0]), [2], 'the next callee in line takes the waiting call');
  });

  it('counts waiting calls against the caller\'s calls in flight, keeps disclosure, and does not queue progressive invocations', async () => {
    const { callee, caller } = await setUp([queue], { realm: { limits: { maxCallsInFlightPerSession: 2 } } });
    caller.peer.raw([T.CALL, 1, {}, 'com.busy']);
    caller.peer.raw([T.CALL, 2, { disclose_me: true }, 'com.busy']);
    caller.peer.raw([T.CALL, 3, {}, 'com.busy']);
    assert.deepEqual(summary(caller.peer), [['ERROR', 3, 'junction.error.limit_exceeded']]);
    const [first] = invocations(callee.peer);
    callee.peer.raw([T.YIELD, first!.request, {}, []]);
    const [second] = invocations(callee.peer);
    assert.equal(second!.details.caller, caller.id, 'disclose_me holds for a waiting call');
    caller.peer.take();
    caller.peer.raw([T.CALL, 4, { progress: true }, 'com.busy']);
    assert.deepEqual(summary(caller.peer), [['ERROR', 4, 'crossbar.error.max_concurrency_reached']], 'a progressive call invocation does not wait');
    caller.peer.raw([T.CALL, 5, {}, 'com.busy']);
    caller.peer.raw([T.CALL, 5, {}, 'com.busy']);
    assert.deepEqual(caller.peer.take().map((m) => m.type), [T.ABORT], 'a waiting call\'s request ID is in use');
  });
});
