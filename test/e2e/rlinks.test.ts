import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, WampError, type Session } from '../../src/client/index.js';
import { freePort, runJunction, RunningJunction, type LogLine } from '../support/cli.js';
import { linkAuth, nodeKeys, openRoles, writeNodeKey, type NodeKeys } from '../support/rlink-nodes.js';
import { eventually, waitFor } from '../support/wait.js';

/**
 * Router-to-router links through the CLI: two nodes, each with a Crossbar-format config whose
 * realm1 links to the other's realm1 (A to B over WebSocket, B to A over RawSocket), in the
 * shape of Crossbar's own rlink test (forward_local_* on, forward_remote_* off, role "rlink"
 * with cryptosign and disclosure on each side).
 */

const linkKeys = { forward_local_events: true, forward_remote_events: false, forward_local_invocations: true, forward_remote_invocations: false };

interface Node {
  dir: string;
  config: string;
  keys: NodeKeys;
  webPort: number;
}

/** A node's folder: config.json and Crossbar's key.priv beside it. */
async function makeNode(root: string, name: string, config: object, keys: NodeKeys, webPort: number): Promise<Node> {
  const dir = join(root, name);
  await rm(dir, { recursive: true, force: true });
  await writeNodeKey(dir, keys);
  const path = join(dir, 'config.json');
  await writeFile(path, JSON.stringify(config, null, 2));
  return { dir, config: path, keys, webPort };
}

function routerConfig(webPort: number, paths: object, rlink: object, extraTransports: object[] = [], roles: object[] = openRoles): object {
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{ name: 'realm1', roles, rlinks: [rlink] }],
      transports: [{ type: 'web', endpoint: { type: 'tcp', port: webPort, interface: '127.0.0.1' }, paths: { ws: { type: 'websocket' }, metrics: { type: 'metrics' }, ...paths } }, ...extraTransports],
    }],
  };
}

const running: RunningJunction[] = [];
const sessions: Session[] = [];

function start(node: Node): RunningJunction {
  const junction = RunningJunction.start(['--config', node.config], node.dir);
  running.push(junction);
  return junction;
}

/** Ends the test's sessions and nodes, and removes their folders. */
async function stopAll(root: string): Promise<void> {
  await Promise.all(sessions.map((session) => session.leave().catch(() => undefined)));
  for (const junction of running) junction.kill();
  await Promise.all(running.map((junction) => junction.waitForExit()));
  await rm(root, { recursive: true, force: true });
}

const linkUps = (junction: RunningJunction) => junction.lines.filter((line) => line.msg === 'router link up').length;

async function joinRealm(node: Node): Promise<Session> {
  const session = await connect({ url: `ws://127.0.0.1:${node.webPort}/ws`, realm: 'realm1', reconnect: { initialDelay: 200, maxDelay: 1000 } });
  sessions.push(session);
  return session;
}

/** Subscribers of `topic` on a node, as its meta API counts them (the link's mirror included). */
async function subscribers(session: Session, topic: string): Promise<number> {
  const [id] = (await session.call('wamp.subscription.lookup', [topic])).args;
  return typeof id === 'number' ? (await session.call('wamp.subscription.count_subscribers', [id])).args[0] as number : 0;
}

async function metric(node: Node, name: string): Promise<string[]> {
  const text = await (await fetch(`http://127.0.0.1:${node.webPort}/metrics`)).text();
  return text.split('\n').filter((line) => line.startsWith(name));
}

describe('rlinks: two Junction nodes linking realm1 both ways', { timeout: 180_000 }, () => {
  let root: string;
  let a: Node;
  let b: Node;
  let nodeA: RunningJunction;
  let nodeB: RunningJunction;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'junction-rlinks-'));
    const [keysA, keysB] = [nodeKeys(), nodeKeys()];
    const [webA, webB, rawA] = [await freePort(), await freePort(), await freePort()];
    // A joins B over WebSocket (B's /link path); B joins A over RawSocket (A's rawsocket transport).
    a = await makeNode(root, 'a', routerConfig(webA, {}, {
      id: 'to_b', realm: 'realm1', ...linkKeys,
      transport: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: webB }, url: `ws://127.0.0.1:${webB}/link`, serializers: ['cbor'] },
    }, [{ type: 'rawsocket', endpoint: { type: 'tcp', port: rawA, interface: '127.0.0.1' }, serializers: ['cbor', 'msgpack', 'json'], auth: linkAuth(keysB.publicKey) }]), keysA, webA);
    const ticket = { ticket: { type: 'static', principals: { 'node-d': { ticket: 'd-secret', role: 'rlink' } } } };
    b = await makeNode(root, 'b', routerConfig(webB, { link: { type: 'websocket', auth: linkAuth(keysA.publicKey) }, ticket: { type: 'websocket', auth: ticket } }, {
      id: 'to_a', realm: 'realm1', ...linkKeys,
      transport: { type: 'rawsocket', serializer: 'msgpack', endpoint: { type: 'tcp', host: '127.0.0.1', port: rawA }, url: `rs://127.0.0.1:${rawA}` },
    }), keysB, webB);
    nodeA = start(a);
    nodeB = start(b);
    await nodeA.started((line) => line.msg === 'router link up');
    await nodeB.started((line) => line.msg === 'router link up');
  });

  after(() => stopAll(root));

  it('delivers an event published on either node to the subscribers of both, each exactly once', async () => {
    const [subA, subB, pubA, pubB] = [await joinRealm(a), await joinRealm(b), await joinRealm(a), await joinRealm(b)];
    const gotA: unknown[] = [];
    const gotB: unknown[] = [];
    await subA.subscribe('test.event', (args) => gotA.push(args[0]));
    await subB.subscribe('test.event', (args) => gotB.push(args[0]));
    // Each node's subscription is mirrored by the other node's link: two subscribers on each.
    await eventually(async () => ((await subscribers(pubA, 'test.event')) >= 2 && (await subscribers(pubB, 'test.event')) >= 2) || undefined, 'the subscriptions mirrored both ways');
    await pubA.publish('test.event', ['from A'], {}, { acknowledge: true });
    await pubB.publish('test.event', ['from B'], {}, { acknowledge: true });
    await waitFor(() => gotA.length >= 2 && gotB.length >= 2, 'both events on both nodes', 10_000);
    // A loop or a duplicate would bring more: give it time to show.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(gotA.sort(), ['from A', 'from B']);
    assert.deepEqual(gotB.sort(), ['from A', 'from B']);
    assert.ok((await metric(a, 'junction_rlink_events_forwarded_total')).some((line) => line.includes('direction="to_local"') && !line.endsWith(' 0')));
  });

  it('lets a caller on A reach a procedure registered on B, with its result and its error', async () => {
    const callee = await joinRealm(b);
    await callee.register('test.add', (args) => (args[0] as number) + (args[1] as number));
    await callee.register('test.fail', () => {
      throw new WampError('app.error.nope', ['not today'], { code: 7 });
    });
    const caller = await joinRealm(a);
    const result = await eventually(() => caller.call('test.add', [2, 3]), 'test.add callable on A');
    assert.deepEqual(result.args, [5]);
    const failure = await caller.call('test.fail').then(() => undefined, (error: unknown) => error);
    assert.ok(failure instanceof WampError, String(failure));
    assert.equal(failure.uri, 'app.error.nope');
    assert.deepEqual(failure.args, ['not today']);
    assert.deepEqual(failure.kwargs, { code: 7 });
  });

  it('comes back after B restarts: A links again, events and calls flow again', async () => {
    const ups = linkUps(nodeA);
    nodeB.child.kill('SIGTERM');
    await nodeB.waitForExit();
    await nodeA.waitForLine((line: LogLine) => line.msg.startsWith('router link down'), 20_000);
    assert.equal((await metric(a, 'junction_rlink_up')).find((line) => line.includes('link="to_b"'))?.endsWith(' 0'), true);
    nodeB = start(b);
    await waitFor(() => linkUps(nodeA) > ups, 'A linked to the restarted B', 60_000);
    const subB = await joinRealm(b);
    const got: unknown[] = [];
    await subB.subscribe('test.again', (args) => got.push(args[0]));
    const pubA = await joinRealm(a);
    await eventually(async () => (await subscribers(pubA, 'test.again')) || undefined, 'the new subscription mirrored on A');
    await pubA.publish('test.again', ['after restart'], {}, { acknowledge: true });
    await waitFor(() => got.length >= 1, 'the event on B after its restart', 10_000);
    const callee = await joinRealm(b);
    await callee.register('test.echo', (args) => args[0]);
    assert.deepEqual((await eventually(() => pubA.call('test.echo', ['hi']), 'test.echo callable on A')).args, ['hi']);
  });

  it('logs a link whose key the other router does not accept, and keeps trying', async () => {
    const webC = await freePort();
    const stranger = await makeNode(root, 'c', routerConfig(webC, {}, {
      realm: 'realm1',
      transport: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: b.webPort }, url: `ws://127.0.0.1:${b.webPort}/link` },
    }), nodeKeys(), webC);
    const nodeC = start(stranger);
    const refused = (line: LogLine) => line.msg === 'router link: cannot join the other router' && String(line.reason).startsWith('wamp.error.');
    await nodeC.waitForLine(refused, 30_000);
    await waitFor(() => nodeC.lines.filter(refused).length >= 2, 'a second attempt', 30_000);
    assert.equal(linkUps(nodeC), 0);
    assert.ok(!nodeC.lines.some((line) => JSON.stringify(line).includes(stranger.keys.privateKey)), 'the private key is never logged');
  });

  it('signs in with a ticket instead of the node key (Junction\'s auth extension)', async () => {
    const webD = await freePort();
    const withTicket = await makeNode(root, 'd', routerConfig(webD, {}, {
      realm: 'realm1', authid: 'node-d', auth: { ticket: { ticket: 'd-secret' } },
      transport: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: b.webPort }, url: `ws://127.0.0.1:${b.webPort}/ticket` },
    }), nodeKeys(), webD);
    const nodeD = start(withTicket);
    const up = await nodeD.waitForLine((line) => line.msg === 'router link up', 30_000);
    assert.equal(up.authid, 'node-d');
    assert.equal(up.authrole, 'rlink');
    assert.ok(!nodeD.lines.some((line) => JSON.stringify(line).includes('d-secret')), 'the ticket is never logged');
  });

  it('refuses links with --workers: every process would forward the same traffic', async () => {
    const linked = await makeNode(root, 'workers', routerConfig(0, {}, {
      realm: 'realm1', transport: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: b.webPort }, url: `ws://127.0.0.1:${b.webPort}/link` },
    }), nodeKeys(), 0);
    const result = await runJunction(['start', '--config', linked.config, '--workers', '2'], undefined, linked.dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /router links \(a realm's "rlinks"\) need a node of its own: with --workers or a "cluster"/);
  });
});

describe("rlinks in crossbar-examples rlinks/ha_setup's shape: the links' role is \"router2router\", each node pulls the other's subscriptions and registrations", { timeout: 180_000 }, () => {
  let root: string;
  const nodes: Node[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'junction-rlinks-ha-'));
    const keys = [nodeKeys(), nodeKeys()];
    const [webs, raws] = [[await freePort(), await freePort()], [await freePort(), await freePort()]];
    const everything = { call: true, register: true, publish: true, subscribe: true };
    const roles = [
      { name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: everything, disclose: { caller: true, publisher: true } }] },
      { name: 'router2router', permissions: [{ uri: '', match: 'prefix', allow: everything, disclose: { caller: true, publisher: true } }] },
    ];
    const principals = Object.fromEntries(keys.map((key, i) => [`node${i + 1}`, { realm: 'realm1', role: 'router2router', authorized_keys: [key.publicKey] }]));
    for (const i of [0, 1]) {
      const other = 1 - i;
      const rlink = {
        id: `rlink_${i + 1}_${other + 1}`, realm: 'realm1',
        forward_local_events: false, forward_remote_events: true, forward_local_invocations: false, forward_remote_invocations: true,
        transport: { type: 'rawsocket', serializer: 'cbor', endpoint: { type: 'tcp', host: '127.0.0.1', port: raws[other] }, url: `rs://127.0.0.1:${raws[other]}` },
      };
      const linkTransport = { type: 'rawsocket', endpoint: { type: 'tcp', port: raws[i], interface: '127.0.0.1' }, serializers: ['cbor'], auth: { cryptosign: { type: 'static', principals } } };
      nodes.push(await makeNode(root, `node${i + 1}`, routerConfig(webs[i]!, {}, rlink, [linkTransport], roles), keys[i]!, webs[i]!));
    }
    const started = nodes.map((node) => start(node));
    await Promise.all(started.map((junction) => junction.started((line) => line.msg === 'router link up')));
  });

  after(() => stopAll(root));

  it('delivers events and answers calls across the link, naming the link, not the sender it forwards for', async () => {
    const [one, two] = nodes as [Node, Node];
    const callee = await joinRealm(two);
    await callee.register('app.where', (_args, _kwargs, details) => ({ node: 2, caller_authrole: details.caller_authrole }));
    const subscriber = await joinRealm(two);
    const got: unknown[] = [];
    const publishers: unknown[] = [];
    await subscriber.subscribe('app.news', (args, _kwargs, details) => {
      got.push(args[0]);
      publishers.push(details.publisher_authrole);
    });
    const client = await joinRealm(one);
    const result = await eventually(() => client.call('app.where'), 'app.where callable on node 1');
    assert.deepEqual(result.args, [{ node: 2, caller_authrole: 'router2router' }]);
    // Published until the mirror on node 1 carries one over: each that crosses arrives once.
    let sent = 0;
    await eventually(async () => {
      await client.publish('app.news', [++sent], {}, { acknowledge: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
      return got.length > 0 || undefined;
    }, 'an event from node 1 on node 2');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(got, [...new Set(got)], 'no event twice');
    assert.ok(got.every((value) => typeof value === 'number' && value <= sent));
    assert.deepEqual(new Set(publishers), new Set(['router2router']));
  });
});

describe("rlinks: a link never mirrors another link's mirror (three nodes, B linked to A, A to C, each pulling the other's registrations)", { timeout: 180_000 }, () => {
  let root: string;
  const nodes: Node[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'junction-rlinks-chain-'));
    const keys = [nodeKeys(), nodeKeys(), nodeKeys()];
    const webs = [await freePort(), await freePort(), await freePort()];
    const principals = Object.fromEntries(keys.map((key, i) => [`node${i}`, { realm: 'realm1', role: 'rlink', authorized_keys: [key.publicKey] }]));
    const pull = (to: number) => ({
      realm: 'realm1', forward_local_events: false, forward_remote_events: true, forward_local_invocations: false, forward_remote_invocations: true,
      transport: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: webs[to] }, url: `ws://127.0.0.1:${webs[to]}/link` },
    });
    // A (0) pulls from C (2); B (1) pulls from A; C links nowhere.
    const links = [[pull(2)], [pull(0)], []];
    for (const i of [0, 1, 2]) {
      const config = {
        version: 2,
        workers: [{
          type: 'router',
          realms: [{ name: 'realm1', roles: openRoles, rlinks: links[i] }],
          transports: [{ type: 'web', endpoint: { type: 'tcp', port: webs[i], interface: '127.0.0.1' }, paths: { ws: { type: 'websocket' }, link: { type: 'websocket', auth: { cryptosign: { type: 'static', principals } } } } }],
        }],
      };
      nodes.push(await makeNode(root, `node${i}`, config, keys[i]!, webs[i]!));
    }
    const [a, b] = [start(nodes[0]!), start(nodes[1]!)];
    start(nodes[2]!);
    await Promise.all([a, b].map((junction) => junction.started((line) => line.msg === 'router link up')));
  });

  after(() => stopAll(root));

  it("A serves C's procedure; B does not take A's mirror of it, whose calls no link would forward again", async () => {
    const [a, b, c] = nodes as [Node, Node, Node];
    const callee = await joinRealm(c);
    await callee.register('app.on_c', () => 'from C');
    await callee.register('app.on_c_later', () => 'later');
    const onA = await joinRealm(a);
    assert.deepEqual((await eventually(() => onA.call('app.on_c'), 'app.on_c callable on A')).args, ['from C']);
    const onB = await joinRealm(b);
    const own = await joinRealm(a);
    await own.register('app.on_a', () => 'from A');
    // B mirrors A's own procedure: once it has, it has seen A's registrations, the mirror of C's among them.
    assert.deepEqual((await eventually(() => onB.call('app.on_a'), 'app.on_a callable on B')).args, ['from A']);
    await eventually(() => onA.call('app.on_c_later'), 'app.on_c_later callable on A');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const mirroredOnB = async (session: Session) => {
      const found: string[] = [];
      for (const procedure of ['app.on_a', 'app.on_c', 'app.on_c_later']) if ((await session.call('wamp.registration.lookup', [procedure])).args[0] !== null) found.push(procedure);
      return found;
    };
    assert.deepEqual(await mirroredOnB(onB), ['app.on_a'], 'as A announced them');
    // Restarted, B's link lists what A has at once: the same.
    const nodeB = running.find((junction) => junction.child.spawnargs.includes(b.config))!;
    nodeB.child.kill('SIGTERM');
    await nodeB.waitForExit();
    await start(b).started((line) => line.msg === 'router link up');
    const again = await joinRealm(b);
    assert.deepEqual((await eventually(() => again.call('app.on_a'), 'app.on_a callable on the restarted B')).args, ['from A']);
    assert.deepEqual(await mirroredOnB(again), ['app.on_a'], 'as A lists them');
  });
});

