import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../protocol/codes.js';
import type { Dict, WampMessage } from '../protocol/messages.js';
import { RouterHarness, type MemoryPeer } from '../../test/support/router-harness.js';
import type { CallTraffic } from './backplane.js';
import { MemoryHub } from './backplane-memory.js';

/** Waits until every message sent on the hub so far has arrived (in-memory links deliver in microtasks). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

type Client = { peer: MemoryPeer; id: number };
type Invocation = Extract<WampMessage, { type: typeof T.INVOCATION }>;

async function cluster(...names: string[]): Promise<{ hub: MemoryHub; nodes: RouterHarness[] }> {
  const hub = new MemoryHub();
  const nodes = names.map((name) => new RouterHarness({ backplane: hub.node(name) }));
  await settle();
  return { hub, nodes };
}

let request = 0;

/** Registers `procedure` for `client`; returns the registration id. */
async function register(client: Client, procedure: string, options: Dict = {}): Promise<number> {
  client.peer.deliver({ type: T.REGISTER, request: ++request, options, procedure });
  await settle();
  const reply = client.peer.take().find((m) => m.type === T.REGISTERED || m.type === T.ERROR);
  assert.equal(reply?.type, T.REGISTERED, JSON.stringify(reply));
  await settle(); // the other nodes hear of it
  return reply.type === T.REGISTERED ? reply.registration : 0;
}

async function unregister(client: Client, registration: number): Promise<void> {
  client.peer.deliver({ type: T.UNREGISTER, request: ++request, registration });
  await settle();
  assert.equal(client.peer.take().at(-1)?.type, T.UNREGISTERED);
  await settle();
}

/**
 * Calls `procedure` from `caller` and answers the INVOCATION with the name of the callee that got
 * it; returns that name and the INVOCATION (the caller must get the RESULT, and no other callee anything).
 */
async function served(caller: Client, procedure: string, callees: Record<string, Client>): Promise<{ by: string; invocation: Invocation }> {
  const sent = ++request;
  caller.peer.deliver({ type: T.CALL, request: sent, options: {}, procedure, args: [] });
  await settle();
  const invoked = Object.entries(callees).flatMap(([name, callee]) => callee.peer.take().map((message) => ({ name, callee, message })));
  assert.equal(invoked.length, 1, `one callee invoked: ${JSON.stringify(invoked.map(({ name, message }) => [name, message]))}`);
  const { name, callee, message } = invoked[0]!;
  assert.equal(message.type, T.INVOCATION);
  const invocation = message as Invocation;
  callee.peer.deliver({ type: T.YIELD, request: invocation.request, options: {}, args: [name] });
  await settle();
  const answer = caller.peer.take();
  assert.deepEqual(answer.map((m) => m.type === T.RESULT && m.request === sent && m.args), [[name]], JSON.stringify(answer));
  return { by: name, invocation };
}

describe('a call goes to the best match of the whole cluster (in-memory backplane)', () => {
  it('sends a call from a node with a prefix registration to the exact one on another node, which runs that one', async () => {
    const { nodes: [n1, n2] } = await cluster('n1', 'n2');
    const callees = { a: await n1!.join(), b: await n2!.join() };
    await register(callees.a, 'com.app', { match: 'prefix' });
    const exact = await register(callees.b, 'com.app.add');
    const onA = await n1!.join();
    const onB = await n2!.join();
    const call = await served(onA, 'com.app.add', callees);
    assert.equal(call.by, 'b');
    assert.equal(call.invocation.registration, exact);
    assert.equal(call.invocation.details.procedure, undefined, 'an exact registration\'s callee is not told the procedure');
    assert.equal((await served(onB, 'com.app.add', callees)).by, 'b');
    const other = await served(onB, 'com.app.mul', callees);
    assert.equal(other.by, 'a', 'only the prefix matches this one');
    assert.equal(other.invocation.details.procedure, 'com.app.mul');
  });

  it('picks the longest prefix across three nodes, whichever node calls', async () => {
    const { nodes: [n1, n2, n3] } = await cluster('n1', 'n2', 'n3');
    const callees = { a: await n1!.join(), b: await n2!.join(), c: await n3!.join() };
    await register(callees.a, 'com', { match: 'prefix' });
    await register(callees.b, 'com.app', { match: 'prefix' });
    await register(callees.c, 'com.app.math', { match: 'prefix' });
    for (const node of [n1!, n2!, n3!]) {
      const caller = await node.join();
      assert.equal((await served(caller, 'com.app.math.add', callees)).by, 'c');
      assert.equal((await served(caller, 'com.app.text.trim', callees)).by, 'b');
      assert.equal((await served(caller, 'com.other', callees)).by, 'a');
    }
  });

  it('takes a wildcard registration only when no exact or prefix one matches, the more concrete wildcard first', async () => {
    const { nodes: [n1, n2, n3] } = await cluster('n1', 'n2', 'n3');
    const callees = { a: await n1!.join(), b: await n2!.join(), c: await n3!.join() };
    await register(callees.a, 'com..update', { match: 'wildcard' });
    await register(callees.b, 'com.user.', { match: 'wildcard' });
    const prefix = await register(callees.c, 'com.user.update', { match: 'prefix' });
    const caller = await n1!.join();
    assert.equal((await served(caller, 'com.user.update', callees)).by, 'c', 'a prefix beats both wildcards');
    assert.equal((await served(caller, 'com.user.delete', callees)).by, 'b');
    assert.equal((await served(caller, 'com.item.update', callees)).by, 'a');
    await unregister(callees.c, prefix);
    assert.equal((await served(caller, 'com.user.update', callees)).by, 'b', '"com.user." is concrete where "com..update" is not');
  });

  it('falls back to the prefix registration when the exact one is unregistered, and when its node dies', async () => {
    const { hub, nodes: [n1, n2, n3] } = await cluster('n1', 'n2', 'n3');
    const callees = { a: await n1!.join(), b: await n2!.join(), c: await n3!.join() };
    await register(callees.a, 'com.app', { match: 'prefix' });
    const exact = await register(callees.b, 'com.app.add');
    await register(callees.c, 'com.app.add.more', { match: 'prefix' }); // matches no call below
    const caller = await n1!.join();
    assert.equal((await served(caller, 'com.app.add', callees)).by, 'b');
    await unregister(callees.b, exact);
    assert.equal((await served(caller, 'com.app.add', callees)).by, 'a');
    await register(callees.b, 'com.app.add');
    assert.equal((await served(caller, 'com.app.add', callees)).by, 'b');
    hub.kill('n2');
    await settle();
    assert.equal((await served(caller, 'com.app.add', { a: callees.a, c: callees.c })).by, 'a');
  });

  it('applies the chosen registration\'s shared policy over its callees on other nodes', async () => {
    const { nodes: [n1, n2, n3] } = await cluster('n1', 'n2', 'n3');
    const callees = { a: await n1!.join(), b: await n2!.join(), c: await n3!.join() };
    await register(callees.a, 'com', { match: 'prefix', invoke: 'roundrobin' });
    await register(callees.b, 'com.app', { match: 'prefix', invoke: 'roundrobin' });
    await register(callees.c, 'com.app', { match: 'prefix', invoke: 'roundrobin' });
    const caller = await n1!.join();
    const by = [];
    for (let i = 0; i < 4; i++) by.push((await served(caller, 'com.app.add', callees)).by);
    assert.deepEqual(by, ['b', 'c', 'b', 'c']);
  });

  it('runs exactly the registration the caller\'s node chose, not a better one the callee\'s node holds, and refuses when it is gone', async () => {
    const hub = new MemoryHub();
    const n2 = new RouterHarness({ backplane: hub.node('n2') });
    const sender = hub.node('x'); // a caller's node, driven by hand
    const replies: CallTraffic[] = [];
    sender.attach({ deliver: () => undefined, callTraffic: (_from, traffic) => void replies.push(traffic), nodeGone: () => undefined });
    const callees = { prefix: await n2.join(), exact: await n2.join() };
    await register(callees.prefix, 'com', { match: 'prefix' });
    await register(callees.exact, 'com.app.add');
    const call = (uri: string, id: number): void => sender.sendCall('n2', {
      k: 'call', realm: 'realm1', caller: { session: 77, authid: 'who', authrole: 'anonymous' }, disclose: false,
      message: { type: T.CALL, request: id, options: {}, procedure: 'com.app.add', args: [] },
      registration: { realm: 'realm1', uri, match: 'prefix' },
    });
    call('com', 1);
    await settle();
    assert.deepEqual(callees.exact.peer.take(), []);
    const invocation = callees.prefix.peer.take()[0];
    assert.equal(invocation?.type === T.INVOCATION && invocation.details.procedure, 'com.app.add');
    call('com.app', 2);
    await settle();
    assert.deepEqual([...callees.prefix.peer.take(), ...callees.exact.peer.take()], []);
    const refused = replies.at(-1);
    assert.ok(refused?.k === 'reply' && refused.message.type === T.ERROR, JSON.stringify(replies));
    assert.equal(refused.message.error, 'wamp.error.no_such_procedure');
    assert.equal(refused.message.request, 2);
  });
});
