import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../protocol/codes.js';
import type { Dict, WampMessage } from '../protocol/messages.js';
import { RouterHarness, type MemoryPeer } from '../../test/support/router-harness.js';
import type { Interest } from './backplane.js';
import { MemoryHub } from './backplane-memory.js';
import type { MeshBackplane } from './backplane-mesh.js';

/** Waits until every message sent on the hub so far has arrived (in-memory links deliver in microtasks). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

type Client = { peer: MemoryPeer; id: number };

interface Node {
  harness: RouterHarness;
  backplane: MeshBackplane;
}

/** Nodes named `names` on one hub. */
async function cluster(...names: string[]): Promise<{ hub: MemoryHub; nodes: Node[] }> {
  const hub = new MemoryHub();
  const nodes = names.map((name) => {
    const backplane = hub.node(name);
    return { harness: new RouterHarness({ backplane }), backplane };
  });
  await settle();
  return { hub, nodes };
}

let request = 0;

/** Registers `procedure` for `client`; returns the registration id. */
async function register(client: Client, procedure: string, invoke: string): Promise<number> {
  client.peer.deliver({ type: T.REGISTER, request: ++request, options: { invoke }, procedure });
  await settle();
  const reply = client.peer.take().find((m) => m.type === T.REGISTERED || m.type === T.ERROR);
  assert.equal(reply?.type, T.REGISTERED, JSON.stringify(reply));
  return reply.type === T.REGISTERED ? reply.registration : 0;
}

/**
 * Makes `count` calls to `procedure` from each of `callers` at once, each callee answering every
 * INVOCATION with its name; returns how many each callee served (every call must get its RESULT).
 */
async function spread(callers: Client | Client[], procedure: string, count: number, callees: Record<string, Client>): Promise<Record<string, number>> {
  const served: Record<string, number> = Object.fromEntries(Object.keys(callees).map((name) => [name, 0]));
  const all = [callers].flat();
  for (const caller of all) for (let i = 0; i < count; i++) caller.peer.deliver({ type: T.CALL, request: ++request, options: {}, procedure, args: [] });
  await settle();
  for (const [name, callee] of Object.entries(callees)) {
    for (const message of callee.peer.take()) {
      if (message.type !== T.INVOCATION) continue;
      served[name]!++;
      callee.peer.deliver({ type: T.YIELD, request: message.request, options: {}, args: [name] });
    }
  }
  await settle();
  for (const caller of all) {
    const answers = caller.peer.take();
    assert.equal(answers.filter((m) => m.type === T.RESULT).length, count, JSON.stringify(answers.filter((m) => m.type !== T.RESULT)));
  }
  return served;
}

/** How many callees each other node announced for `procedure`, as `observer` knows it. */
function counts(observer: MeshBackplane, procedure: string): Dict {
  const interest: Interest = { realm: 'realm1', uri: procedure, match: 'exact' };
  const byNode = observer.procedureSummaries(interest)?.byNode ?? new Map();
  return Object.fromEntries([...byNode].map(([node, summary]) => [node, 'callees' in summary ? summary.callees : summary]));
}

function only<K extends WampMessage['type']>(peer: MemoryPeer, type: K): Extract<WampMessage, { type: K }> {
  const messages = peer.take();
  assert.equal(messages.length, 1, `expected one message, got ${JSON.stringify(messages)}`);
  assert.equal(messages[0]!.type, type, JSON.stringify(messages[0]));
  return messages[0] as Extract<WampMessage, { type: K }>;
}

describe('roundrobin and random over every callee of the cluster (in-memory backplane)', () => {
  it('keeps each node\'s callee count current on the others: register, unregister, session leave, node death', async () => {
    const { hub, nodes: [n1, n2, n3] } = await cluster('n1', 'n2', 'n3');
    const [b1, b2, c1] = [await n2!.harness.join(), await n2!.harness.join(), await n3!.harness.join()];
    const id = await register(b1, 'p', 'roundrobin');
    await settle();
    assert.deepEqual(counts(n1!.backplane, 'p'), { n2: 1 });
    await register(b2, 'p', 'roundrobin');
    await register(c1, 'p', 'roundrobin');
    await settle();
    assert.deepEqual(counts(n1!.backplane, 'p'), { n2: 2, n3: 1 });
    assert.deepEqual(counts(n2!.backplane, 'p'), { n3: 1 }, 'a node knows the others\' counts, not its own');
    b1.peer.deliver({ type: T.UNREGISTER, request: ++request, registration: id });
    await settle();
    assert.deepEqual(counts(n1!.backplane, 'p'), { n2: 1, n3: 1 }, 'unregistered');
    b2.peer.link.detach();
    await settle();
    assert.deepEqual(counts(n1!.backplane, 'p'), { n3: 1 }, 'its last callee left: n2 no longer holds it');
    hub.kill('n3');
    await settle();
    assert.deepEqual(counts(n1!.backplane, 'p'), {}, 'a dead node\'s count is gone');
  });

  it('rotates roundrobin calls from a node without callees evenly over every callee: 40 calls over 2+2 give 10 each, 50 over 2+3 too', async () => {
    const { nodes: [n1, n2, n3] } = await cluster('n1', 'n2', 'n3');
    const callees = { b1: await n2!.harness.join(), b2: await n2!.harness.join(), c1: await n3!.harness.join(), c2: await n3!.harness.join() };
    for (const callee of Object.values(callees)) await register(callee, 'p', 'roundrobin');
    const caller = await n1!.harness.join();
    await settle();
    assert.deepEqual(await spread(caller, 'p', 40, callees), { b1: 10, b2: 10, c1: 10, c2: 10 });
    const c3 = await n3!.harness.join();
    await register(c3, 'p', 'roundrobin');
    await settle();
    assert.deepEqual(await spread(caller, 'p', 50, { ...callees, c3 }), { b1: 10, b2: 10, c1: 10, c2: 10, c3: 10 },
      'n3 now has 3 of the 5 callees, and 3 in 5 calls');
  });

  it('rotates roundrobin calls from a node with callees of its own over the cluster\'s, its own in their place', async () => {
    const { nodes: [n1, n2, n3] } = await cluster('n1', 'n2', 'n3');
    const callees = {
      a1: await n1!.harness.join(), b1: await n2!.harness.join(), b2: await n2!.harness.join(), c1: await n3!.harness.join(), c2: await n3!.harness.join(),
    };
    for (const callee of Object.values(callees)) await register(callee, 'p', 'roundrobin');
    await settle();
    const onB = await n2!.harness.join();
    assert.deepEqual(await spread(onB, 'p', 50, callees), { a1: 10, b1: 10, b2: 10, c1: 10, c2: 10 });
    const onA = await n1!.harness.join();
    assert.deepEqual(await spread(onA, 'p', 50, callees), { a1: 10, b1: 10, b2: 10, c1: 10, c2: 10 });
    // Callers on two nodes at once: each node's rotate on their own, and n2's dealer alternates
    // its own callees over its callers' calls and n1's alike.
    callees.c2.peer.link.detach();
    await settle();
    const { c2: _gone, ...left } = callees;
    assert.deepEqual(await spread([onA, onB], 'p', 40, left), { a1: 20, b1: 20, b2: 20, c1: 20 });
  });

  it('spreads random calls over every callee of the cluster', async () => {
    const { nodes: [n1, n2, n3] } = await cluster('n1', 'n2', 'n3');
    const callees = { a1: await n1!.harness.join(), b1: await n2!.harness.join(), b2: await n2!.harness.join(), c1: await n3!.harness.join() };
    for (const callee of Object.values(callees)) await register(callee, 'p', 'random');
    await settle();
    for (const caller of [await n1!.harness.join(), await n3!.harness.join()]) {
      const served = await spread(caller, 'p', 200, callees);
      // Each callee's chance of none of 200 is (3/4)^200: a failure here is the pick, not luck.
      assert.ok(Object.values(served).every((n) => n > 0), JSON.stringify(served));
    }
  });

  it('fails a roundrobin call at once when the node it went to dies, and turns to the callees left', async () => {
    const { hub, nodes: [n1, n2] } = await cluster('n1', 'n2');
    const callees = { a1: await n1!.harness.join(), b1: await n2!.harness.join() };
    await register(callees.a1, 'p', 'roundrobin');
    await register(callees.b1, 'p', 'roundrobin');
    await settle();
    const caller = await n1!.harness.join();
    caller.peer.deliver({ type: T.CALL, request: 1, options: {}, procedure: 'p', args: [] }); // n1's turn
    caller.peer.deliver({ type: T.CALL, request: 2, options: { receive_progress: true }, procedure: 'p', args: [] }); // n2's
    await settle();
    only(callees.a1.peer, T.INVOCATION);
    const onB = only(callees.b1.peer, T.INVOCATION);
    callees.b1.peer.deliver({ type: T.YIELD, request: onB.request, options: { progress: true }, args: ['half'] });
    await settle();
    const progress = only(caller.peer, T.RESULT);
    assert.equal(progress.request === 2 && progress.details.progress, true);
    hub.kill('n2');
    await settle();
    const error = only(caller.peer, T.ERROR);
    assert.equal(error.request, 2);
    assert.equal(error.error, 'wamp.error.canceled');
    assert.deepEqual(await spread(caller, 'p', 3, { a1: callees.a1 }), { a1: 3 });
  });
});
