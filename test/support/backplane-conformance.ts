import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type {
  Backplane, CallTraffic, ClusterQuestion, Interest, RemotePublication, RemoteSession, SpaceListener,
} from '../../src/router/backplane.js';
import { MessageType } from '../../src/protocol/codes.js';
import { eventually, waitFor } from './wait.js';

/** A cluster of backplane nodes as one implementation builds it. */
export interface ClusterUnderTest {
  /** A new node (or a node that rejoins under a name it had before). */
  node(nodeId: string): Promise<Backplane>;
  /** The node dies without a word (the suite then waits until the others have noticed: a lease may have to run out). */
  kill(nodeId: string): Promise<void>;
  /**
   * What the node sends to its claim authority next waits a while behind something else (a busy
   * or slow link), where the implementation can make it so: a release must not look done before it is.
   */
  holdUp?(nodeId: string): void;
  close(): Promise<void>;
}

/** A node with what it received. */
interface TestNode {
  backplane: Backplane;
  received: RemotePublication[];
  traffic: { from: string; traffic: CallTraffic }[];
  gone: string[];
  /** The client sessions the dead or departed nodes had, as the sink was told. */
  goneSessions: RemoteSession[];
  /** The nodes whose whole state this node heard. */
  joined: string[];
  /** Publications (`pub TOPIC`) and announcements of published testaments (`published FROM NODE SESSION`), in the order heard. */
  heard: string[];
  /** How this node answers questions (by default: its name and the question's kind). */
  answer: (question: ClusterQuestion) => Promise<unknown>;
  /** Called in the turn the sink hears that a node is gone, if set. */
  onGone?: (node: string) => void;
}

let probes = 0;

/**
 * What every backplane must do, run against each implementation. Nothing here waits for a
 * fixed time: `sync` proves that two nodes have heard each other up to now (links keep order),
 * and `kill` waits until every other node has heard that the dead one is gone.
 */
export function backplaneConformance(name: string, build: () => ClusterUnderTest, skip: string | false = false): void {
  describe(`backplane conformance: ${name}`, { skip }, () => {
    let cluster: ClusterUnderTest;
    /** The nodes of the running test that have not been killed. */
    let members: TestNode[] = [];
    afterEach(() => {
      members = [];
      return cluster?.close();
    });

    async function node(nodeId: string): Promise<TestNode> {
      const backplane = await cluster.node(nodeId);
      const node: TestNode = {
        backplane, received: [], traffic: [], gone: [], goneSessions: [], joined: [], heard: [],
        answer: async (question) => `${nodeId}:${question.k}`,
      };
      members.push(node);
      backplane.attach({
        deliver: (publication) => {
          node.received.push(publication);
          node.heard.push(`pub ${publication.topic}`);
        },
        testamentsPublished: (from, dead, _realm, session) => void node.heard.push(`published ${from} ${dead} ${session}`),
        callTraffic: (from, traffic) => void node.traffic.push({ from, traffic }),
        nodeGone: (gone, sessions) => {
          node.gone.push(gone);
          node.goneSessions.push(...sessions);
          node.onGone?.(gone);
        },
        answer: (_from, question) => node.answer(question),
        nodeJoined: (joined) => void node.joined.push(joined),
      });
      return node;
    }

    /**
     * Once this resolves, `from` has seen every interest `to` announced before, and `to` has
     * received every publication `from` sent before: `to` announces a probe that `from` publishes
     * to until one arrives (each side's messages to the other arrive in order). A node that joined
     * has `from`'s state once sync(from, joined) resolves (`from` answered its hello before it
     * heard the probe), not after sync(joined, from): that answer may still be on its way.
     * The copies sent after the first that arrived are on their way too (`from` knew the interest
     * then): the sync waits for the last, so that none reaches `to` after it (on a slow machine
     * several are in flight at once).
     */
    async function sync(from: TestNode, to: TestNode): Promise<void> {
      const probe: Interest = { realm: 'sync', uri: `probe.${++probes}`, match: 'exact' };
      to.backplane.announce(probe, true);
      const arrived = (): number[] => to.received.filter((p) => p.realm === 'sync' && p.topic === probe.uri).map((p) => p.publication);
      let sent = 0;
      const deadline = Date.now() + 5_000;
      while (!arrived().includes(sent)) {
        assert.ok(Date.now() < deadline, arrived().length > 0
          ? `node ${to.backplane.nodeId} received probe copies ${arrived().join(',')} of ${sent} from node ${from.backplane.nodeId}`
          : `node ${from.backplane.nodeId} never reached node ${to.backplane.nodeId}`);
        if (arrived().length === 0) from.backplane.publish({ ...publication('sync', probe.uri), publication: ++sent });
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      to.backplane.announce(probe, false);
      to.received.splice(0, to.received.length, ...to.received.filter((p) => p.realm !== 'sync'));
    }

    /** Kills a node and waits until every other member has heard that it is gone. */
    async function kill(nodeId: string): Promise<void> {
      const times = (n: TestNode): number => n.gone.filter((gone) => gone === nodeId).length;
      const survivors = members.filter((n) => n.backplane.nodeId !== nodeId).map((n) => ({ n, before: times(n) }));
      members = members.filter((n) => n.backplane.nodeId !== nodeId);
      await cluster.kill(nodeId);
      await waitFor(() => survivors.every(({ n, before }) => times(n) > before), `every other node to hear that ${nodeId} is gone`);
    }

    const topics = (n: TestNode): string[] => n.received.map((p) => p.topic);

    it('routes a publication only to the nodes with a matching subscription, once per node', async () => {
      cluster = build();
      const [a, b, c] = [await node('a'), await node('b'), await node('c')];
      b.backplane.announce({ realm: 'r', uri: 'news.sport', match: 'exact' }, true);
      b.backplane.announce({ realm: 'r', uri: 'news', match: 'prefix' }, true);
      b.backplane.announce({ realm: 'r', uri: 'news..live', match: 'wildcard' }, true);
      c.backplane.announce({ realm: 'r', uri: 'weather', match: 'exact' }, true);
      c.backplane.announce({ realm: 'other', uri: 'news.sport', match: 'exact' }, true);
      await sync(a, b);
      await sync(a, c);
      a.backplane.publish(publication('r', 'news.sport'));
      a.backplane.publish(publication('r', 'news.tv.live'));
      a.backplane.publish(publication('r', 'sport'));
      a.backplane.publish(publication('r', 'weather'));
      await sync(a, b);
      await sync(a, c);
      assert.deepEqual(topics(b), ['news.sport', 'news.tv.live']);
      assert.deepEqual(topics(c), ['weather']);
      assert.deepEqual(a.received, []);
    });

    it('keeps the publisher\'s order and carries every part of a publication unchanged', async () => {
      cluster = build();
      const [a, b] = [await node('a'), await node('b')];
      b.backplane.announce({ realm: 'r', uri: 'seq', match: 'exact' }, true);
      await sync(a, b);
      for (let i = 0; i < 200; i++) a.backplane.publish({ ...publication('r', 'seq'), args: [i] });
      const full: RemotePublication = {
        realm: 'r', topic: 'seq', publication: 2 ** 53 - 1, publisher: 77, origin: 'client', options: { exclude: [1, 2], eligible_authrole: ['x'] },
        details: { publisher: 77, x: { nested: [true, null] } }, kwargs: { 'k': 'ü' }, payload: new Uint8Array([0, 255, 7]),
      };
      a.backplane.publish(full);
      await sync(a, b);
      assert.deepEqual(b.received.slice(0, 200).map((p) => p.args![0]), [...Array(200).keys()]);
      const last = b.received[200]!;
      assert.deepEqual({ ...last, payload: [...last.payload!] }, { ...full, payload: [0, 255, 7] });
    });

    it('stops sending to a node once it withdraws its interest', async () => {
      cluster = build();
      const [a, b] = [await node('a'), await node('b')];
      const interest: Interest = { realm: 'r', uri: 't', match: 'exact' };
      b.backplane.announce(interest, true);
      await sync(a, b);
      a.backplane.publish(publication('r', 't'));
      b.backplane.announce(interest, false);
      await sync(a, b);
      a.backplane.publish(publication('r', 't'));
      await sync(a, b);
      assert.deepEqual(topics(b), ['t']);
    });

    it('tells a node that joins later what the others already subscribe to', async () => {
      cluster = build();
      const b = await node('b');
      b.backplane.announce({ realm: 'r', uri: 'early', match: 'exact' }, true);
      const late = await node('late');
      await sync(late, b);
      late.backplane.publish(publication('r', 'early'));
      await sync(late, b);
      assert.deepEqual(topics(b), ['early']);
      // Through Redis b's state may come twice on a loaded machine: an answer to the late node's
      // hello, and one to the sync it asks for when two heartbeats of b reach it before that answer
      // (redis-backplane.test.ts counts the states sent when b is not slowed down).
      assert.deepEqual([...new Set(late.joined)], ['b'], 'the late node heard b\'s whole state');
    });

    it('forgets a node that dies or leaves; a node that rejoins under its old name starts clean', async () => {
      cluster = build();
      const [a, b, c] = [await node('a'), await node('b'), await node('c')];
      b.backplane.announce({ realm: 'r', uri: 't', match: 'exact' }, true);
      c.backplane.announce({ realm: 'r', uri: 't', match: 'exact' }, true);
      await sync(a, b);
      await sync(a, c);
      await kill('b');
      await c.backplane.close();
      const again = await node('b');
      await sync(a, again);
      a.backplane.publish(publication('r', 't'));
      await sync(a, again);
      assert.deepEqual(again.received, []);
      again.backplane.announce({ realm: 'r', uri: 't', match: 'exact' }, true);
      await sync(a, again);
      a.backplane.publish(publication('r', 't'));
      await sync(a, again);
      assert.deepEqual(topics(again), ['t']);
      assert.deepEqual(c.received, []);
      assert.ok(a.gone.includes('b') && a.gone.includes('c'), 'the sink hears of nodes that died or left');
    });

    it('sends a retained publication to every node, interested or not, so each can keep it', async () => {
      cluster = build();
      const [a, b, c] = [await node('a'), await node('b'), await node('c')];
      b.backplane.announce({ realm: 'r', uri: 'state', match: 'exact' }, true);
      await sync(a, b);
      await sync(a, c);
      a.backplane.publish({ ...publication('r', 'state'), options: { retain: true } });
      a.backplane.publish({ ...publication('r', 'other'), options: { retain: false } });
      await sync(a, b);
      await sync(a, c);
      assert.deepEqual(topics(b), ['state']);
      assert.deepEqual(topics(c), ['state']);
    });

    it('asks the other nodes a question and gathers the answers; a node that dies is not waited for, one that fails is named', async () => {
      cluster = build();
      const [a, b, c, d] = [await node('a'), await node('b'), await node('c'), await node('d')];
      c.answer = async () => {
        throw new Error('cannot answer');
      };
      d.answer = () => new Promise(() => {}); // never answers: it dies first
      for (const other of [b, c, d]) await sync(a, other);
      const question: ClusterQuestion = { k: 'subscriptions', realm: 'r', filter: {} };
      const asking = a.backplane.askAll(question);
      await kill('d');
      const asked = await asking;
      assert.deepEqual(asked.answers, [{ node: 'b', answer: 'b:subscriptions' }]);
      assert.deepEqual(asked.missing, ['c']);
      const toB = await a.backplane.askAll({ k: 'kill', realm: 'r', target: { all: true }, caller: 1, reason: 'wamp.close.killed' }, ['b']);
      assert.deepEqual(toB, { answers: [{ node: 'b', answer: 'b:kill' }], missing: [] }, 'only the nodes named');
    });

    it('keeps a copy of each session\'s testaments on the other nodes, for when its node dies', async () => {
      cluster = build();
      const [a, b] = [await node('a'), await node('b')];
      const details = { session: 7, authid: 'x', authrole: 'user', node: 'b' };
      const will = { topic: 'will', args: ['gone'], kwargs: { n: 1 }, options: {} };
      b.backplane.announceSession('r', details, true);
      b.backplane.announceSession('r', { ...details, session: 8 }, true);
      b.backplane.shareTestaments('r', 7, [will, { ...will, args: ['second'] }]);
      b.backplane.shareTestaments('r', 8, [will]);
      b.backplane.shareTestaments('r', 8, []);
      await sync(a, b);
      const late = await node('late');
      await sync(late, b);
      await kill('b');
      await sync(a, late);
      await sync(late, a);
      for (const survivor of [a, late]) {
        const sessions = survivor.goneSessions.map(({ details: { session }, testaments }) => ({ session, testaments }));
        assert.deepEqual(sessions, [{ session: 7, testaments: [will, { ...will, args: ['second'] }] }, { session: 8, testaments: [] }]);
      }
    });

    it('says that a dead node\'s testaments were published after the publications, and drops the copy', async () => {
      cluster = build();
      const [a, b, c] = [await node('a'), await node('b'), await node('c')];
      c.backplane.announceSession('r', { session: 7, authid: 'x', authrole: 'user', node: 'c' }, true);
      c.backplane.shareTestaments('r', 7, [{ topic: 'will', args: [], kwargs: {}, options: {} }]);
      b.backplane.announce({ realm: 'r', uri: 'will', match: 'exact' }, true);
      await sync(a, b);
      await sync(c, b);
      // a noticed c's death first (b has not yet) and published its session's testament.
      a.backplane.publish(publication('r', 'will'));
      a.backplane.testamentsPublished('c', 'r', 7);
      await sync(a, b);
      assert.deepEqual(b.heard.filter((h) => !h.startsWith('pub probe')), ['pub will', 'published a c 7']);
      await kill('c');
      await sync(a, b);
      assert.deepEqual(b.goneSessions.map(({ details: { session }, testaments }) => ({ session, testaments })), [{ session: 7, testaments: undefined }],
        'b, noticing the death later, has no copy left to publish');
    });

    it('claims procedures atomically: single is unique cluster-wide, shared ones share one policy', async () => {
      cluster = build();
      const [a, b] = [await node('a'), await node('b')];
      const add: Interest = { realm: 'r', uri: 'com.add', match: 'exact' };
      const [first, second] = await Promise.all([a.backplane.claimProcedure(add, 'single'), b.backplane.claimProcedure(add, 'single')]);
      assert.equal([first, second].filter((answer) => answer.ok).length, 1, 'exactly one of two racing claims wins');
      const loser = first.ok ? b : a;
      const winner = first.ok ? a : b;
      assert.deepEqual(first.ok ? second : first, { ok: false, heldAs: 'single' });
      const shared: Interest = { realm: 'r', uri: 'com.shared', match: 'exact' };
      assert.equal((await a.backplane.claimProcedure(shared, 'roundrobin')).ok, true);
      assert.equal((await b.backplane.claimProcedure(shared, 'roundrobin')).ok, true);
      assert.deepEqual(await b.backplane.claimProcedure({ ...shared, uri: 'com.shared' }, 'random'), { ok: false, heldAs: 'roundrobin' });
      assert.equal((await b.backplane.claimProcedure({ ...shared, match: 'prefix' }, 'single')).ok, true,
        'another match policy is another procedure');
      await winner.backplane.releaseProcedure(add);
      assert.equal((await loser.backplane.claimProcedure(add, 'single')).ok, true, 'a released procedure can be claimed');
      await kill(loser.backplane.nodeId);
      assert.equal((await winner.backplane.claimProcedure(add, 'single')).ok, true, 'a dead node\'s claims are freed once its death is heard');
    });

    it('frees a released procedure for every node once the release resolves: another node claims it at once', async () => {
      cluster = build();
      const [a, b] = [await node('a'), await node('b')];
      const moved: Interest = { realm: 'r', uri: 'com.moved', match: 'exact' };
      // A procedure moved back and forth (a deploy, a failover), each claim sent as soon as the release resolved.
      for (let round = 0; round < 30; round++) {
        const [from, to] = round % 2 === 0 ? [a, b] : [b, a];
        assert.equal((await from.backplane.claimProcedure(moved, 'single')).ok, true, `round ${round}: the claim on ${from.backplane.nodeId}`);
        cluster.holdUp?.(from.backplane.nodeId);
        await from.backplane.releaseProcedure(moved);
        assert.equal((await to.backplane.claimProcedure(moved, 'single')).ok, true, `round ${round}: the claim on ${to.backplane.nodeId} right after the release`);
        await to.backplane.releaseProcedure(moved);
      }
    });

    it('frees the claims of a node that leaves or dies before the others hear that it is gone', async () => {
      cluster = build();
      const [a, b, c] = [await node('a'), await node('b'), await node('c')];
      const procedures = ['com.left', 'com.died'].map((uri): Interest => ({ realm: 'r', uri, match: 'exact' }));
      assert.equal((await b.backplane.claimProcedure(procedures[0]!, 'single')).ok, true);
      assert.equal((await c.backplane.claimProcedure(procedures[1]!, 'single')).ok, true);
      await sync(a, b);
      await sync(a, c);
      // a claims in the very turn it hears of each departure, as a client's REGISTER could arrive then.
      const claims: Promise<boolean>[] = [];
      a.onGone = (gone) => void claims.push(a.backplane.claimProcedure(procedures[gone === 'b' ? 0 : 1]!, 'single').then((answer) => answer.ok));
      await b.backplane.close();
      members = members.filter((member) => member !== b);
      await waitFor(() => claims.length === 1, 'a to hear that b left');
      await kill('c');
      assert.deepEqual(await Promise.all(claims), [true, true]);
    });

    it('seats members of a bounded group atomically across nodes, and frees the seats of a node that leaves or dies', async () => {
      cluster = build();
      const [a, b, c] = [await node('a'), await node('b'), await node('c')];
      // Two nodes ask for the last seat in the same turn: one gets it.
      const raced = await Promise.all([a.backplane.seat('room', 'ann', 1), b.backplane.seat('room', 'bob', 1)]);
      assert.deepEqual([...raced].sort(), [false, true]);
      const [seated, refused] = raced[0] ? [a, b] : [b, a];
      const member = seated === a ? 'ann' : 'bob';
      assert.equal(await refused.backplane.seat('room', member, 1), true, 'a member seated through another node takes no new seat');
      assert.equal(await c.backplane.seat('room', 'cid', 1), false);
      // An unseat is sent, not awaited: through Redis a seat asked for on another node's
      // connection may arrive before it. The seat is free for the others once it arrived.
      const seatOnceFreed = (on: TestNode, who: string): Promise<true> =>
        eventually(async () => (await on.backplane.seat('room', who, 1)) || undefined, `${who} seated once the seat was given back`);
      // Released by both holders: free for another node.
      seated.backplane.unseat('room', member);
      refused.backplane.unseat('room', member);
      await seatOnceFreed(c, 'cid');
      // c leaves, then a seat held by a dies: the others may take them.
      await c.backplane.close();
      members = members.filter((each) => each !== c);
      await waitFor(() => a.gone.includes('c') && b.gone.includes('c'), 'the others to hear that c left');
      assert.equal(await b.backplane.seat('room', 'dan', 1), true, 'c\'s seat freed as it left');
      b.backplane.unseat('room', 'dan');
      await seatOnceFreed(a, 'eve');
      await kill('a');
      assert.equal(await b.backplane.seat('room', 'fay', 1), true, 'a\'s seat freed as it died');
    });

    it('numbers claims in the order decided, and tells the others where a node\'s first/last callees stand', async () => {
      cluster = build();
      const [a, b] = [await node('a'), await node('b')];
      const procedure: Interest = { realm: 'r', uri: 'com.first', match: 'exact' };
      const tickets: number[] = [];
      for (const claimer of [a, b, a]) {
        const answer = await claimer.backplane.claimProcedure(procedure, 'first');
        assert.ok(answer.ok && answer.ticket !== undefined, JSON.stringify(answer));
        tickets.push(answer.ticket);
      }
      assert.deepEqual([...tickets].sort((x, y) => x - y), tickets, 'later claims get larger tickets');
      assert.equal(new Set(tickets).size, 3);
      const rank = { invoke: 'first' as const, first: tickets[0]!, last: tickets[2]! };
      a.backplane.summarizeProcedure(procedure, rank);
      await sync(b, a);
      assert.deepEqual([...b.backplane.procedureSummaries(procedure)!.byNode], [['a', rank]]);
      assert.deepEqual(b.backplane.bestProcedure('r', 'com.first'), procedure);
      const late = await node('late');
      await sync(a, late);
      assert.deepEqual([...late.backplane.procedureSummaries(procedure)!.byNode], [['a', rank]], 'a node that joins later learns the rank');
      a.backplane.releaseProcedure(procedure);
      await sync(b, a);
      assert.equal(b.backplane.procedureSummaries(procedure), undefined);
    });

    it('tells the others how many callees each node has for a roundrobin/random registration, in the order of the nodes\' names', async () => {
      cluster = build();
      const [a, b, c] = [await node('a'), await node('b'), await node('c')];
      const procedure: Interest = { realm: 'r', uri: 'com.spread', match: 'exact' };
      const counts = (of: TestNode): [string, unknown][] =>
        [...of.backplane.procedureSummaries(procedure)?.byNode ?? []].map(([holder, summary]) => [holder, 'callees' in summary && summary.callees]);
      for (const holder of [c, a]) {
        assert.equal((await holder.backplane.claimProcedure(procedure, 'roundrobin')).ok, true);
        holder.backplane.summarizeProcedure(procedure, { invoke: 'roundrobin', callees: 1 });
      }
      c.backplane.summarizeProcedure(procedure, { invoke: 'roundrobin', callees: 3 });
      await sync(b, a);
      await sync(b, c);
      assert.deepEqual(counts(b), [['a', 1], ['c', 3]], 'by name, whatever order they were heard in; the latest count');
      const late = await node('late');
      await sync(a, late);
      await sync(c, late);
      assert.deepEqual(counts(late), [['a', 1], ['c', 3]], 'a node that joins later learns the counts');
      a.backplane.releaseProcedure(procedure);
      await sync(b, a);
      assert.deepEqual(counts(b), [['c', 3]]);
      await kill('c');
      await sync(b, late);
      assert.equal(b.backplane.procedureSummaries(procedure), undefined, 'a dead node\'s counts are forgotten');
    });

    it('tells every node which nodes hold the best match for a call, and carries call traffic point to point in order', async () => {
      cluster = build();
      const [a, b, c] = [await node('a'), await node('b'), await node('c')];
      await b.backplane.claimProcedure({ realm: 'r', uri: 'com.math', match: 'prefix' }, 'single');
      await c.backplane.claimProcedure({ realm: 'r', uri: 'com.math.add', match: 'exact' }, 'roundrobin');
      await b.backplane.claimProcedure({ realm: 'r', uri: 'com.math.add', match: 'exact' }, 'roundrobin');
      await sync(a, b);
      await sync(a, c);
      assert.deepEqual([...a.backplane.calleeNodes('r', 'com.math.add')].sort(), ['b', 'c']);
      assert.deepEqual(a.backplane.calleeNodes('r', 'com.math.mul'), ['b']);
      assert.deepEqual(a.backplane.calleeNodes('r', 'com.other'), []);
      assert.deepEqual(a.backplane.calleeNodes('elsewhere', 'com.math.add'), []);
      const exact: Interest = { realm: 'r', uri: 'com.math.add', match: 'exact' };
      const prefix: Interest = { realm: 'r', uri: 'com.math', match: 'prefix' };
      assert.deepEqual(a.backplane.bestProcedure('r', 'com.math.add'), exact);
      assert.deepEqual(a.backplane.bestProcedure('r', 'com.math.mul'), prefix);
      for (let i = 1; i <= 20; i++) {
        a.backplane.sendCall('b', {
          k: 'call', realm: 'r', caller: { session: 5, authid: 'x', authrole: 'y' }, disclose: false,
          message: { type: MessageType.CALL, request: i, options: {}, procedure: 'com.math.add', args: [i] },
          // The registration chosen for the call crosses with its first chunk only.
          ...(i === 1 ? { registration: exact } : {}),
        });
      }
      await sync(a, b);
      assert.deepEqual(b.traffic.map(({ from, traffic }) => traffic.k === 'call' && `${from}:${traffic.message.request}`),
        [...Array(20).keys()].map((i) => `a:${i + 1}`));
      assert.deepEqual(b.traffic.map(({ traffic }) => traffic.k === 'call' && traffic.registration), [exact, ...Array(19).fill(undefined)]);
      assert.deepEqual(c.traffic, []);
      b.backplane.releaseProcedure(exact);
      await sync(a, b);
      assert.deepEqual(a.backplane.calleeNodes('r', 'com.math.add'), ['c']);
      await kill('c');
      await sync(a, b);
      assert.deepEqual(a.backplane.calleeNodes('r', 'com.math.add'), ['b'], 'with c gone, b\'s prefix registration is the best match');
      assert.deepEqual(a.backplane.bestProcedure('r', 'com.math.add'), prefix);
    });

    it('shares each node\'s entries of a space with every other node\'s listener, until withdrawn or the node is gone; carries notes', async () => {
      cluster = build();
      const [a, b] = [await node('a'), await node('b')];
      const heard: string[] = [];
      const listener = (name: string): SpaceListener => ({
        entry: (from, key, value) => void heard.push(`${name} ${from} ${key}=${value === undefined ? '-' : JSON.stringify(value)}`),
        note: (from, body) => void heard.push(`${name} note from ${from}: ${JSON.stringify(body)}`),
      });
      b.backplane.listen('space', listener('b'));
      a.backplane.share('space', 'x', { n: 1 });
      a.backplane.share('space', 'y', 2);
      a.backplane.share('other', 'z', 3);
      a.backplane.share('space', 'x', undefined);
      a.backplane.note('space', { hi: true });
      a.backplane.note('other', 'unheard');
      await sync(a, b);
      assert.deepEqual(heard.splice(0), ['b a x={"n":1}', 'b a y=2', 'b a x=-', 'b note from a: {"hi":true}']);
      const late = await node('late');
      late.backplane.listen('space', listener('late'));
      await sync(a, late);
      assert.deepEqual(heard.splice(0), ['late a y=2'], 'a node that joins later learns what the others share');
      a.backplane.share('space', 'w', true);
      await sync(a, b);
      await sync(a, late);
      heard.splice(0);
      await kill('a');
      await sync(late, b);
      assert.deepEqual(heard.filter((line) => line.startsWith('b ')), ['b a w=-', 'b a y=-'], 'a node gone withdraws its entries, newest first');
    });

    it('answers a question asked of one node, and fails it clearly when nothing answers, it times out, or the node dies', async () => {
      cluster = build();
      const [a, b] = [await node('a'), await node('b')];
      await sync(a, b);
      const asked: { body: unknown; from: string }[] = [];
      const stop = b.backplane.serve('echo', async (body, from) => {
        asked.push({ body, from });
        if ((body as { fail?: boolean }).fail) throw new Error('no thanks');
        if ((body as { hang?: boolean }).hang) return new Promise(() => {});
        return { echoed: body };
      });
      assert.deepEqual(await a.backplane.ask('b', 'echo', { n: 1 }, 5_000), { echoed: { n: 1 } });
      assert.deepEqual(asked, [{ body: { n: 1 }, from: 'a' }]);
      await assert.rejects(a.backplane.ask('b', 'echo', { fail: true }, 5_000), { reason: 'refused', message: 'no thanks' });
      await assert.rejects(a.backplane.ask('b', 'other', {}, 5_000), { reason: 'unserved' });
      await assert.rejects(a.backplane.ask('b', 'echo', { hang: true }, 50), { reason: 'timeout' });
      const hanging = assert.rejects(a.backplane.ask('b', 'echo', { hang: true }, 60_000), { reason: 'gone' });
      await kill('b');
      await hanging;
      stop();
    });
  });
}

function publication(realm: string, topic: string): RemotePublication {
  return { realm, topic, publication: 1, publisher: 1, origin: 'client', options: {}, details: {} };
}
