import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { backplaneConformance } from '../../../test/support/backplane-conformance.js';
import { skipWithoutDebian } from '../../../test/support/debian.js';
import { documentedAclRules, RunningRedis } from '../../../test/support/redis-server.js';
import { waitFor } from '../../../test/support/wait.js';
import { clusterDefaults } from '../../config/file-schema.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import { MeshBackplane, type MeshLink } from '../../router/backplane-mesh.js';
import type { RemotePublication } from '../../router/backplane.js';
import { silentLogger, type Logger } from '../../router/log.js';
import { Redis } from 'ioredis';
import { createLogger } from '../logger.js';
import { RedisFeeds } from './redis-feeds.js';
import { RedisLink } from './redis-link.js';
import { RedisTimeouts } from './redis-timeouts.js';
import { MessageType as T } from '../../protocol/codes.js';
import { ErrorUri } from '../../protocol/errors.js';
import type { WampMessage } from '../../protocol/messages.js';
import { RouterHarness, type MemoryPeer } from '../../../test/support/router-harness.js';

const skip = skipWithoutDebian('redis-server');
const heartbeatMs = 100;
const leaseMs = 400;
let redis: RunningRedis | undefined;
let prefixes = 0;

before(async () => {
  if (!skip) redis = await RunningRedis.start();
});
// A test that fails midway leaves its nodes open, and their connections would keep this file running.
const opened: MeshBackplane[] = [];
after(async () => {
  await Promise.all(opened.map((backplane) => backplane.close()));
  await redis?.stop();
});

interface RedisNode {
  link: RedisLink;
  backplane: MeshBackplane;
  metrics: MetricsRegistry;
}

async function redisNode(nodeId: string, prefix: string,
  options: {
    at?: RunningRedis; readyMs?: number; maxPendingBytes?: number; leaseMs?: number; commandTimeoutMs?: number; log?: Logger; livenessMs?: number;
    /** How long the node takes between its link being ready and its mesh saying hello (a node start does more in between: feeds.ready()). */
    helloAfterMs?: number;
    heartbeatMs?: number;
    /** What the mesh is given in place of the link (a wrapper that loses messages). */
    meshLink?: (link: RedisLink) => MeshLink;
  } = {}): Promise<RedisNode> {
  const metrics = new MetricsRegistry();
  const link = new RedisLink({
    redis: { url: (options.at ?? redis!).url }, nodeId, log: options.log ?? silentLogger, prefix, heartbeatMs: options.heartbeatMs ?? heartbeatMs, leaseMs: options.leaseMs ?? leaseMs, maxPendingBytes: options.maxPendingBytes ?? 1 << 20,
    ...(options.livenessMs === undefined ? {} : { livenessMs: options.livenessMs }),
    timeouts: new RedisTimeouts(silentLogger, options.commandTimeoutMs ?? clusterDefaults.commandTimeoutMs, metrics),
  });
  await link.ready(options.readyMs);
  if (options.helloAfterMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.helloAfterMs));
  const backplane = new MeshBackplane(nodeId, options.meshLink?.(link) ?? link, metrics);
  opened.push(backplane);
  return { link, backplane, metrics };
}

/** A metric's value in the Prometheus text, 0 when it has no such line. */
function metricValue(metrics: MetricsRegistry, series: string): number {
  const line = metrics.exposition().split('\n').find((text) => text.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** Keeps the link's command connection busy for 50 ms (a blocking pop of nothing): what the node sends next waits behind it. */
function holdUp(link: RedisLink): void {
  void (link as unknown as { commands: Redis }).commands.blpop('held-up', 0.05);
}

/** Publishes on `from` until `received` grows (interest announcements cross asynchronously); bounded. */
async function publishUntilReceived(from: RedisNode, received: RemotePublication[], topic = 't'): Promise<void> {
  const deadline = Date.now() + 10_000;
  const before = received.length;
  while (received.length === before) {
    assert.ok(Date.now() < deadline, 'the publication never arrived');
    from.backplane.publish({ realm: 'r', topic, publication: 1, publisher: 1, origin: 'client', options: {}, details: {} });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

backplaneConformance('Redis', () => {
  // Each test its own cluster on the one Redis: a prefix of its own.
  const prefix = `test${++prefixes}`;
  const nodes = new Map<string, RedisNode>();
  return {
    node: async (nodeId) => {
      // The default lease, not 400 ms, which a loaded machine's stalls overran (a live node taken
      // for dead). A killed node is noticed sooner anyway: its connections are gone (RedisLiveness).
      const node = await redisNode(nodeId, prefix, { leaseMs: clusterDefaults.leaseMs });
      nodes.set(nodeId, node);
      return node.backplane;
    },
    kill: async (nodeId) => {
      nodes.get(nodeId)?.link.vanish();
      nodes.delete(nodeId);
    },
    holdUp: (nodeId) => holdUp(nodes.get(nodeId)!.link),
    close: async () => {
      await Promise.all([...nodes.values()].map((node) => node.backplane.close()));
    },
  };
}, skip);

describe('Redis backplane: losing Redis', { skip }, () => {
  it('keeps each node going, then announces everything again once Redis is back', async () => {
    const prefix = `outage${++prefixes}`;
    const a = await redisNode('a', prefix);
    const b = await redisNode('b', prefix);
    const received: RemotePublication[] = [];
    const gone: string[] = [];
    a.backplane.attach({ deliver: () => {}, callTraffic: () => {}, nodeGone: (node) => void gone.push(node) });
    b.backplane.attach({ deliver: (p) => void received.push(p), callTraffic: () => {}, nodeGone: () => {} });
    b.backplane.announce({ realm: 'r', uri: 't', match: 'exact' }, true);
    const claimed = await b.backplane.claimProcedure({ realm: 'r', uri: 'com.one', match: 'exact' }, 'single');
    assert.equal(claimed.ok, true);
    assert.equal(await b.backplane.seat('room', 'bob', 1), true);
    await publishUntilReceived(a, received);

    await redis!.stop();
    await new Promise((resolve) => setTimeout(resolve, leaseMs + 3 * heartbeatMs));
    assert.equal(a.link.connected, false);
    assert.ok(gone.includes('b'), 'silent past its lease, b is forgotten');
    a.backplane.publish({ realm: 'r', topic: 't', publication: 2, publisher: 1, origin: 'client', options: {}, details: {} });
    assert.ok(a.link.dropped > 0, 'nothing queues while Redis is away');

    assert.equal(metricValue(a.metrics, 'junction_backplane_degraded'), 1);
    assert.ok(metricValue(a.metrics, 'junction_backplane_dropped_total{reason="unreachable"}') > 0);

    await redis!.restart(); // empty: every claim and subscription must come back from the nodes
    await publishUntilReceived(a, received);
    assert.equal(a.link.connected, true);
    assert.equal(metricValue(a.metrics, 'junction_backplane_degraded'), 0);
    assert.equal(metricValue(a.metrics, 'junction_backplane_peers'), 1);
    assert.ok(metricValue(b.metrics, 'junction_backplane_messages_total{direction="received",kind="pub"}') >= 1);
    assert.ok(metricValue(b.metrics, 'junction_backplane_bytes_total{direction="received",kind="pub"}') > 0);
    assert.equal(metricValue(b.metrics, 'junction_backplane_claims'), 1);
    const again = await a.backplane.claimProcedure({ realm: 'r', uri: 'com.one', match: 'exact' }, 'single');
    assert.deepEqual(again, { ok: false, heldAs: 'single' }, 'b claimed its procedure again');
    assert.equal(await a.backplane.seat('room', 'ann', 1), false, 'b took its seat again');
    await a.backplane.close();
    await b.backplane.close();
  });
});

describe('Redis backplane: a short outage (a failover), within the lease', { skip }, () => {
  it('keeps the other node\'s live sessions (no testament, no leave), ends the calls in flight, and lets go of the sessions that left meanwhile', async () => {
    const prefix = `blink${++prefixes}`;
    const a = await redisNode('a', prefix, { leaseMs: 10_000 });
    const b = await redisNode('b', prefix, { leaseMs: 10_000 });
    const seen: string[] = [];
    const received: RemotePublication[] = [];
    a.backplane.attach({
      deliver: (p) => void received.push(p), callTraffic: () => {},
      nodeGone: (node) => void seen.push(`gone ${node}`),
      linkLost: (node) => void seen.push(`lost ${node}`),
      sessionsLeft: (node, sessions) => void seen.push(`left ${node} ${sessions.map((session) => session.details.session).join(',')}`),
    });
    b.backplane.attach({ deliver: () => {}, callTraffic: () => {}, nodeGone: () => {} });
    a.backplane.announce({ realm: 'r', uri: 't', match: 'exact' }, true);
    const session = (id: number) => ({ session: id, authid: `u${id}`, authrole: 'user', node: 'b' });
    b.backplane.announceSession('r', session(1), true);
    b.backplane.announceSession('r', session(2), true);
    b.backplane.shareTestaments('r', 1, [{ topic: 'will', args: ['1 left'], kwargs: {}, options: {} }]);
    await publishUntilReceived(b, received);
    assert.deepEqual(a.backplane.remoteSessions('r').map((details) => details.session).sort(), [1, 2]);
    seen.length = 0; // b's hello at its start may have reached a after a attached

    await redis!.stop();
    await waitFor(() => !a.link.connected && !b.link.connected, 'both nodes saw Redis go', 5_000);
    b.backplane.announceSession('r', session(2), false); // dropped: Redis is away
    await redis!.restart();
    await waitFor(() => a.link.connected && b.link.connected, 'both nodes back', 10_000);
    await waitFor(() => seen.some((line) => line.startsWith('left')), 'b\'s state after its return', 10_000);
    // Each of a and b ends the calls in flight with the other when its own link comes back or it hears the other's.
    assert.ok(seen.includes('lost b'), 'the calls in flight with b ended');
    assert.deepEqual(seen.filter((line) => !line.startsWith('lost')), ['left b 2'], 'session 2 left; b itself is not gone (no testament fires)');
    assert.deepEqual(a.backplane.remoteSessions('r').map((details) => details.session), [1]);
    await a.backplane.close();
    await b.backplane.close();
  });
});

describe('Redis backplane: first/last order after Redis lost its data', { skip }, () => {
  it('orders a callee registered after the outage after the callees a node re-claims with their tickets', async () => {
    const prefix = `tickets${++prefixes}`;
    const a = await redisNode('a', prefix);
    const b = await redisNode('b', prefix);
    const received: RemotePublication[] = [];
    a.backplane.attach({ deliver: (p) => void received.push(p), callTraffic: () => {}, nodeGone: () => {} });
    b.backplane.attach({ deliver: () => {}, callTraffic: () => {}, nodeGone: () => {} });
    a.backplane.announce({ realm: 'r', uri: 't', match: 'exact' }, true);
    const procedure = { realm: 'r', uri: 'com.ranked', match: 'exact' } as const;
    const tickets: number[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await b.backplane.claimProcedure(procedure, 'last');
      assert.ok(answer.ok && answer.ticket !== undefined);
      tickets.push(answer.ticket);
    }
    b.backplane.summarizeProcedure(procedure, { invoke: 'last', first: tickets[0]!, last: tickets[2]! });

    await redis!.stop();
    await redis!.restart(); // empty: the claim counter is gone
    await waitFor(() => metricValue(a.metrics, 'junction_backplane_peers') === 1 && b.link.connected, 'b is back');
    // b re-claims right after its hello, on the connection it publishes on: once a has this, the claim is in Redis.
    await publishUntilReceived(b, received);
    const after = await a.backplane.claimProcedure(procedure, 'last');
    assert.ok(after.ok && after.ticket !== undefined);
    assert.ok(after.ticket > tickets[2]!, `a callee registered after the outage (ticket ${after.ticket}) orders after b's (${tickets[2]})`);
    await a.backplane.close();
    await b.backplane.close();
  });
});

describe('Redis backplane: a node that starts while Redis is down', { skip }, () => {
  it('serves on its own, then joins when Redis answers: announced, and holding the claims it took alone', async () => {
    const later = await RunningRedis.start();
    await later.stop();
    const prefix = `late${++prefixes}`;
    const alone = await redisNode('alone', prefix, { at: later, readyMs: 200 });
    assert.equal(alone.link.connected, false);
    assert.match(String(alone.backplane.degraded), /Redis at 127\.0\.0\.1:\d+\/0 is unreachable/);
    const received: RemotePublication[] = [];
    alone.backplane.attach({ deliver: (p) => void received.push(p), callTraffic: () => {}, nodeGone: () => {} });
    alone.backplane.announce({ realm: 'r', uri: 't', match: 'exact' }, true);
    assert.deepEqual(await alone.backplane.claimProcedure({ realm: 'r', uri: 'com.alone', match: 'exact' }, 'single'), { ok: true },
      'a claim made alone holds on this node');

    await later.restart();
    try {
      const other = await redisNode('other', prefix, { at: later });
      other.backplane.attach({ deliver: () => {}, callTraffic: () => {}, nodeGone: () => {} });
      await publishUntilReceived(other, received);
      assert.equal(alone.link.connected, true);
      assert.deepEqual(await other.backplane.claimProcedure({ realm: 'r', uri: 'com.alone', match: 'exact' }, 'single'),
        { ok: false, heldAs: 'single' }, 'the claim taken alone was made in Redis once it answered');
      assert.deepEqual(alone.backplane.peers(), ['other']);
      await other.backplane.close();
    } finally {
      await alone.backplane.close();
      await later.stop();
    }
  });
  it('warns about claims taken alone at most once per interval, however many a client makes', async () => {
    const gone = await RunningRedis.start();
    await gone.stop();
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    const log: Logger = { ...silentLogger, warn: (fields: object, message: string) => void warnings.push({ fields: fields as Record<string, unknown>, message }), child: () => log };
    const alone = await redisNode('alone', `flood${++prefixes}`, { at: gone, readyMs: 200, log });
    try {
      const claimWarnings = () => warnings.filter((line) => line.message.startsWith('procedure claim could not reach Redis'));
      for (let i = 0; i < 50; i++) {
        assert.deepEqual(await alone.backplane.claimProcedure({ realm: 'r', uri: `com.loop${i}`, match: 'exact' }, 'single'), { ok: true });
      }
      assert.equal(claimWarnings().length, 1, 'one line for 50 claims within the interval');
      assert.equal(claimWarnings()[0]!.fields.claims, 1, 'the first line counts only its own claim');
      assert.match(claimWarnings()[0]!.message, /at most every 10 s/);
    } finally {
      await alone.backplane.close();
    }
  });
});

describe('Redis backplane: two processes with one node_id', { skip }, () => {
  it('says so in an error, at most once per interval, on both; a node of another name is not taken for a twin', async () => {
    const errors: { process: string; message: string }[] = [];
    const logOf = (name: string): Logger => {
      const log: Logger = { ...silentLogger, error: (_fields: object, message: string) => void errors.push({ process: name, message }), child: () => log };
      return log;
    };
    const prefix = `twins${++prefixes}`;
    const first = await redisNode('n1', prefix, { log: logOf('first') });
    const second = await redisNode('n1', prefix, { log: logOf('second') });
    const other = await redisNode('n2', prefix, { log: logOf('other') });
    try {
      await waitFor(() => errors.some((line) => line.process === 'first') && errors.some((line) => line.process === 'second'), 'both twins told');
      assert.match(errors[0]!.message, /another process is cluster node "n1" on this Redis .*give each node its own node_id/);
      await new Promise((resolve) => setTimeout(resolve, 5 * heartbeatMs));
      assert.deepEqual(errors.map((line) => line.process).sort(), ['first', 'second'], 'once each within the interval, nothing for n2');
    } finally {
      await Promise.all([first, second, other].map((node) => node.backplane.close()));
    }
  });
});

describe('Redis backplane: the log lines of a --workers worker', { skip }, () => {
  it('name this node and another apart from the `node` a worker binds to its logger: one `node` key a line', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().trim().split('\n'));
        done();
      },
    });
    const log = createLogger('info', destination).child({ node: 'w1' });
    const prefix = `names${++prefixes}`;
    const a = await redisNode('n1-w1', prefix, { log });
    const b = await redisNode('n1-w2', prefix);
    try {
      await waitFor(() => a.backplane.peers().includes('n1-w2'), 'a hears b');
      b.link.vanish();
      await waitFor(() => lines.some((line) => line.includes('is gone')), 'a says b is gone');
      const joined = JSON.parse(lines.find((line) => line.includes('joined the cluster'))!) as Record<string, unknown>;
      const gone = JSON.parse(lines.find((line) => line.includes('is gone'))!) as Record<string, unknown>;
      assert.deepEqual([joined.node, joined.cluster_node, gone.node, gone.other_node], ['w1', 'n1-w1', 'w1', 'n1-w2']);
      assert.deepEqual(lines.filter((line) => line.split('"node":').length > 2), [], 'no line with two node keys');
    } finally {
      await Promise.all([a.backplane.close(), b.backplane.close()]);
    }
  });
});

describe('Redis backplane: a Redis that does not keep up', { skip }, () => {
  it('holds at most max_pending_bytes unacknowledged, drops and counts past it, and flows again once Redis answers', async () => {
    const prefix = `slow${++prefixes}`;
    const maxPendingBytes = 64 * 1024;
    const a = await redisNode('a', prefix, { maxPendingBytes });
    const b = await redisNode('b', prefix);
    const received: RemotePublication[] = [];
    const receivedOnA: RemotePublication[] = [];
    a.backplane.attach({ deliver: (p) => void receivedOnA.push(p), callTraffic: () => {}, nodeGone: () => {} });
    b.backplane.attach({ deliver: (p) => void received.push(p), callTraffic: () => {}, nodeGone: () => {} });
    b.backplane.announce({ realm: 'r', uri: 't', match: 'exact' }, true);
    await publishUntilReceived(a, received);

    redis!.pause();
    try {
      const big = 'x'.repeat(1_000);
      for (let i = 0; i < 200; i++) {
        a.backplane.publish({ realm: 'r', topic: 't', publication: i, publisher: 1, origin: 'client', options: {}, details: {}, args: [big] });
      }
      assert.ok(a.link.pendingBytes <= maxPendingBytes, `pending ${a.link.pendingBytes} bytes, bound ${maxPendingBytes}`);
      assert.ok(a.link.pendingBytes > maxPendingBytes / 2, 'the buffer filled up to near its bound first');
      assert.ok(metricValue(a.metrics, 'junction_backplane_dropped_total{reason="buffer_full"}') > 100);
      assert.equal(metricValue(a.metrics, 'junction_backplane_redis_pending_bytes'), a.link.pendingBytes);
      // Past the bound only publications are dropped: an announcement still goes.
      a.backplane.announce({ realm: 'r', uri: 'back', match: 'exact' }, true);
    } finally {
      redis!.resume();
    }
    await publishUntilReceived(a, received);
    await publishUntilReceived(b, receivedOnA, 'back');
    // A heartbeat may be on its way at any moment: the buffer empties between them.
    await waitFor(() => a.link.pendingBytes === 0, 'everything acknowledged');
    await a.backplane.close();
    await b.backplane.close();
  });
});

describe('Redis backplane: a Redis that stalls (SIGSTOP)', { skip }, () => {
  const commandTimeoutMs = 300;
  const key = (uri: string): { realm: string; uri: string; match: 'exact' } => ({ realm: 'r', uri, match: 'exact' });

  it('refuses a claim Redis does not answer, serves alone once it knows, and gives the unanswered claim back when Redis answers', async () => {
    const prefix = `stall${++prefixes}`;
    const a = await redisNode('a', prefix, { commandTimeoutMs });
    const b = await redisNode('b', prefix, { commandTimeoutMs });
    redis!.pause();
    let unanswered;
    try {
      unanswered = await a.backplane.claimProcedure(key('com.unanswered'), 'single');
      assert.equal(a.link.connected, false, 'the unanswered claim marks Redis as stalled');
      assert.match(String(a.backplane.degraded), /does not answer \(cluster\.redis\.command_timeout 300 ms\)/);
      assert.deepEqual(await a.backplane.claimProcedure(key('com.alone'), 'single'), { ok: true }, 'known stalled: registered on this node alone');
      await a.backplane.releaseProcedure(key('com.alone')); // not waited on: given back when Redis answers
      assert.equal(await a.backplane.seat('room', 'ann', 1), true, 'known stalled: seated on this node\'s own count');
      assert.equal(metricValue(a.metrics, 'junction_backplane_seats_unchecked_total'), 1, 'and counted');
      a.backplane.unseat('room', 'ann'); // given back when Redis answers
    } finally {
      redis!.resume();
    }
    assert.equal(unanswered.ok, false);
    assert.match(String((unanswered as { unanswered?: string }).unanswered), /did not answer the claim of this procedure within 300 ms/);
    assert.equal(metricValue(a.metrics, 'junction_cluster_redis_timeouts_total{command="claim",connection="backplane"}'), 1);
    await waitFor(() => a.link.connected, 'a answered again');
    // Redis ran the unanswered claim when it woke up, and a gave it back before anything else: b may take both.
    await waitFor(() => metricValue(a.metrics, 'junction_backplane_degraded') === 0, 'a not degraded');
    const deadline = Date.now() + 5_000;
    let moved = await b.backplane.claimProcedure(key('com.unanswered'), 'single');
    while (!moved.ok && Date.now() < deadline) moved = await b.backplane.claimProcedure(key('com.unanswered'), 'single');
    assert.equal(moved.ok, true, 'no ghost of the unanswered claim');
    assert.equal((await b.backplane.claimProcedure(key('com.alone'), 'single')).ok, true, 'the release made while stalled was settled');
    assert.equal(await b.backplane.seat('room', 'bob', 1), true, 'the seat given back while stalled is free');
    await a.backplane.close();
    await b.backplane.close();
  });

  it('frees the claims of a node that died while Redis was stalled, one lease after Redis answers again', async () => {
    const prefix = `stalldeath${++prefixes}`;
    const a = await redisNode('a', prefix, { commandTimeoutMs });
    const b = await redisNode('b', prefix, { commandTimeoutMs });
    assert.equal((await b.backplane.claimProcedure(key('com.of.b'), 'single')).ok, true);
    await waitFor(() => a.backplane.peers().includes('b'), 'a knows b');
    redis!.pause();
    try {
      b.link.vanish(); // dies with no goodbye; Redis sees its connections close only when it wakes up
      await waitFor(() => !a.backplane.peers().includes('b'), 'b forgotten past its lease while Redis is stalled', 10_000);
    } finally {
      redis!.resume();
    }
    await waitFor(() => a.link.connected, 'a answered again');
    const deadline = Date.now() + 10_000;
    let taken = await a.backplane.claimProcedure(key('com.of.b'), 'single');
    while (!taken.ok && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      taken = await a.backplane.claimProcedure(key('com.of.b'), 'single');
    }
    assert.equal(taken.ok, true, 'b\'s claim was freed, not left as a ghost');
    await a.backplane.close();
  });
});

describe('Redis backplane: a procedure moved from one node to another', { skip }, () => {
  /** The next message `peer` gets, which must be of `type`. */
  async function next<K extends WampMessage['type']>(peer: MemoryPeer, type: K): Promise<Extract<WampMessage, { type: K }>> {
    await waitFor(() => peer.inbox.length > 0, `a message of type ${type}`);
    const message = peer.inbox.shift()!;
    assert.equal(message.type, type, JSON.stringify(message));
    return message as Extract<WampMessage, { type: K }>;
  }

  it('answers UNREGISTERED and GOODBYE once a REGISTER on any node succeeds; a call and a REGISTER on the first node meanwhile are answered rightly', async () => {
    const prefix = `moved${++prefixes}`;
    const [a, b] = [await redisNode('a', prefix), await redisNode('b', prefix)];
    const [onA, onB] = [new RouterHarness({ backplane: a.backplane }), new RouterHarness({ backplane: b.backplane })];
    const [owner, caller, second] = [await onA.join(), await onA.join(), await onA.join()];
    const mover = await onB.join();
    const procedure = 'com.moved';
    let request = 0;
    const register = (peer: MemoryPeer): void => peer.deliver({ type: T.REGISTER, request: ++request, options: {}, procedure });
    const unregister = async (peer: MemoryPeer, registration: number): Promise<void> => {
      peer.deliver({ type: T.UNREGISTER, request: ++request, registration });
      await next(peer, T.UNREGISTERED);
    };
    for (let round = 0; round < 10; round++) {
      register(owner.peer);
      const { registration } = await next(owner.peer, T.REGISTERED);
      // A's way to Redis is slow: its release waits behind something else.
      holdUp(a.link);
      owner.peer.deliver({ type: T.UNREGISTER, request: ++request, registration });
      // Meanwhile a call on A finds no callee anywhere.
      caller.peer.deliver({ type: T.CALL, request: ++request, options: {}, procedure });
      assert.equal((await next(caller.peer, T.ERROR)).error, ErrorUri.noSuchProcedure, `round ${round}`);
      await next(owner.peer, T.UNREGISTERED);
      // Told UNREGISTERED, the procedure moves to B at once.
      register(mover.peer);
      const moved = await next(mover.peer, T.REGISTERED);
      await unregister(mover.peer, moved.registration);
    }
    // A REGISTER on A while A's release is on its way waits its turn behind it, and succeeds.
    register(owner.peer);
    const { registration } = await next(owner.peer, T.REGISTERED);
    holdUp(a.link);
    owner.peer.deliver({ type: T.UNREGISTER, request: ++request, registration });
    register(second.peer);
    await next(owner.peer, T.UNREGISTERED);
    const taken = await next(second.peer, T.REGISTERED);
    register(mover.peer);
    assert.equal((await next(mover.peer, T.ERROR)).error, ErrorUri.procedureAlreadyExists, 'held by the second session on A');
    await unregister(second.peer, taken.registration);
    register(mover.peer);
    const back = await next(mover.peer, T.REGISTERED);
    // And back to A, whose session then leaves with GOODBYE: once it is answered, B registers at once.
    await unregister(mover.peer, back.registration);
    register(second.peer);
    await next(second.peer, T.REGISTERED);
    holdUp(a.link);
    second.peer.deliver({ type: T.GOODBYE, details: {}, reason: 'wamp.close.close_realm' });
    await next(second.peer, T.GOODBYE);
    register(mover.peer);
    await next(mover.peer, T.REGISTERED);
    await a.backplane.close();
    await b.backplane.close();
  });
});

describe('Redis backplane: a Redis user not allowed CLIENT (ACL)', { skip }, () => {
  it('joins all the same, and says once that a silent commands connection cannot be replaced', async () => {
    const admin = new Redis(redis!.url);
    await admin.acl('SETUSER', 'noclient', 'on', '>secret', '~*', '&*', '+@all', '-client');
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (_fields: object, message: string) => void warnings.push(message), child: () => log };
    const link = new RedisLink({
      redis: { url: `redis://noclient:secret@127.0.0.1:${redis!.port}/0` }, nodeId: 'limited', log, prefix: `acl${++prefixes}`, heartbeatMs,
      timeouts: new RedisTimeouts(silentLogger, clusterDefaults.commandTimeoutMs),
    });
    try {
      assert.equal(await link.ready(), true, 'joined');
      assert.equal(link.degraded, undefined);
      assert.deepEqual(warnings.filter((line) => line.includes('CLIENT')).length, 1, 'said once');
      assert.match(warnings.find((line) => line.includes('CLIENT'))!, /cannot be replaced safely/);
    } finally {
      await link.close();
      await admin.acl('DELUSER', 'noclient');
      admin.disconnect();
    }
  });
});

describe('Redis backplane: a Redis user with the permissions docs/cluster.md names (ACL)', { skip }, () => {
  it('joins, claims, publishes, seats and runs a feed, with nothing refused', async () => {
    const admin = new Redis(redis!.url);
    const prefix = 'junction'; // the documented rules name the default prefix's keys and channels
    await admin.acl('SETUSER', 'junction', ...documentedAclRules().map((rule) => rule.replace('>PASSWORD', '>documented')));
    const url = `redis://junction:documented@127.0.0.1:${redis!.port}/0`;
    const nodes: { link: RedisLink; backplane: MeshBackplane; metrics: MetricsRegistry }[] = [];
    const feeds: RedisFeeds[] = [];
    try {
      for (const nodeId of ['a', 'b']) {
        const metrics = new MetricsRegistry();
        const timeouts = new RedisTimeouts(silentLogger, clusterDefaults.commandTimeoutMs, metrics);
        const link = new RedisLink({ redis: { url }, nodeId, log: silentLogger, prefix, heartbeatMs, leaseMs, timeouts });
        assert.equal(await link.ready(), true, `${nodeId} joined`);
        const backplane = new MeshBackplane(nodeId, link, metrics);
        opened.push(backplane);
        nodes.push({ link, backplane, metrics });
        feeds.push(new RedisFeeds({ redis: { url }, prefix, nodeId, leaseMs, log: silentLogger, pollMs: 10, timeouts }));
      }
      const [a, b] = nodes as [RedisNode, RedisNode];
      const received: RemotePublication[] = [];
      a.backplane.attach({ deliver: () => {}, callTraffic: () => {}, nodeGone: () => {} });
      b.backplane.attach({ deliver: (p) => void received.push(p), callTraffic: () => {}, nodeGone: () => {} });
      await waitFor(() => a.backplane.peers().includes('b') && b.backplane.peers().includes('a'), 'each hears the other');
      b.backplane.announce({ realm: 'r', uri: 't', match: 'exact' }, true);
      await publishUntilReceived(a, received);
      assert.equal((await a.backplane.claimProcedure({ realm: 'r', uri: 'com.one', match: 'exact' }, 'single')).ok, true);
      assert.equal((await b.backplane.claimProcedure({ realm: 'r', uri: 'com.one', match: 'exact' }, 'single')).ok, false, 'held by a');
      assert.equal(await a.backplane.seat('room', 'ann', 1), true);
      assert.equal(await b.backplane.seat('room', 'bob', 1), false, 'the one seat is taken');

      await Promise.all(feeds.map((one) => one.ready()));
      const taken: string[] = [];
      const feed = feeds[0]!.feed('forwarder:news', { messages: 100, bytes: 1 << 20 });
      feed.run({ granted: async () => {}, take: async (entries) => void taken.push(...entries.map((entry) => entry.body)), lost: async () => {} });
      assert.equal(await feeds[1]!.feed('forwarder:news', { messages: 100, bytes: 1 << 20 }).append({ url: 'http://app/hook', topic: 't', publication: 1, body: 'one' }), undefined);
      await waitFor(() => taken.length === 1, 'the holder took the entry');
      for (const node of nodes) assert.doesNotMatch(node.metrics.exposition(), /junction_cluster_redis_refused_total\{/);
    } finally {
      await Promise.all(feeds.map((one) => one.close()));
      await Promise.all(nodes.map((node) => node.backplane.close()));
      await admin.acl('DELUSER', 'junction');
      admin.disconnect();
    }
  });

  it('logs an error when the URL names a database the user may not SELECT (ioredis then goes on in database 0)', async () => {
    const admin = new Redis(redis!.url);
    await admin.acl('SETUSER', 'noselect', ...documentedAclRules().map((rule) => rule.replace('>PASSWORD', '>secret')));
    const errors: string[] = [];
    const log: Logger = { ...silentLogger, error: (_fields: object, message: string) => void errors.push(message), child: () => log };
    const link = new RedisLink({
      redis: { url: `redis://noselect:secret@127.0.0.1:${redis!.port}/1` }, nodeId: 'noselect', log: silentLogger, prefix: 'junction', heartbeatMs,
      timeouts: new RedisTimeouts(log, clusterDefaults.commandTimeoutMs),
    });
    try {
      await link.ready();
      await waitFor(() => errors.some((line) => line.includes('backplane command connect')), 'the refused SELECT logged');
    } finally {
      await link.close();
      await admin.acl('DELUSER', 'noselect');
      admin.disconnect();
    }
  });

  it('logs an error naming each command a narrower user is refused, and counts it', async () => {
    const admin = new Redis(redis!.url);
    await admin.acl('SETUSER', 'narrow', ...documentedAclRules().map((rule) => rule.replace('>PASSWORD', '>secret')), '-publish', '-get', '~*', '&*');
    const errors: string[] = [];
    const log: Logger = { ...silentLogger, error: (_fields: object, message: string) => void errors.push(message), child: () => log };
    const metrics = new MetricsRegistry();
    const link = new RedisLink({
      redis: { url: `redis://narrow:secret@127.0.0.1:${redis!.port}/0` }, nodeId: 'narrow', log: silentLogger, prefix: `acl${++prefixes}`, heartbeatMs,
      timeouts: new RedisTimeouts(log, clusterDefaults.commandTimeoutMs, metrics),
    });
    const backplane = new MeshBackplane('narrow', link, metrics);
    opened.push(backplane);
    try {
      await link.ready();
      backplane.attach({ deliver: () => {}, callTraffic: () => {}, nodeGone: () => {} });
      await backplane.claimProcedure({ realm: 'r', uri: 'com.one', match: 'exact' }, 'single'); // its Lua script runs GET
      await waitFor(() => errors.some((line) => line.includes('command heartbeat')) && errors.some((line) => line.includes('command claim')), 'both refusals logged');
      for (const line of errors) assert.match(line, /to this node's Redis user \(ACL\): .*docs\/cluster\.md, "The Redis user"/);
      assert.match(backplane.degraded ?? '', /refuses this node's Redis user the command (heartbeat|claim) \(ACL\)/, '/health says degraded, and why');
      assert.match(metrics.exposition(), /junction_cluster_redis_refused_total\{command="claim",connection="backplane"\} 1/);
    } finally {
      await backplane.close();
      await admin.acl('DELUSER', 'narrow');
      admin.disconnect();
    }
  });
});

describe('Redis backplane: what one turn sends', { skip }, () => {
  it('leaves in one write to Redis, and arrives complete and in order', async () => {
    const prefix = `turn${++prefixes}`;
    const a = await redisNode('a', prefix);
    const b = await redisNode('b', prefix);
    const notes: unknown[] = [];
    b.backplane.listen('space', { entry: () => {}, note: (from, body) => notes.push([from, body]) });
    await waitFor(() => a.backplane.peers().includes('b') && b.backplane.peers().includes('a'), 'a and b know each other');
    // Counts what the commands connection's socket hands to the kernel: one call to _write or _writev per write.
    const socket = (a.link as unknown as { commands: Redis }).commands.stream as unknown as { _write: Function; _writev: Function };
    let writes = 0;
    for (const name of ['_write', '_writev'] as const) {
      const original = socket[name];
      socket[name] = function (this: unknown, ...args: unknown[]) {
        writes++;
        return original.apply(this, args);
      };
    }
    const sent = Array.from({ length: 20 }, (_, i) => i);
    for (const i of sent) a.backplane.note('space', i, ['b']);
    // The turn's writes have left once its setImmediate ran (a heartbeat due meanwhile joins them).
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(writes, 1);
    await waitFor(() => notes.length === sent.length, 'every note arrived');
    assert.deepEqual(notes, sent.map((i) => ['a', i]));
  });
});

describe('Redis backplane: integers beyond 64 bits (CBOR bignums a client may send)', { skip }, () => {
  it('cross to the other node exactly, 64-bit ones too', async () => {
    const prefix = `wide${++prefixes}`;
    const a = await redisNode('a', prefix);
    const b = await redisNode('b', prefix);
    const notes: unknown[] = [];
    b.backplane.listen('space', { entry: () => {}, note: (_from, body) => notes.push(body) });
    await waitFor(() => a.backplane.peers().includes('b') && b.backplane.peers().includes('a'), 'a and b know each other');
    const wide = { args: [2n ** 70n, -(2n ** 70n), 2n ** 60n, 2n ** 128n - 1n, 7] };
    a.backplane.note('space', wide, ['b']);
    await waitFor(() => notes.length === 1, 'the note arrived');
    assert.deepEqual(notes, [wide]);
  });
});

/** Each of a node's metrics on mesh messages of one kind, by direction. */
function messages(node: RedisNode, kind: string): { sent: number; received: number } {
  return {
    sent: metricValue(node.metrics, `junction_backplane_messages_total{direction="sent",kind="${kind}"}`),
    received: metricValue(node.metrics, `junction_backplane_messages_total{direction="received",kind="${kind}"}`),
  };
}

/**
 * Heartbeats for counting the state messages: slower than the others' tests, so that a node slowed
 * down by a loaded machine still answers a hello within two of them (else a sync is rightly asked).
 */
const joinOptions = { heartbeatMs: 400, leaseMs: 3_000 };

/** Waits (bounded) until every node counts all the others as peers, then a few heartbeats more, for a sync a heartbeat would set off. */
async function settled(nodes: RedisNode[]): Promise<void> {
  await waitFor(() => nodes.every((node) => metricValue(node.metrics, 'junction_backplane_peers') === nodes.length - 1), 'every node to know the others');
  await new Promise((resolve) => setTimeout(resolve, 4 * joinOptions.heartbeatMs));
}

/** The link as the mesh sees it, except that its first hello is lost (the others' subscribers were away then). */
function losingHello(link: RedisLink): MeshLink {
  let lost = false;
  return new Proxy(link, {
    get(target, property) {
      if (property === 'send') {
        return (message: Parameters<RedisLink['send']>[0], to?: readonly string[]) => {
          if (message.k === 'hello' && !lost) return void (lost = true);
          target.send(message, to);
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('Redis backplane: the state a node that joins is sent', { skip }, () => {
  it('is sent once by each node, in answer to its hello, even when heartbeats reach it before (no sync asked as well)', async () => {
    const prefix = `join${++prefixes}`;
    const a = await redisNode('a', prefix, joinOptions);
    const b = await redisNode('b', prefix, joinOptions);
    await settled([a, b]);
    const before = [messages(a, 'state').sent, messages(b, 'state').sent];
    // Heartbeats of a and b reach c between its link being ready and its hello, as feeds.ready() lets them in a node start.
    const c = await redisNode('c', prefix, { ...joinOptions, helloAfterMs: 3 * joinOptions.heartbeatMs });
    await settled([a, b, c]);
    assert.deepEqual([messages(a, 'state').sent - before[0]!, messages(b, 'state').sent - before[1]!], [1, 1], 'states sent by a and b');
    assert.equal(messages(c, 'state').received, 2);
    assert.deepEqual([messages(a, 'sync').received, messages(b, 'sync').received, messages(c, 'sync').received], [0, 0, 0], 'syncs asked');
    assert.equal(messages(c, 'state').sent, 0, 'a and b heard c\'s hello: they know it starts clean');
    await Promise.all([a, b, c].map((node) => node.backplane.close()));
  });

  it('is asked with a sync, both ways, when the hello was lost', async () => {
    const prefix = `lost-hello${++prefixes}`;
    const a = await redisNode('a', prefix, joinOptions);
    a.backplane.announce({ realm: 'r', uri: 'on.a', match: 'exact' }, true);
    const c = await redisNode('c', prefix, { ...joinOptions, meshLink: losingHello });
    c.backplane.announce({ realm: 'r', uri: 'on.c', match: 'exact' }, true);
    const [toA, toC]: RemotePublication[][] = [[], []];
    a.backplane.attach({ deliver: (p) => void toA.push(p), callTraffic: () => {}, nodeGone: () => {} });
    c.backplane.attach({ deliver: (p) => void toC.push(p), callTraffic: () => {}, nodeGone: () => {} });
    await settled([a, c]);
    assert.deepEqual([messages(a, 'sync').received, messages(c, 'sync').received], [1, 1], 'each asked the other once');
    assert.deepEqual([messages(a, 'state').received, messages(c, 'state').received], [1, 1]);
    await publishUntilReceived(c, toA, 'on.a');
    await publishUntilReceived(a, toC, 'on.c');
    await Promise.all([a, c].map((node) => node.backplane.close()));
  });

  it('of a node restarted under its name before the others noticed, its hello lost: its previous process is forgotten, its state asked', async () => {
    const prefix = `restarted${++prefixes}`;
    // Neither a's lease (3 s, kept fresh by the new process's heartbeats) nor Redis's connection count (not checked here) tells a.
    const a = await redisNode('a', prefix, { ...joinOptions, livenessMs: 600_000 });
    const before = await redisNode('b', prefix, joinOptions);
    before.backplane.announce({ realm: 'r', uri: 'on.old', match: 'exact' }, true);
    const gone: string[] = [];
    a.backplane.attach({ deliver: () => {}, callTraffic: () => {}, nodeGone: (node) => void gone.push(node) });
    await settled([a, before]);
    before.link.vanish();
    const after = await redisNode('b', prefix, { ...joinOptions, meshLink: losingHello });
    after.backplane.announce({ realm: 'r', uri: 'on.new', match: 'exact' }, true);
    const toB: RemotePublication[] = [];
    after.backplane.attach({ deliver: (p) => void toB.push(p), callTraffic: () => {}, nodeGone: () => {} });
    await waitFor(() => gone.includes('b'), 'a forgets the previous process of b', joinOptions.leaseMs - 500);
    await settled([a, after]);
    await publishUntilReceived(a, toB, 'on.new');
    assert.equal(messages(after, 'sync').received, 1, 'a asked the new b for its state');
    await Promise.all([a, after].map((node) => node.backplane.close()));
  });

  it('is asked with a sync of a node heard again after it was lost (a partition healed), once', async () => {
    const prefix = `healed${++prefixes}`;
    const a = await redisNode('a', prefix, joinOptions);
    const b = await redisNode('b', prefix, joinOptions);
    b.backplane.announce({ realm: 'r', uri: 'on.b', match: 'exact' }, true);
    const toB: RemotePublication[] = [];
    const gone: string[] = [];
    a.backplane.attach({ deliver: () => {}, callTraffic: () => {}, nodeGone: (node) => void gone.push(node) });
    b.backplane.attach({ deliver: (p) => void toB.push(p), callTraffic: () => {}, nodeGone: () => {} });
    await settled([a, b]);
    // a takes b for dead, as when b's heartbeats did not reach it for a lease; b goes on.
    const goneBefore = gone.length;
    (a.link as unknown as { lose(node: string, why: string): void }).lose('b', 'silent past its lease (test)');
    assert.deepEqual(gone.slice(goneBefore), ['b']);
    await settled([a, b]);
    assert.equal(messages(b, 'sync').received, 1, 'a asked b once');
    assert.equal(messages(b, 'state').sent, 1, 'b\'s answer to the sync (a said hello before b was there)');
    await publishUntilReceived(a, toB, 'on.b');
    await Promise.all([a, b].map((node) => node.backplane.close()));
  });
});
