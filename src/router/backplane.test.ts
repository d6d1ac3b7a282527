import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../protocol/codes.js';
import type { Dict, WampMessage } from '../protocol/messages.js';
import { allRoles, RouterHarness, type MemoryPeer } from '../../test/support/router-harness.js';
import { MemoryHub } from './backplane-memory.js';
import type { AuthGate } from './hooks.js';

/** Signs in with the authid and authrole the HELLO asks for, so receiver lists can be tested. */
const chosenIdentity: AuthGate = {
  hello: ({ details }) => ({
    kind: 'welcome',
    identity: { authid: String(details.authid), authrole: String(details.authrole), authmethod: 'anonymous', authprovider: 'test' },
  }),
};

/** Two routers (nodes "n1" and "n2") joined through an in-memory backplane. */
function twoNodes(): [RouterHarness, RouterHarness] {
  const hub = new MemoryHub();
  return [
    new RouterHarness({ backplane: hub.node('n1'), gate: chosenIdentity }),
    new RouterHarness({ backplane: hub.node('n2'), gate: chosenIdentity }),
  ];
}

async function join(node: RouterHarness, authid: string, authrole = 'user'): Promise<{ peer: MemoryPeer; id: number; welcome: Dict }> {
  return node.join(allRoles, { authid, authrole });
}

async function subscribe(peer: MemoryPeer, topic: string, options: Dict = {}): Promise<number> {
  peer.deliver({ type: T.SUBSCRIBE, request: 1, options, topic });
  const reply = peer.take()[0];
  assert.equal(reply?.type, T.SUBSCRIBED);
  return reply.subscription;
}

/** Waits until every message sent on the hub so far has arrived (in-memory links deliver in microtasks). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

const events = (messages: WampMessage[]): Extract<WampMessage, { type: typeof T.EVENT }>[] =>
  messages.filter((m): m is Extract<WampMessage, { type: typeof T.EVENT }> => m.type === T.EVENT);

describe('router across nodes (in-memory backplane)', () => {
  it('names the node in WELCOME and delivers a publication to subscribers on both nodes, once each, in order', async () => {
    const [n1, n2] = twoNodes();
    const here = await join(n1, 'a');
    const there = await join(n2, 'b');
    assert.equal(here.welcome.x_junction_node, 'n1');
    assert.equal(there.welcome.x_junction_node, 'n2');
    const exact = await subscribe(there.peer, 'chat.room1');
    const prefix = await subscribe(there.peer, 'chat', { match: 'prefix' });
    await subscribe(here.peer, 'chat.room1');
    const publisher = await join(n1, 'p');
    await settle();
    for (let i = 0; i < 20; i++) publisher.peer.deliver({ type: T.PUBLISH, request: i + 1, options: {}, topic: 'chat.room1', args: [i] });
    await settle();
    const remote = events(there.peer.take());
    assert.deepEqual(remote.filter((e) => e.subscription === exact).map((e) => e.args![0]), [...Array(20).keys()]);
    const viaPrefix = remote.filter((e) => e.subscription === prefix);
    assert.deepEqual(viaPrefix.map((e) => e.args![0]), [...Array(20).keys()]);
    assert.equal(viaPrefix[0]!.details.topic, 'chat.room1', 'a pattern subscriber is told the topic');
    assert.equal(remote.length, 40);
    const local = events(here.peer.take());
    assert.deepEqual(local.map((e) => e.publication), remote.filter((e) => e.subscription === exact).map((e) => e.publication),
      'one publication id on every node');
  });

  it('applies exclude_me, exclude/eligible by session, authid and authrole, and disclosure on the remote node', async () => {
    const [n1, n2] = twoNodes();
    const publisher = await join(n1, 'pub', 'writer');
    const alice = await join(n2, 'alice', 'user');
    const bob = await join(n2, 'bob', 'admin');
    const carol = await join(n2, 'carol', 'user');
    for (const s of [publisher, alice, bob, carol]) await subscribe(s.peer, 't');
    await settle();
    const publish = (options: Dict, tag: string): void =>
      publisher.peer.deliver({ type: T.PUBLISH, request: 1, options, topic: 't', args: [tag] });
    publish({ exclude: [alice.id] }, 'no-alice');
    publish({ eligible: [bob.id, carol.id], exclude_authrole: ['admin'] }, 'carol-only');
    publish({ eligible_authid: ['alice'] }, 'alice-only');
    publish({ exclude_authid: ['carol'], eligible_authrole: ['user'] }, 'alice-by-role');
    publish({ exclude_me: false, disclose_me: true }, 'disclosed');
    await settle();
    const tags = (s: { peer: MemoryPeer }): unknown[] => events(s.peer.take()).map((e) => e.args![0]);
    const aliceEvents = events(alice.peer.inbox);
    assert.deepEqual(tags(alice), ['alice-only', 'alice-by-role', 'disclosed']);
    assert.deepEqual(tags(bob), ['no-alice', 'disclosed']);
    assert.deepEqual(tags(carol), ['no-alice', 'carol-only', 'disclosed']);
    assert.deepEqual(tags(publisher), ['disclosed'], 'exclude_me applies to the publisher only');
    const disclosed = aliceEvents.at(-1)!;
    assert.equal(disclosed.details.publisher, publisher.id);
    assert.equal(disclosed.details.publisher_authid, 'pub');
    assert.equal(disclosed.details.publisher_authrole, 'writer');
    assert.equal(aliceEvents[0]!.details.publisher, undefined, 'no disclosure unless asked');
  });

  it('sends nothing to a node without a matching subscription, and stops once its last subscriber leaves', async () => {
    const hub = new MemoryHub();
    const n1Backplane = hub.node('n1');
    const n1 = new RouterHarness({ backplane: n1Backplane, gate: chosenIdentity });
    const n2 = new RouterHarness({ backplane: hub.node('n2'), gate: chosenIdentity });
    const publisher = await join(n1, 'p');
    const subscriber = await join(n2, 's');
    await subscribe(subscriber.peer, 'wanted');
    await settle();
    publisher.peer.deliver({ type: T.PUBLISH, request: 1, options: {}, topic: 'unwanted', args: [] });
    publisher.peer.deliver({ type: T.PUBLISH, request: 2, options: {}, topic: 'wanted', args: [] });
    await settle();
    assert.equal(events(subscriber.peer.take()).length, 1);
    assert.deepEqual(n1Backplane.interestedPeers(), ['n2']);
    subscriber.peer.link.detach();
    await settle();
    assert.deepEqual(n1Backplane.interestedPeers(), [], 'n2 withdrew its only interest');
    assert.deepEqual(n1Backplane.peers(), ['n2'], 'and is still a known node');
  });
});

describe('the meta API across nodes (in-memory backplane)', () => {
  async function call(peer: MemoryPeer, procedure: string, args: unknown[] = []): Promise<WampMessage> {
    peer.deliver({ type: T.CALL, request: 1, options: {}, procedure, args });
    await settle();
    return peer.take().find((m) => m.type === T.RESULT || m.type === T.ERROR)!;
  }

  it('counts, lists and gets the sessions of every node; on_join and on_leave reach every node, also for a node that dies', async () => {
    const hub = new MemoryHub();
    const n1 = new RouterHarness({ backplane: hub.node('n1'), gate: chosenIdentity });
    const n2 = new RouterHarness({ backplane: hub.node('n2'), gate: chosenIdentity });
    await Promise.all([n1.router.ready(), n2.router.ready()]);
    const watcher = await join(n1, 'watcher', 'admin');
    await subscribe(watcher.peer, 'wamp.session.on_join');
    await subscribe(watcher.peer, 'wamp.session.on_leave');
    await settle();
    const there = await join(n2, 'there', 'user');
    await settle();
    const joined = events(watcher.peer.take());
    assert.deepEqual(joined.map((e) => (e.args![0] as Dict).session), [there.id], 'on_join from the other node, once');

    const count = await call(watcher.peer, 'wamp.session.count');
    assert.equal(count.type === T.RESULT && count.args![0], 2);
    const byRole = await call(watcher.peer, 'wamp.session.count', [['user']]);
    assert.equal(byRole.type === T.RESULT && byRole.args![0], 1);
    const list = await call(watcher.peer, 'wamp.session.list');
    assert.deepEqual(list.type === T.RESULT && [...(list.args![0] as number[])].sort(), [watcher.id, there.id].sort());
    const got = await call(watcher.peer, 'wamp.session.get', [there.id]);
    assert.equal(got.type === T.RESULT && (got.args![0] as Dict).node, 'n2');
    assert.equal(got.type === T.RESULT && (got.args![0] as Dict).authid, 'there');

    hub.kill('n2');
    await settle();
    const left = events(watcher.peer.take());
    assert.deepEqual(left.map((e) => e.args), [[there.id]], 'on_leave for the dead node\'s session, once, with Crossbar\'s one argument');
    const leftDetails = left[0]!.details.x_session_details as Dict;
    assert.deepEqual([leftDetails.session, leftDetails.authid, leftDetails.authrole, leftDetails.node], [there.id, 'there', 'user', undefined],
      'who left rides in EVENT.Details, as when its own node says it');
    const after = await call(watcher.peer, 'wamp.session.count');
    assert.equal(after.type === T.RESULT && after.args![0], 1);
    const gone = await call(watcher.peer, 'wamp.session.get', [there.id]);
    assert.equal(gone.type === T.ERROR && gone.error, 'wamp.error.no_such_session');
  });
});
