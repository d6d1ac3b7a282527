import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../protocol/codes.js';
import type { Dict, WampMessage } from '../protocol/messages.js';
import { allRoles, RouterHarness, type MemoryPeer } from '../../test/support/router-harness.js';
import { MemoryHub } from './backplane-memory.js';
import { MeshBackplane, type MeshLink } from './backplane-mesh.js';

/** Waits until every message sent on the hub so far has arrived (in-memory links deliver in microtasks). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

function cluster(): { hub: MemoryHub; n1: RouterHarness; n2: RouterHarness } {
  const hub = new MemoryHub();
  return { hub, n1: new RouterHarness({ backplane: hub.node('n1') }), n2: new RouterHarness({ backplane: hub.node('n2') }) };
}

async function register(peer: MemoryPeer, procedure: string, options: Dict = {}): Promise<WampMessage> {
  peer.deliver({ type: T.REGISTER, request: 1, options, procedure });
  await settle();
  const [reply] = peer.take();
  return reply!;
}

function only<K extends WampMessage['type']>(peer: MemoryPeer, type: K): Extract<WampMessage, { type: K }> {
  const messages = peer.take();
  assert.equal(messages.length, 1, `expected one message, got ${JSON.stringify(messages)}`);
  assert.equal(messages[0]!.type, type, JSON.stringify(messages[0]));
  return messages[0] as Extract<WampMessage, { type: K }>;
}

describe('calls across nodes (in-memory backplane)', () => {
  it('routes a CALL to the callee on another node and its RESULT back, with caller disclosure', async () => {
    const { n1, n2 } = cluster();
    const callee = await n2.join();
    assert.equal((await register(callee.peer, 'com.add')).type, T.REGISTERED);
    const caller = await n1.join();
    await settle();
    caller.peer.deliver({ type: T.CALL, request: 7, options: { disclose_me: true }, procedure: 'com.add', args: [2, 3] });
    await settle();
    const invocation = only(callee.peer, T.INVOCATION);
    assert.deepEqual(invocation.args, [2, 3]);
    assert.equal(invocation.details.caller, caller.id);
    assert.equal(invocation.details.caller_authrole, 'anonymous');
    callee.peer.deliver({ type: T.YIELD, request: invocation.request, options: {}, args: [5] });
    await settle();
    const result = only(caller.peer, T.RESULT);
    assert.equal(result.request, 7);
    assert.deepEqual(result.args, [5]);
  });

  it('carries progressive results, callee errors, cancel and timeout', async () => {
    const { n1, n2 } = cluster();
    const callee = await n2.join();
    await register(callee.peer, 'com.slow');
    const caller = await n1.join();
    await settle();

    caller.peer.deliver({ type: T.CALL, request: 1, options: { receive_progress: true }, procedure: 'com.slow', args: [] });
    await settle();
    const first = only(callee.peer, T.INVOCATION);
    assert.equal(first.details.receive_progress, true);
    callee.peer.deliver({ type: T.YIELD, request: first.request, options: { progress: true }, args: ['half'] });
    callee.peer.deliver({ type: T.ERROR, requestType: T.INVOCATION, request: first.request, details: {}, error: 'com.app.failed', args: ['no'] });
    await settle();
    const [progress, error] = caller.peer.take();
    assert.equal(progress?.type === T.RESULT && progress.details.progress, true);
    assert.equal(error?.type === T.ERROR && error.error, 'com.app.failed');

    caller.peer.deliver({ type: T.CALL, request: 2, options: {}, procedure: 'com.slow', args: [] });
    await settle();
    const second = only(callee.peer, T.INVOCATION);
    caller.peer.deliver({ type: T.CANCEL, request: 2, options: { mode: 'kill' } });
    await settle();
    const interrupt = only(callee.peer, T.INTERRUPT);
    assert.equal(interrupt.request, second.request);
    callee.peer.deliver({ type: T.ERROR, requestType: T.INVOCATION, request: second.request, details: {}, error: 'wamp.error.canceled' });
    await settle();
    assert.equal(only(caller.peer, T.ERROR).error, 'wamp.error.canceled');

    caller.peer.deliver({ type: T.CALL, request: 3, options: { timeout: 1000 }, procedure: 'com.slow', args: [] });
    await settle();
    only(callee.peer, T.INVOCATION);
    n2.clock.advance(1000); // the callee's node runs the timeout
    await settle();
    assert.equal(only(caller.peer, T.ERROR).error, 'wamp.error.timeout');
    assert.equal(only(callee.peer, T.INTERRUPT).options.mode, 'killnowait');
    assert.equal(n2.router.realm('realm1')!.dealer.callsInFlight(), 0);
  });

  it('ends a call canceled in mode skip on both nodes with nothing for the caller: its node stops counting it, the late answer is dropped', async () => {
    const hub = new MemoryHub();
    const n1 = new RouterHarness({ backplane: hub.node('n1'), realm: { limits: { maxCallsInFlightPerSession: 1 } } });
    const n2 = new RouterHarness({ backplane: hub.node('n2') });
    // Without call_canceling every mode is skip (as AutobahnJS callees are); with it, skip must be asked for.
    const uninterruptible = await n2.join({ ...allRoles, callee: { features: {} } });
    await register(uninterruptible.peer, 'com.plain');
    const interruptible = await n2.join();
    await register(interruptible.peer, 'com.interruptible');
    const caller = await n1.join();
    await settle();
    let request = 0;
    for (const [callee, procedure, mode] of [[uninterruptible, 'com.plain', 'killnowait'], [interruptible, 'com.interruptible', 'skip']] as const) {
      caller.peer.deliver({ type: T.CALL, request: ++request, options: {}, procedure, args: [] });
      await settle();
      const invocation = only(callee.peer, T.INVOCATION);
      caller.peer.deliver({ type: T.CANCEL, request, options: { mode } });
      await settle();
      assert.deepEqual(callee.peer.take(), [], 'no INTERRUPT');
      assert.deepEqual(caller.peer.take(), [], 'no answer for the caller');
      assert.equal(n2.router.realm('realm1')!.dealer.callsInFlight(), 0);
      callee.peer.deliver({ type: T.YIELD, request: invocation.request, options: {}, args: ['late'] });
      await settle();
      assert.deepEqual(caller.peer.take(), [], 'the late answer is dropped');
    }
    // The caller may have one call in flight: the canceled ones no longer count on its node.
    caller.peer.deliver({ type: T.CALL, request: ++request, options: {}, procedure: 'com.plain', args: [] });
    await settle();
    const invocation = only(uninterruptible.peer, T.INVOCATION);
    uninterruptible.peer.deliver({ type: T.YIELD, request: invocation.request, options: {}, args: ['fine'] });
    await settle();
    assert.deepEqual(only(caller.peer, T.RESULT).args, ['fine']);
  });

  it('keeps single registrations unique cluster-wide and shared ones under one policy', async () => {
    const { n1, n2 } = cluster();
    const a = await n1.join();
    const b = await n2.join();
    assert.equal((await register(a.peer, 'com.one')).type, T.REGISTERED);
    const refused = await register(b.peer, 'com.one');
    assert.equal(refused.type === T.ERROR && refused.error, 'wamp.error.procedure_already_exists');
    assert.equal((await register(a.peer, 'com.many', { invoke: 'roundrobin' })).type, T.REGISTERED);
    assert.equal((await register(b.peer, 'com.many', { invoke: 'roundrobin' })).type, T.REGISTERED);
    // A single registration is taken whatever the policy asked for (as in Crossbar); a shared one refuses another policy.
    const other = await register(b.peer, 'com.one', { invoke: 'random' });
    assert.equal(other.type === T.ERROR && other.error, 'wamp.error.procedure_already_exists');
    const otherPolicy = await register(b.peer, 'com.many', { invoke: 'random' });
    assert.equal(otherPolicy.type === T.ERROR && otherPolicy.error, 'wamp.error.procedure_exists_with_different_invocation_policy');
    // Once the holder leaves, another node may register it.
    a.peer.link.detach();
    await settle();
    assert.equal((await register(b.peer, 'com.one')).type, T.REGISTERED);
  });

  it('ends a pending call with ERROR when the callee\'s node dies, and interrupts the callee when the caller leaves', async () => {
    const { hub, n1, n2 } = cluster();
    const callee = await n2.join();
    await register(callee.peer, 'com.wait');
    const caller = await n1.join();
    await settle();
    caller.peer.deliver({ type: T.CALL, request: 1, options: {}, procedure: 'com.wait', args: [] });
    await settle();
    const invocation = only(callee.peer, T.INVOCATION);
    caller.peer.link.detach();
    await settle();
    const interrupt = only(callee.peer, T.INTERRUPT);
    assert.equal(interrupt.request, invocation.request);
    assert.equal(interrupt.options.mode, 'killnowait');

    const another = await n1.join();
    another.peer.deliver({ type: T.CALL, request: 9, options: {}, procedure: 'com.wait', args: [] });
    await settle();
    only(callee.peer, T.INVOCATION);
    hub.kill('n2');
    await settle();
    const error = only(another.peer, T.ERROR);
    assert.equal(error.error, 'wamp.error.canceled');
    assert.match(String(error.args![0]), /node \("n2"\) left/);
    another.peer.deliver({ type: T.CALL, request: 10, options: {}, procedure: 'com.wait', args: [] });
    await settle();
    assert.equal(only(another.peer, T.ERROR).error, 'wamp.error.no_such_procedure');
  });

  it('answers UNREGISTERED and a GOODBYE only once the cluster has taken the release; a call and a REGISTER meanwhile are answered rightly', async () => {
    // A node alone, whose authority holds each release until the test lets it go.
    const held: (() => void)[] = [];
    const link: MeshLink = {
      send: () => {}, onMessage: () => {}, close: async () => {},
      claim: async () => ({ ok: true }),
      release: () => new Promise<void>((resolve) => void held.push(resolve)),
    };
    const node = new RouterHarness({ backplane: new MeshBackplane('n1', link) });
    const [owner, caller, other] = [await node.join(), await node.join(), await node.join()];
    const registered = await register(owner.peer, 'com.moved');
    assert.equal(registered.type, T.REGISTERED);
    owner.peer.deliver({ type: T.UNREGISTER, request: 2, registration: registered.type === T.REGISTERED ? registered.registration : 0 });
    owner.peer.deliver({ type: T.REGISTER, request: 3, options: {}, procedure: 'com.later' });
    await settle();
    assert.deepEqual(owner.peer.take(), [], 'nothing answered while the release is on its way; the session\'s next message waits');
    assert.equal(held.length, 1);
    caller.peer.deliver({ type: T.CALL, request: 1, options: {}, procedure: 'com.moved', args: [] });
    await settle();
    assert.equal(only(caller.peer, T.ERROR).error, 'wamp.error.no_such_procedure', 'no longer routed to meanwhile');
    assert.equal((await register(other.peer, 'com.moved')).type, T.REGISTERED, 'registered again on the same node meanwhile');
    held[0]!();
    await settle();
    assert.deepEqual(owner.peer.take().map((message) => message.type), [T.UNREGISTERED, T.REGISTERED]);
    // A session that leaves with GOODBYE: answered once its procedure is free, its calls meanwhile refused.
    other.peer.deliver({ type: T.GOODBYE, details: {}, reason: 'wamp.close.close_realm' });
    await settle();
    assert.deepEqual(other.peer.take(), []);
    assert.equal(held.length, 2);
    caller.peer.deliver({ type: T.CALL, request: 2, options: {}, procedure: 'com.moved', args: [] });
    await settle();
    assert.equal(only(caller.peer, T.ERROR).error, 'wamp.error.no_such_procedure');
    held[1]!();
    await settle();
    assert.equal(only(other.peer, T.GOODBYE).reason, 'wamp.close.normal');
    assert.equal(other.peer.closed, true, 'no session series here: the connection closes');
  });
});
