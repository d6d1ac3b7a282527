import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../protocol/codes.js';
import type { Dict, WampMessage } from '../protocol/messages.js';
import { allRoles, RouterHarness, type HarnessOptions, type MemoryPeer } from '../../test/support/router-harness.js';
import { MemoryHub } from './backplane-memory.js';
import { Router } from './router.js';
import type { AuthGate } from './hooks.js';

/** Signs in with the authid and authrole the HELLO asks for. */
const chosenIdentity: AuthGate = {
  hello: ({ details }) => ({
    kind: 'welcome',
    identity: { authid: String(details.authid), authrole: String(details.authrole), authmethod: 'anonymous', authprovider: 'test' },
  }),
};

/** Routers named `names`, one hub; each serves realm1 with the same settings, as nodes of one config do. */
async function cluster(names: string[], realm: HarnessOptions['realm'] = {}): Promise<{ hub: MemoryHub; nodes: RouterHarness[] }> {
  const hub = new MemoryHub();
  const nodes = names.map((name) => new RouterHarness({ backplane: hub.node(name), gate: chosenIdentity, realm }));
  await Promise.all(nodes.map((node) => node.router.ready()));
  await settle();
  return { hub, nodes };
}

type Client = { peer: MemoryPeer; id: number };

async function join(node: RouterHarness, authid: string, authrole = 'user'): Promise<Client> {
  return node.join(allRoles, { authid, authrole });
}

/** Waits until every message sent on the hub so far has arrived. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

let request = 100;

async function send(client: Client, message: Dict): Promise<WampMessage> {
  const id = ++request;
  client.peer.deliver({ ...message, request: id } as unknown as WampMessage);
  await settle();
  await settle();
  const inbox = client.peer.inbox;
  const index = inbox.findIndex((m) => 'request' in m && m.request === id && m.type !== T.INVOCATION);
  assert.ok(index >= 0, `no answer to ${JSON.stringify(message)}: ${JSON.stringify(inbox)}`);
  return inbox.splice(index, 1)[0]!;
}

async function result(client: Client, procedure: string, args: unknown[] = [], kwargs: Dict = {}): Promise<unknown> {
  const answer = await send(client, { type: T.CALL, options: {}, procedure, args, kwargs });
  assert.equal(answer.type, T.RESULT, `${procedure}: ${JSON.stringify(answer)}`);
  return answer.type === T.RESULT ? answer.args?.[0] : undefined;
}

async function failure(client: Client, procedure: string, args: unknown[] = []): Promise<{ error: string; text: unknown }> {
  const answer = await send(client, { type: T.CALL, options: {}, procedure, args });
  assert.equal(answer.type, T.ERROR, `${procedure} should fail: ${JSON.stringify(answer)}`);
  return answer.type === T.ERROR ? { error: answer.error, text: answer.args?.[0] } : { error: '', text: '' };
}

async function subscribe(client: Client, topic: string, options: Dict = {}): Promise<number> {
  const answer = await send(client, { type: T.SUBSCRIBE, options, topic });
  assert.equal(answer.type, T.SUBSCRIBED);
  return answer.type === T.SUBSCRIBED ? answer.subscription : 0;
}

async function register(client: Client, procedure: string, options: Dict = {}): Promise<number> {
  const answer = await send(client, { type: T.REGISTER, options, procedure });
  assert.equal(answer.type, T.REGISTERED, JSON.stringify(answer));
  return answer.type === T.REGISTERED ? answer.registration : 0;
}

function events(client: Client, topic?: string): Extract<WampMessage, { type: typeof T.EVENT }>[] {
  const found = client.peer.inbox.filter((m): m is Extract<WampMessage, { type: typeof T.EVENT }> => m.type === T.EVENT);
  client.peer.inbox.splice(0);
  return topic === undefined ? found : found.filter((e) => e.details.topic === topic || e.details.topic === undefined);
}

const goodbyes = (client: Client): WampMessage[] => client.peer.inbox.filter((m) => m.type === T.GOODBYE);

const sorted = (ids: unknown): number[] => [...(ids as number[])].sort((a, b) => a - b);

describe('the meta API across nodes: subscriptions and registrations', () => {
  it('gives a subscription one ID on every node, and lists, gets, matches and counts it for the cluster', async () => {
    const { nodes: [n1, n2] } = await cluster(['n1', 'n2']);
    const watcher = await join(n1!, 'watcher', 'admin');
    const alice = await join(n1!, 'alice');
    const bob = await join(n2!, 'bob');
    const here = await subscribe(alice, 'chat');
    const there = await subscribe(bob, 'chat');
    assert.equal(here, there, 'one ID per (topic, match) in the cluster, as in one router');
    const onlyThere = await subscribe(bob, 'news', { match: 'prefix' });
    await settle();

    assert.equal(await result(watcher, 'wamp.subscription.lookup', ['chat']), here);
    assert.equal(await result(watcher, 'wamp.subscription.lookup', ['news', { match: 'prefix' }]), onlyThere);
    assert.equal(await result(watcher, 'wamp.subscription.lookup', ['nothing']), null);
    assert.deepEqual(sorted(await result(watcher, 'wamp.subscription.match', ['news.today'])), [onlyThere]);
    assert.deepEqual(sorted(await result(watcher, 'wamp.subscription.list_subscribers', [here])), sorted([alice.id, bob.id]));
    assert.equal(await result(watcher, 'wamp.subscription.count_subscribers', [here]), 2);
    assert.deepEqual(await result(watcher, 'wamp.subscription.list_subscribers', [onlyThere]), [bob.id]);
    const got = await result(watcher, 'wamp.subscription.get', [onlyThere]) as Dict;
    assert.deepEqual({ ...got, created: typeof got.created }, { id: onlyThere, uri: 'news', match: 'prefix', created: 'string' });
    const all = await result(watcher, 'wamp.subscription.list') as Record<string, number[]>;
    assert.deepEqual({ exact: all.exact, prefix: all.prefix }, { exact: [here], prefix: [onlyThere] });
    assert.deepEqual(await result(watcher, 'wamp.subscription.list', [bob.id]), { exact: [here], prefix: [onlyThere], wildcard: [] });
    assert.equal((await failure(watcher, 'wamp.subscription.get', [12345])).error, 'wamp.error.no_such_subscription');
    assert.equal((await failure(watcher, 'wamp.subscription.list', [12345])).error, 'wamp.error.no_such_session');
  });

  it('gives a shared registration one ID on every node, with the callees of every node', async () => {
    const { nodes: [n1, n2] } = await cluster(['n1', 'n2']);
    const watcher = await join(n1!, 'watcher', 'admin');
    const c1 = await join(n1!, 'c1');
    const c2 = await join(n2!, 'c2');
    const here = await register(c1, 'add', { invoke: 'roundrobin' });
    const there = await register(c2, 'add', { invoke: 'roundrobin' });
    assert.equal(here, there);
    const pattern = await register(c2, 'math', { match: 'prefix' });
    await settle();
    assert.deepEqual(sorted(await result(watcher, 'wamp.registration.list_callees', [here])), sorted([c1.id, c2.id]));
    assert.equal(await result(watcher, 'wamp.registration.count_callees', [here]), 2);
    const got = await result(watcher, 'wamp.registration.get', [pattern]) as Dict;
    assert.deepEqual([got.uri, got.match, got.invoke], ['math', 'prefix', 'single']);
    assert.equal(await result(watcher, 'wamp.registration.lookup', ['math', { match: 'prefix' }]), pattern);
    assert.equal(await result(watcher, 'wamp.registration.match', ['math.sqrt']), pattern);
    assert.equal(await result(watcher, 'wamp.registration.match', ['add']), here);
    assert.equal(await result(watcher, 'wamp.registration.match', ['nothing']), null);
    // The spec's wildcard precedence across nodes: the concrete component first, not the longer pattern.
    await register(c1, 'calc..xyz', { match: 'wildcard' });
    const concrete = await register(c2, 'calc.op.', { match: 'wildcard' });
    await settle();
    assert.equal(await result(watcher, 'wamp.registration.match', ['calc.op.xyz']), concrete);
    assert.deepEqual(await result(watcher, 'wamp.registration.list', [c2.id]), { exact: [here], prefix: [pattern], wildcard: [concrete] });
    assert.equal((await failure(watcher, 'wamp.registration.get', [12345])).error, 'wamp.error.no_such_registration');
  });

  it('fails with wamp.error.unavailable, naming the node, when a node cannot answer: never a partial answer', async () => {
    const hub = new MemoryHub();
    const n1 = new RouterHarness({ backplane: hub.node('n1'), gate: chosenIdentity });
    // Its realm serves no meta API: it has nothing to answer with.
    new RouterHarness({ backplane: hub.node('n2'), gate: chosenIdentity, realm: { enableMetaApi: false } });
    await n1.router.ready();
    await settle();
    const watcher = await join(n1, 'watcher');
    const { error, text } = await failure(watcher, 'wamp.subscription.list');
    assert.equal(error, 'wamp.error.unavailable');
    assert.match(String(text), /"n2" did not answer/);
  });

  it('counts a node without the realm as having nothing of it', async () => {
    const hub = new MemoryHub();
    const n1 = new RouterHarness({ backplane: hub.node('n1'), gate: chosenIdentity });
    new Router({ realms: [], backplane: hub.node('n2'), helloTimeoutMs: 0 });
    await n1.router.ready();
    await settle();
    const watcher = await join(n1, 'watcher');
    await subscribe(watcher, 'here');
    assert.deepEqual((await result(watcher, 'wamp.subscription.list') as Dict).exact, [await result(watcher, 'wamp.subscription.lookup', ['here'])]);
    assert.deepEqual(await result(watcher, 'wamp.session.kill_by_authrole', ['nobody']), []);
  });
});

describe('session ids across nodes', () => {
  it('knows the ids other nodes announced, per realm, and draws a new session id again while the cluster has it', async () => {
    const { nodes: [n1, n2] } = await cluster(['n1', 'n2']);
    const alice = await join(n1!, 'alice');
    await settle();
    const backplane = n2!.router.backplane!;
    assert.equal(backplane.sessionIdTaken('realm1', alice.id), true, 'announced by n1');
    assert.equal(backplane.sessionIdTaken('realm2', alice.id), false, 'another realm');
    assert.equal(backplane.sessionIdTaken('realm1', alice.id + 1), false);
    const asked: number[] = [];
    const taken = backplane.sessionIdTaken.bind(backplane);
    backplane.sessionIdTaken = (realm, id) => (asked.push(id), asked.length <= 3 || taken(realm, id));
    const bob = await join(n2!, 'bob');
    assert.equal(asked.length, 4, 'three ids refused as taken, the fourth kept');
    assert.equal(bob.id, asked[3]);
  });
});

describe('the meta API across nodes: kill', () => {
  it('closes the sessions of every node; each node says GOODBYE to its own, the count is the cluster\'s', async () => {
    const { nodes: [n1, n2] } = await cluster(['n1', 'n2']);
    const admin = await join(n1!, 'admin', 'admin');
    const x1 = await join(n1!, 'x', 'user');
    const x2 = await join(n2!, 'x', 'user');
    const guest = await join(n2!, 'g', 'guest');
    const other = await join(n2!, 'o', 'user');
    await settle();
    assert.deepEqual((await result(admin, 'wamp.session.kill_by_authid', ['x'], { reason: 'wamp.close.killed', message: 'bye' }) as number[]).sort(),
      [x1.id, x2.id].sort(), 'the sessions closed on both nodes');
    for (const client of [x1, x2]) {
      assert.deepEqual(goodbyes(client).map((m) => m.type === T.GOODBYE && [m.reason, m.details.message]), [['wamp.close.killed', 'bye']]);
    }
    assert.equal(await result(admin, 'wamp.session.kill', [guest.id]), undefined);
    assert.equal(goodbyes(guest).length, 1);
    for (const client of [x1, x2, guest]) client.peer.deliver({ type: T.GOODBYE, details: {}, reason: 'wamp.close.goodbye_and_out' });
    await settle();
    assert.equal((await failure(admin, 'wamp.session.kill', [guest.id])).error, 'wamp.error.no_such_session', 'already gone');
    assert.equal((await failure(admin, 'wamp.session.kill', [admin.id])).error, 'wamp.error.no_such_session', 'not itself');
    assert.deepEqual(await result(admin, 'wamp.session.kill_by_authrole', ['nobody']), []);
    assert.equal(goodbyes(other).length, 0);
    assert.equal((await result(admin, 'wamp.session.get', [admin.id]) as Dict).node, 'n1', 'a session of this node names it too');
    assert.equal((await result(admin, 'wamp.session.get', [other.id]) as Dict).node, 'n2');
    assert.deepEqual(await result(admin, 'wamp.session.kill_by_authrole', ['user']), [other.id]);
    assert.equal(goodbyes(other).length, 1);
    assert.equal(goodbyes(admin).length, 0, 'the caller is never closed by its own call');
    other.peer.deliver({ type: T.GOODBYE, details: {}, reason: 'wamp.close.goodbye_and_out' });
    await settle();
    assert.equal(await result(admin, 'wamp.session.count'), 1);
  });

  it('kill_all closes every other session of the cluster quietly (no on_leave)', async () => {
    const { nodes: [n1, n2] } = await cluster(['n1', 'n2']);
    const admin = await join(n1!, 'admin', 'admin');
    await subscribe(admin, 'wamp.session.on_leave');
    const near = await join(n1!, 'near');
    const far = await join(n2!, 'far');
    await settle();
    assert.equal(await result(admin, 'wamp.session.kill_all'), 2);
    for (const client of [near, far]) {
      assert.equal(goodbyes(client).length, 1);
      client.peer.deliver({ type: T.GOODBYE, details: {}, reason: 'wamp.close.goodbye_and_out' });
    }
    await settle();
    assert.equal(await result(admin, 'wamp.session.count'), 1);
    assert.deepEqual(events(admin), [], 'no on_leave from either node');
  });
});

describe('testaments across nodes', () => {
  it('publishes the testaments of a session whose node died, once, from a surviving node', async () => {
    const { hub, nodes: [n1, n2, n3] } = await cluster(['n1', 'n2', 'n3']);
    const s1 = await join(n1!, 's1');
    const s2 = await join(n2!, 's2');
    await subscribe(s1, 'will');
    await subscribe(s2, 'will');
    const dying = await join(n3!, 'dying');
    await result(dying, 'wamp.session.add_testament', ['will', ['gone'], { who: 'dying' }]);
    await result(dying, 'wamp.session.add_testament', ['will', ['flushed']], { scope: 'detached' });
    await result(dying, 'wamp.session.flush_testaments', [], { scope: 'detached' });
    await settle();
    hub.kill('n3');
    await settle();
    await settle();
    for (const client of [s1, s2]) {
      assert.deepEqual(events(client).map((e) => [e.args, e.kwargs]), [[['gone'], { who: 'dying' }]], 'once, the flushed one not at all');
    }
  });

  /** Nodes a, b and c, a subscriber to "will" on c, and a session on a with a testament. */
  async function willOnA(): Promise<{ hub: MemoryHub; listener: Client; nodes: RouterHarness[] }> {
    const { hub, nodes } = await cluster(['a', 'b', 'c']);
    const listener = await join(nodes[2]!, 'listener');
    await subscribe(listener, 'will');
    const dying = await join(nodes[0]!, 'dying');
    await result(dying, 'wamp.session.add_testament', ['will', ['gone']]);
    await settle();
    return { hub, listener, nodes };
  }

  it('publishes them from the next node in order when the chosen one dies before it noticed', async () => {
    const { hub, listener } = await willOnA();
    hub.kill('a', ['b']); // c notices; b, chosen to publish, has not yet
    await settle();
    assert.deepEqual(events(listener), [], 'c waits for b');
    hub.kill('b');
    await settle();
    await settle();
    assert.deepEqual(events(listener).map((e) => e.args), [['gone']], 'c publishes them, once');
  });

  it('does not publish them again when the chosen node published them and died after', async () => {
    const { hub, listener } = await willOnA();
    hub.kill('a');
    await settle();
    hub.kill('b');
    await settle();
    await settle();
    assert.deepEqual(events(listener).map((e) => e.args), [['gone']]);
  });

  it('does not publish them again when they were published before it noticed the death', async () => {
    const { hub, listener } = await willOnA();
    hub.kill('a', ['c']); // b publishes them while c still counts a alive
    await settle();
    hub.kill('b');
    hub.noticeDeath('a', 'c'); // now c is alone, and would be the one to publish them
    await settle();
    await settle();
    assert.deepEqual(events(listener).map((e) => e.args), [['gone']]);
  });

  it('does not wait for a node that started after the death and sorts first: it never knew them', async () => {
    const { hub, nodes: [c, x] } = await cluster(['c', 'x']);
    const listener = await join(c!, 'listener');
    await subscribe(listener, 'will');
    const dying = await join(x!, 'dying');
    await result(dying, 'wamp.session.add_testament', ['will', ['gone']]);
    await settle();
    hub.kill('x', ['c']); // x dies; c has not noticed yet
    const a = new RouterHarness({ backplane: hub.node('a'), gate: chosenIdentity });
    await a.router.ready();
    await settle();
    hub.noticeDeath('x', 'c'); // c knows a, which sorts first, but a never heard of x
    await settle();
    await settle();
    assert.deepEqual(events(listener).map((e) => e.args), [['gone']]);
  });

  it('does not publish them again elsewhere when the session leaves normally', async () => {
    const { nodes: [n1, n2] } = await cluster(['n1', 'n2']);
    const s1 = await join(n1!, 's1');
    await subscribe(s1, 'will');
    const leaving = await join(n2!, 'leaving');
    await result(leaving, 'wamp.session.add_testament', ['will', ['bye']]);
    leaving.peer.link.detach();
    await settle();
    await settle();
    assert.deepEqual(events(s1).map((e) => e.args), [['bye']]);
  });
});

describe('retained events and event history across nodes', () => {
  it('gives a late subscriber on any node the retained event published on another', async () => {
    const { nodes: [n1, n2] } = await cluster(['n1', 'n2']);
    const publisher = await join(n1!, 'pub');
    for (const value of [1, 2]) {
      await send(publisher, { type: T.PUBLISH, options: { retain: true, acknowledge: true }, topic: 'state', args: [value] });
    }
    await settle();
    const late = await join(n2!, 'late');
    await subscribe(late, 'state', { get_retained: true });
    const got = events(late);
    assert.deepEqual(got.map((e) => [e.args, e.details.retained]), [[[2], true]]);
  });

  it('keeps the same latest retained event on every node when two nodes publish to a topic at once', async () => {
    const { nodes: [n1, n2] } = await cluster(['n1', 'n2']);
    const [p1, p2] = [await join(n1!, 'p1'), await join(n2!, 'p2')];
    // Both before either crosses: each node keeps its own first and hears the other's second, in opposite orders.
    p1.peer.deliver({ type: T.PUBLISH, request: ++request, options: { retain: true }, topic: 'state', args: ['from n1'] } as WampMessage);
    p2.peer.deliver({ type: T.PUBLISH, request: ++request, options: { retain: true }, topic: 'state', args: ['from n2'] } as WampMessage);
    await settle();
    await settle();
    const kept: unknown[][] = [];
    for (const node of [n1!, n2!]) {
      const late = await join(node, 'late');
      await subscribe(late, 'state', { get_retained: true });
      kept.push(events(late).map((e) => e.args));
    }
    assert.deepEqual(kept[1], kept[0], 'both nodes keep the same one');
    assert.equal(kept[0]!.length, 1);
  });

  it('keeps the later retained publication as the latest when the earlier one came from a node whose clock is ahead', async () => {
    const { nodes: [n1, n2] } = await cluster(['n1', 'n2']);
    const [ahead, behind] = [await join(n1!, 'ahead'), await join(n2!, 'behind')];
    const realNow = Date.now;
    try {
      Date.now = () => realNow() + 60_000; // n1's clock is a minute ahead
      await send(ahead, { type: T.PUBLISH, options: { retain: true, acknowledge: true }, topic: 'state', args: ['first'] });
      Date.now = realNow;
      await settle();
      await send(behind, { type: T.PUBLISH, options: { retain: true, acknowledge: true }, topic: 'state', args: ['second'] });
      await settle();
    } finally {
      Date.now = realNow;
    }
    for (const node of [n1!, n2!]) {
      const late = await join(node, 'late');
      await subscribe(late, 'state', { get_retained: true });
      assert.deepEqual(events(late).map((e) => e.args), [['second']], `on ${node.router.nodeId}`);
    }
  });

  it('refuses on the publisher\'s node a retained publication over its limits (no node delivers it); another node with smaller limits delivers, does not keep', async () => {
    const hub = new MemoryHub();
    const node = (name: string, maxRetainedTopics: number) =>
      new RouterHarness({ backplane: hub.node(name), gate: chosenIdentity, realm: { limits: { maxRetainedTopics } } });
    const [n1, n2] = [node('n1', 2), node('n2', 1)];
    await Promise.all([n1.router.ready(), n2.router.ready()]);
    await settle();
    const [here, there] = [await join(n1, 'here'), await join(n2, 'there')];
    await subscribe(here, 'state.', { match: 'prefix' });
    await subscribe(there, 'state.', { match: 'prefix' });
    await settle();
    const publisher = await join(n1, 'pub');
    for (const topic of ['state.a', 'state.b']) {
      assert.equal((await send(publisher, { type: T.PUBLISH, options: { retain: true, acknowledge: true }, topic, args: [topic] })).type, T.PUBLISHED);
    }
    const refused = await send(publisher, { type: T.PUBLISH, options: { retain: true, acknowledge: true }, topic: 'state.c', args: ['state.c'] });
    assert.ok(refused.type === T.ERROR && /max_retained_topics is 2/.test(String(refused.args?.[0])), JSON.stringify(refused));
    await settle();
    await settle();
    for (const subscriber of [here, there]) {
      assert.deepEqual(events(subscriber).map((e) => e.args?.[0]), ['state.a', 'state.b'], 'each accepted publication once, the refused one nowhere');
    }
    assert.equal(n1.router.metrics.retainedRefused.value({ realm: 'realm1', limit: 'max_retained_topics' }), 1);
    assert.equal(n2.router.metrics.retainedRefused.value({ realm: 'realm1', limit: 'max_retained_topics' }), 1, 'n2 could keep only state.a');
    const late = await join(n2, 'late');
    await subscribe(late, 'state.', { match: 'prefix', get_retained: true });
    assert.deepEqual(events(late).map((e) => e.args?.[0]), ['state.a']);
  });

  it('gives a node that starts later the retained events kept before, with their receiver lists', async () => {
    const hub = new MemoryHub();
    const n1 = new RouterHarness({ backplane: hub.node('n1'), gate: chosenIdentity });
    const publisher = await join(n1, 'pub');
    await send(publisher, { type: T.PUBLISH, options: { retain: true, acknowledge: true }, topic: 'state', args: ['for all'] });
    const forBob = { retain: true, acknowledge: true, eligible_authid: ['bob'] };
    await send(publisher, { type: T.PUBLISH, options: forBob, topic: 'state', args: ['for bob'] });
    const n2 = new RouterHarness({ backplane: hub.node('n2'), gate: chosenIdentity });
    await settle();
    await settle();
    const [alice, bob] = [await join(n2, 'alice'), await join(n2, 'bob')];
    await subscribe(alice, 'state', { get_retained: true });
    await subscribe(bob, 'state', { get_retained: true });
    assert.deepEqual(events(alice).map((e) => e.args), [['for all']]);
    assert.deepEqual(events(bob).map((e) => e.args), [['for bob']]);
  });

  it('answers get_events on any node with the history of publications made on every node', async () => {
    const history = [{ uri: 'log', match: 'prefix' as const, limit: 10, limitBytes: 0 }];
    const { nodes: [n1, n2] } = await cluster(['n1', 'n2'], { eventHistory: history });
    const p1 = await join(n1!, 'p1');
    const p2 = await join(n2!, 'p2');
    await send(p1, { type: T.PUBLISH, options: { acknowledge: true }, topic: 'log.a', args: [1] });
    await send(p2, { type: T.PUBLISH, options: { acknowledge: true }, topic: 'log.b', args: [2] });
    await settle();
    for (const node of [n1!, n2!]) {
      const reader = await join(node, 'reader');
      const id = await result(reader, 'wamp.subscription.lookup', ['log', { match: 'prefix' }]);
      const stored = await result(reader, 'wamp.subscription.get_events', [id]) as Dict[];
      assert.deepEqual(stored.map((e) => e.args), [[1], [2]]);
    }
  });
  it('keeps each publication\'s position in its node\'s sequence in every node\'s history, and every node hears the same heads', async () => {
    const history = [{ uri: 'log', match: 'prefix' as const, limit: 50, limitBytes: 0 }];
    const { nodes: [n1, n2] } = await cluster(['n1', 'n2'], { eventHistory: history });
    const [p1, p2] = [await join(n1!, 'p1'), await join(n2!, 'p2')];
    // Both publish without waiting for each other: each node keeps its own first.
    for (let i = 0; i < 5; i++) {
      p1.peer.deliver({ type: T.PUBLISH, request: 1000 + i, options: {}, topic: 'log.a', args: [`a${i}`] });
      p2.peer.deliver({ type: T.PUBLISH, request: 2000 + i, options: {}, topic: 'log.b', args: [`b${i}`] });
    }
    await settle();
    const brokers = [n1!, n2!].map((node) => node.router.realm('realm1')!.broker);
    const orders = brokers.map((broker) => {
      const kept = broker.subscription(broker.matching('log.a').find((s) => s.match === 'prefix')!.id)!.history!.queryPositioned({}, { authid: 'x', authrole: 'x' });
      return kept.map(({ event, position }) => ({ value: String(event.args![0]), position: position! }));
    });
    assert.notDeepEqual(orders[0]!.map((e) => e.value), orders[1]!.map((e) => e.value), 'the nodes interleave the two differently');
    for (const order of orders) {
      for (const [prefix, broker] of [['a', brokers[0]!], ['b', brokers[1]!]] as const) {
        const mine = order.filter((e) => e.value.startsWith(prefix));
        assert.deepEqual(mine.map((e) => e.value), [0, 1, 2, 3, 4].map((i) => `${prefix}${i}`));
        assert.ok(mine.every((e) => e.position.source === broker.positions.source), 'positions name the publishing node\'s source');
        const seqs = mine.map((e) => e.position.seq);
        assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'in its sequence order');
      }
    }
    assert.deepEqual(new Map(brokers[0]!.positions.all), new Map(brokers[1]!.positions.all), 'every node heard the same heads');
  });

  it('gives a node that starts later the history kept before, merged with what it hears since, within its limits', async () => {
    const realm = { eventHistory: [{ uri: 'log', match: 'prefix' as const, limit: 3, limitBytes: 0 }] };
    const hub = new MemoryHub();
    const n1 = new RouterHarness({ backplane: hub.node('n1'), gate: chosenIdentity, realm });
    const publisher = await join(n1, 'pub');
    const publish = (topic: string, value: unknown, options: Dict = {}) =>
      send(publisher, { type: T.PUBLISH, options: { acknowledge: true, ...options }, topic, args: [value] });
    for (const value of [1, 2, 3]) await publish('log.a', value);
    await publish('log.b', 'for bob', { eligible_authid: ['bob'] });
    const n2 = new RouterHarness({ backplane: hub.node('n2'), gate: chosenIdentity, realm });
    await publish('log.a', 5); // while n2 starts: it may reach n2 live and in the copy, and is kept once
    await settle();
    await settle();
    const getEvents = async (client: Client): Promise<unknown[]> => {
      const id = await result(client, 'wamp.subscription.lookup', ['log', { match: 'prefix' }]);
      return (await result(client, 'wamp.subscription.get_events', [id]) as Dict[]).map((e) => e.args);
    };
    const [alice, bob] = [await join(n2, 'alice'), await join(n2, 'bob')];
    assert.deepEqual(await getEvents(alice), [[3], [5]], 'of the newest 3 (the limit), those alice may read');
    assert.deepEqual(await getEvents(bob), [[3], ['for bob'], [5]]);
    assert.deepEqual(await getEvents(await join(n1, 'bob')), await getEvents(bob), 'the same history as the node it copied');
  });
});

describe('first and last across nodes', () => {
  /** Registers `procedure` for `client`, answering every invocation with the client's name. */
  async function serve(client: Client, name: string, procedure: string, invoke: string): Promise<void> {
    await register(client, procedure, { invoke });
    callees.set(client, name);
  }
  const callees = new Map<Client, string>();

  /** Calls `procedure` from `caller`, answering the INVOCATION on whichever callee gets it; returns the callee's name. */
  async function whoAnswers(caller: Client, procedure: string): Promise<string> {
    const id = ++request;
    caller.peer.deliver({ type: T.CALL, request: id, options: {}, procedure, args: [] });
    for (let i = 0; i < 4; i++) {
      await settle();
      for (const [callee, name] of callees) {
        const invocation = callee.peer.inbox.find((m) => m.type === T.INVOCATION);
        if (invocation?.type !== T.INVOCATION) continue;
        callee.peer.inbox.splice(callee.peer.inbox.indexOf(invocation), 1);
        callee.peer.deliver({ type: T.YIELD, request: invocation.request, options: {}, args: [name] });
      }
    }
    const answer = caller.peer.inbox.find((m) => m.type === T.RESULT && m.request === id);
    caller.peer.inbox.splice(0);
    assert.ok(answer?.type === T.RESULT, `no result for ${procedure}`);
    return String(answer.args![0]);
  }

  it('calls the callee registered first in the whole cluster, wherever the call is made', async () => {
    callees.clear();
    const { nodes: [n1, n2] } = await cluster(['n1', 'n2']);
    const [c1, c2, c3] = [await join(n1!, 'c1'), await join(n2!, 'c2'), await join(n1!, 'c3')];
    await serve(c2, 'c2 on n2', 'p', 'first');
    await serve(c1, 'c1 on n1', 'p', 'first');
    await serve(c3, 'c3 on n1', 'p', 'first');
    await settle();
    const [on1, on2] = [await join(n1!, 'caller1'), await join(n2!, 'caller2')];
    assert.equal(await whoAnswers(on1, 'p'), 'c2 on n2', 'n1 has callees of its own, but n2\'s came first');
    assert.equal(await whoAnswers(on2, 'p'), 'c2 on n2');
    c2.peer.link.detach();
    await settle();
    assert.equal(await whoAnswers(on2, 'p'), 'c1 on n1', 'with c2 gone, c1 is the first');
    assert.equal(await whoAnswers(on1, 'p'), 'c1 on n1');
  });

  it('calls the callee registered last in the whole cluster, wherever the call is made', async () => {
    callees.clear();
    const { nodes: [n1, n2] } = await cluster(['n1', 'n2']);
    const [c1, c2, c3] = [await join(n1!, 'c1'), await join(n2!, 'c2'), await join(n1!, 'c3')];
    await serve(c1, 'c1 on n1', 'p', 'last');
    await serve(c2, 'c2 on n2', 'p', 'last');
    await settle();
    const [on1, on2] = [await join(n1!, 'caller1'), await join(n2!, 'caller2')];
    assert.equal(await whoAnswers(on1, 'p'), 'c2 on n2', 'n1 has a callee, but n2\'s came last');
    await serve(c3, 'c3 on n1', 'p', 'last');
    await settle();
    assert.equal(await whoAnswers(on2, 'p'), 'c3 on n1', 'n2 has a callee, but n1\'s newest came last');
    c3.peer.link.detach();
    await settle();
    assert.equal(await whoAnswers(on1, 'p'), 'c2 on n2');
  });
});

describe('session statistics across nodes', () => {
  const stats = { ratedMessageSize: 512, afterRatedMessages: 1, afterDurationMs: 0, onJoin: false, onLeave: true };

  it("each node reports its own sessions; the reports reach monitors on every node, and a monitor's reports never feed back", async () => {
    const { nodes: [n1, n2] } = await cluster(['n1', 'n2'], { stats });
    const monitors = [await join(n1!, 'm1'), await join(n2!, 'm2')];
    for (const monitor of monitors) await subscribe(monitor, 'wamp.session.on_stats');
    await settle();
    for (const monitor of monitors) events(monitor);
    const client = await join(n2!, 'client');
    // Every message is a rated message here: each PUBLISH makes a report, on n2, which both monitors receive.
    for (let i = 0; i < 3; i++) client.peer.deliver({ type: T.PUBLISH, request: 900 + i, options: {}, topic: 'app.x', args: [i] });
    await settle();
    client.peer.deliver({ type: T.GOODBYE, details: {}, reason: 'wamp.close.close_realm' });
    for (let i = 0; i < 5; i++) await settle();
    for (const monitor of monitors) {
      const reports = events(monitor).map((event) => event.args as [Dict, Dict]);
      assert.deepEqual([...new Set(reports.map(([who]) => who.authid))], ['client'], 'reports about the client only, never about a monitor');
      assert.equal(reports.at(-1)![1].last, true);
      assert.equal(reports.reduce((sum, [, s]) => sum + (s.messages as number), 0), 2 + 3 + 2, 'HELLO, WELCOME, three PUBLISHes, GOODBYE both ways: each once');
    }
  });
});
