import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { Wampy } from 'wampy';
import { JsonSerializer } from 'wampy/JsonSerializer.js';
import { autobahnSerializer, openConnection, type OpenSession, type SerializerName } from '../support/autobahn.js';
import { freePort, junctionBin, projectRoot, RunningJunction } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { RawClient } from '../support/raw-client.js';
import { RunningRedis } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { spawnOwned } from '../support/processes.js';

/**
 * The cluster as a user runs it (issue 15): three nodes started through the real CLI on one
 * real Redis, AutobahnJS, Wampy and hand-written clients spread over them, every publish and
 * call option crossing nodes; then a node killed mid-call and mid-fan-out, Redis stopped and
 * started again, and a node that starts while Redis is down. The nodes and clients are started
 * once and shared by the cases, in order.
 */

type WebSocketConstructor = NonNullable<ConstructorParameters<typeof Wampy>[1]>['ws'];

const skip = skipWithoutDebian('redis-server');
/** Long, so that node C killed must be noticed through Redis dropping its connections, not its lease. */
const leaseMs = 10_000;
const joeTicket = 'ticket-of-joe';

const running: RunningJunction[] = [];
const closers: (() => Promise<unknown> | void)[] = [];
let redis: RunningRedis | undefined;
let dir: string | undefined;
let configFile = '';

after(async () => {
  await Promise.all(closers.map(async (close) => close()?.catch?.(() => {})));
  running.forEach((junction) => junction.kill());
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A router with a WebSocket (ticket "joe" in role frontend, or anonymous), /health and /metrics, in a Redis cluster. */
function clusterConfig(): object {
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{ name: 'realm1', roles: [{ name: 'anonymous', 'allow-by-default': true }, { name: 'frontend', 'allow-by-default': true }] }],
      transports: [{
        type: 'web', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' },
        paths: {
          ws: {
            type: 'websocket',
            auth: { ticket: { type: 'static', principals: { joe: { ticket: joeTicket, role: 'frontend' } } }, anonymous: { type: 'static', role: 'anonymous' } },
          },
          health: { type: 'health' },
          metrics: { type: 'metrics' },
        },
      }],
      cluster: { redis: { url: '${REDIS_URL}' }, heartbeat: 200, lease: leaseMs },
    }],
  };
}

interface Node {
  junction: RunningJunction;
  url: string;
  port: number;
  /** Its cluster node id, from its log. */
  id: string;
}

async function startNode(waitFor: string): Promise<Node> {
  const port = await freePort();
  const child = spawnOwned(process.execPath, [junctionBin, 'start', '--config', configFile, '--port', String(port)],
    { cwd: projectRoot, env: { ...process.env, REDIS_URL: redis!.url }, stdio: ['ignore', 'pipe', 'pipe'] });
  const junction = new RunningJunction(child);
  running.push(junction);
  await junction.started((line) => line.msg === waitFor);
  // "joined the cluster" (or "did not answer", for a node that starts alone) names it.
  const named = await junction.waitForLine((line) => typeof line.cluster_node === 'string');
  return { junction, url: await junction.url(), port, id: String(named.cluster_node) };
}

async function health(node: Node): Promise<{ status: string; reason?: string }> {
  return (await fetch(`http://127.0.0.1:${node.port}/health`)).json() as Promise<{ status: string; reason?: string }>;
}

/** Retries `attempt` until it returns something (announcements cross nodes asynchronously); bounded. */
async function eventually<T>(attempt: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    assert.ok(Date.now() < deadline, `never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One client of the matrix, whatever its library: what it received on each topic, and how to publish and call. */
interface Client {
  name: string;
  node: string;
  session: number;
  /** Each topic's events: first argument and details. */
  events: Map<string, { arg: unknown; details: Record<string, unknown> }[]>;
  subscribe(topic: string, options?: Record<string, unknown>): Promise<void>;
  /** Publishes `arg` as the only argument; acknowledged unless the options say otherwise. */
  publish(topic: string, arg: unknown, options?: Record<string, unknown>): Promise<unknown>;
  register(procedure: string, options: Record<string, unknown>, answer?: (details: Record<string, unknown>) => unknown): Promise<void>;
  call(procedure: string, options?: Record<string, unknown>): Promise<unknown>;
}

function received(client: Client, topic: string): unknown[] {
  return (client.events.get(topic) ?? []).map((event) => event.arg);
}

function recorder(events: Client['events'], topic: string) {
  return (arg: unknown, details: Record<string, unknown>): void => {
    let list = events.get(topic);
    if (!list) events.set(topic, (list = []));
    list.push({ arg, details });
  };
}

type AutobahnClient = Client & { open: OpenSession };

async function autobahnClient(name: string, node: Node, serializer: SerializerName, joe = false): Promise<AutobahnClient> {
  const open = await openConnection({
    url: node.url, realm: 'realm1', serializers: [autobahnSerializer(serializer)],
    ...(joe ? { authmethods: ['ticket'], authid: 'joe', onchallenge: () => joeTicket } : {}),
  }, (reason) => new Error(`${name} could not connect: ${reason}`));
  closers.push(() => open.close());
  const details = open.details as Record<string, unknown>;
  const events: Client['events'] = new Map();
  return {
    name, open, events,
    node: String(details.x_junction_node),
    session: open.session.id as number,
    subscribe: async (topic, options = {}) => {
      const record = recorder(events, topic);
      await open.session.subscribe(topic, (args: unknown[], _kwargs: unknown, eventDetails: Record<string, unknown>) => record(args[0], eventDetails), options);
    },
    register: async (procedure, options, answer = () => name) => {
      await open.session.register(procedure, (_args: unknown[], _kwargs: unknown, callDetails: Record<string, unknown>) => answer(callDetails), options);
    },
    publish: (topic, arg, options = {}) => open.session.publish(topic, [arg], {}, { acknowledge: true, ...options }),
    call: (procedure, options = {}) => open.session.call(procedure, [], {}, options),
  };
}

async function wampyClient(name: string, node: Node): Promise<Client & { wampy: Wampy }> {
  const wampy = new Wampy(node.url, { realm: 'realm1', ws: WebSocket as unknown as WebSocketConstructor, serializer: new JsonSerializer(), autoReconnect: false });
  await wampy.connect();
  closers.push(() => wampy.disconnect().catch(() => {}));
  const events: Client['events'] = new Map();
  return {
    name, wampy, events,
    node: node.id,
    session: Number(wampy.getSessionId()),
    subscribe: async (topic, options = {}) => {
      const record = recorder(events, topic);
      await wampy.subscribe(topic, (event) => record(event.argsList?.[0], event.details as Record<string, unknown>), options);
    },
    register: async (procedure, options, answer = () => name) => {
      await wampy.register(procedure, async ({ details }) => ({ argsList: [await answer(details as Record<string, unknown>)] }), options);
    },
    publish: (topic, arg, options = {}) => wampy.publish(topic, { argsList: [arg] }, { acknowledge: true, ...options }),
    call: async (procedure, options = {}) => (await wampy.call(procedure, undefined, options)).argsList?.[0],
  };
}

/** A hand-written client that announces every caller and callee feature: cancel modes, progress both ways. */
async function rawClient(node: Node): Promise<RawClient & { session: number }> {
  const client = await RawClient.open(node.url);
  closers.push(() => client.close());
  const features = { call_canceling: true, progressive_call_invocations: true, progressive_call_results: true };
  client.send([1, 'realm1', { roles: { caller: { features }, callee: { features } } }]);
  const welcome = await client.next((m) => m[0] === 2);
  return Object.assign(client, { session: welcome[1] as number });
}

const wampErrorOf = (error: unknown): string =>
  (error as { error?: string; errorUri?: string }).error ?? (error as { errorUri?: string }).errorUri ?? String(error);

describe('three nodes through Redis: every option across nodes, failures, Redis away (the CLI)', { skip }, () => {
  let a: Node, b: Node, c: Node;
  /** pubA and subA on node A (AutobahnJS), joe and anonB on B (AutobahnJS), wampyC on C (Wampy). */
  let pubA: AutobahnClient, subA: AutobahnClient, joe: AutobahnClient, anonB: AutobahnClient, wampyC: Client & { wampy: Wampy };
  let everyone: Client[];
  let rawA: RawClient & { session: number };
  let rawB: RawClient & { session: number };

  before(async () => {
    if (skip) return;
    redis = await RunningRedis.start();
    dir = await mkdtemp(join(tmpdir(), 'junction-matrix-'));
    configFile = join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify(clusterConfig()));
    [a, b, c] = await Promise.all([startNode('joined the cluster'), startNode('joined the cluster'), startNode('joined the cluster')]);
    [pubA, subA, joe, anonB, wampyC] = await Promise.all([
      autobahnClient('pubA', a, 'json'), autobahnClient('subA', a, 'msgpack'),
      autobahnClient('joe', b, 'cbor', true), autobahnClient('anonB', b, 'json'), wampyClient('wampyC', c),
    ]);
    everyone = [pubA, subA, joe, anonB, wampyC];
    [rawA, rawB] = await Promise.all([rawClient(a), rawClient(b)]);
  });

  /** Publishes `label` with `options` from pubA, then a marker to all; returns who got `label`, once everyone got the marker. */
  async function deliveredTo(topic: string, label: string, options: Record<string, unknown>): Promise<string[]> {
    await pubA.publish(topic, label, options);
    const marker = `after ${label}`;
    await pubA.publish(topic, marker, { exclude_me: false });
    await waitFor(() => everyone.every((client) => received(client, topic).includes(marker)), `everyone to hear "${marker}"`);
    return everyone.filter((client) => received(client, topic).includes(label)).map((client) => client.name).sort();
  }

  it('has each client on the node it connected to', () => {
    assert.deepEqual([pubA.node, subA.node, joe.node, anonB.node, wampyC.node], [a.id, a.id, b.id, b.id, c.id]);
    assert.equal(new Set([a.id, b.id, c.id]).size, 3);
  });

  it('delivers to every eligible subscriber on every node once: exclude_me, exclude/eligible by session, authid and authrole', async () => {
    const topic = 'mx.t';
    await Promise.all(everyone.map((client) => client.subscribe(topic)));
    await eventually(async () => {
      await pubA.publish(topic, 'probe', { exclude_me: false });
      await new Promise((resolve) => setTimeout(resolve, 50));
      return everyone.every((client) => received(client, topic).includes('probe')) ? true : undefined;
    }, 'every subscription known on node A');

    const all = ['anonB', 'joe', 'pubA', 'subA', 'wampyC'];
    const without = (...names: string[]): string[] => all.filter((name) => !names.includes(name));
    assert.deepEqual(await deliveredTo(topic, 'plain', {}), without('pubA'), 'exclude_me by default');
    assert.deepEqual(await deliveredTo(topic, 'me too', { exclude_me: false }), all);
    assert.deepEqual(await deliveredTo(topic, 'exclude', { exclude: [anonB.session, subA.session] }), without('pubA', 'anonB', 'subA'));
    assert.deepEqual(await deliveredTo(topic, 'eligible', { eligible: [wampyC.session, anonB.session] }), ['anonB', 'wampyC']);
    assert.deepEqual(await deliveredTo(topic, 'exclude authid', { exclude_authid: ['joe'] }), without('pubA', 'joe'));
    assert.deepEqual(await deliveredTo(topic, 'eligible authid', { eligible_authid: ['joe'] }), ['joe']);
    assert.deepEqual(await deliveredTo(topic, 'eligible authrole', { eligible_authrole: ['frontend'] }), ['joe']);
    assert.deepEqual(await deliveredTo(topic, 'exclude authrole', { exclude_authrole: ['frontend'] }), without('pubA', 'joe'));
    for (const client of everyone) {
      const labels = received(client, topic).filter((arg) => typeof arg === 'string' && !arg.startsWith('after') && arg !== 'probe');
      assert.equal(new Set(labels).size, labels.length, `${client.name} got no event twice`);
    }
  });

  it('discloses the publisher on request, and to no one otherwise', async () => {
    const topic = 'mx.t';
    await deliveredTo(topic, 'disclosed', { disclose_me: true });
    for (const client of [joe, wampyC, subA]) {
      const event = client.events.get(topic)!.find((e) => e.arg === 'disclosed')!;
      assert.equal(Number(event.details.publisher), pubA.session, `${client.name} is told the publisher`);
    }
    const plain = wampyC.events.get(topic)!.find((e) => e.arg === 'plain')!;
    assert.equal(plain.details.publisher, undefined);

    // The other way: Wampy on C publishes to subscribers on A and B.
    await wampyC.publish(topic, 'from C', { disclose_me: true, eligible: [pubA.session, joe.session] });
    await waitFor(() => received(pubA, topic).includes('from C') && received(joe, topic).includes('from C'), 'Wampy\'s publication on A and B');
    assert.equal(Number(joe.events.get(topic)!.find((e) => e.arg === 'from C')!.details.publisher), wampyC.session);
  });

  it('matches prefix and wildcard subscriptions on other nodes, naming the topic', async () => {
    await joe.subscribe('mx.pre', { match: 'prefix' });
    await wampyC.subscribe('mx..x.end', { match: 'wildcard' });
    await eventually(async () => {
      await pubA.publish('mx.pre.x.end', 'both', { acknowledge: true });
      await new Promise((resolve) => setTimeout(resolve, 50));
      return received(joe, 'mx.pre').includes('both') && received(wampyC, 'mx..x.end').includes('both') ? true : undefined;
    }, 'pattern subscriptions known on node A');
    assert.equal(joe.events.get('mx.pre')!.at(-1)!.details.topic, 'mx.pre.x.end');
    assert.equal(wampyC.events.get('mx..x.end')!.at(-1)!.details.topic, 'mx.pre.x.end');
  });

  it('calls across nodes under each invocation policy as documented: roundrobin/random over every callee of the cluster, first/last in the cluster\'s order', async () => {
    await anonB.register('mx.rr', { invoke: 'roundrobin' });
    await joe.register('mx.rr', { invoke: 'roundrobin' });
    await wampyC.register('mx.rr', { invoke: 'roundrobin' });
    await eventually(async () => {
      const seen = new Set<unknown>();
      for (let i = 0; i < 6; i++) seen.add(await pubA.call('mx.rr'));
      return seen.size === 3 ? seen : undefined;
    }, 'calls from A reaching every callee of mx.rr on B and C');
    // B's 2 callees and C's 1 are 3 turns: in 30 calls, made one after the other, each callee serves 10, whichever node calls.
    const served = async (caller: Client, calls: number): Promise<Record<string, number>> => {
      const counted: Record<string, number> = {};
      for (let i = 0; i < calls; i++) {
        const callee = String(await caller.call('mx.rr'));
        counted[callee] = (counted[callee] ?? 0) + 1;
      }
      return counted;
    };
    assert.deepEqual(await served(pubA, 30), { anonB: 10, joe: 10, wampyC: 10 }, 'from A, which has no callee');
    assert.deepEqual(await served(anonB, 30), { anonB: 10, joe: 10, wampyC: 10 }, 'from B, which has two of the three');

    await anonB.register('mx.first', { invoke: 'first' });
    await joe.register('mx.first', { invoke: 'first' });
    await anonB.register('mx.last', { invoke: 'last' });
    await joe.register('mx.last', { invoke: 'last' });
    await wampyC.register('mx.last', { invoke: 'last' });
    assert.equal(await joe.call('mx.first'), 'anonB', 'first: the first registered in the cluster');
    await eventually(async () => ((await anonB.call('mx.last')) === 'wampyC' ? true : undefined), 'last from B: the last registered in the cluster, on C');
    const lastFromA = await eventually(async () => {
      const seen = new Set<unknown>();
      for (let i = 0; i < 4; i++) seen.add(await pubA.call('mx.last'));
      return seen.size === 1 && seen.has('wampyC') ? seen : undefined;
    }, 'mx.last from A goes to the cluster\'s last callee');
    assert.deepEqual([...lastFromA], ['wampyC'], 'last: the cluster\'s last callee, whichever node calls');

    await anonB.register('mx.random', { invoke: 'random' });
    await joe.register('mx.random', { invoke: 'random' });
    await wampyC.register('mx.random', { invoke: 'random' });
    // Each callee is drawn 1 time in 3: missing one in 60 calls happens about once in 10^10.
    const randomAnswers = await eventually(async () => {
      const seen = new Set<unknown>();
      for (let i = 0; i < 60; i++) seen.add(await pubA.call('mx.random'));
      return seen.size === 3 ? seen : undefined;
    }, 'mx.random called from A reaching every callee on B and C');
    assert.deepEqual([...randomAnswers].sort(), ['anonB', 'joe', 'wampyC']);

    await joe.register('mx.single', {});
    await eventually(() => wampyC.call('mx.single'), 'mx.single known on C');
    await assert.rejects(wampyC.register('mx.single', {}), (error) => wampErrorOf(error) === 'wamp.error.procedure_already_exists');
    await assert.rejects(pubA.register('mx.single', { invoke: 'roundrobin' }),
      (error) => wampErrorOf(error) === 'wamp.error.procedure_already_exists');
    await assert.rejects(pubA.register('mx.rr', { invoke: 'first' }),
      (error) => wampErrorOf(error) === 'wamp.error.procedure_exists_with_different_invocation_policy');
  });

  it('calls pattern registrations on other nodes and discloses the caller on request', async () => {
    await wampyC.register('mx.pre', { match: 'prefix' }, (details) => details.procedure);
    await joe.register('mx..wild', { match: 'wildcard' }, (details) => `${String(details.procedure)} from ${String(details.caller ?? 'nobody')}`);
    assert.equal(await eventually(() => pubA.call('mx.pre.deep') as Promise<string>, 'mx.pre known on A'), 'mx.pre.deep');
    assert.equal(await eventually(() => pubA.call('mx.any.wild') as Promise<string>, 'mx..wild known on A'), 'mx.any.wild from nobody');
    assert.equal(await pubA.call('mx.any.wild', { disclose_me: true }), `mx.any.wild from ${pubA.session}`);
  });

  it('sends a call to the best match in the whole cluster: an exact one on B over prefixes on A and C, the longest prefix next', async () => {
    await pubA.register('best', { match: 'prefix' });
    await wampyC.register('best.deep', { match: 'prefix' });
    const exactOnB = await anonB.open.session.register('best.deep.one', () => 'anonB');
    const servedBy = (caller: Client, procedure: string, expected: string): Promise<true> =>
      eventually(async () => ((await caller.call(procedure)) === expected ? true : undefined), `${procedure} from ${caller.name} served by ${expected}`);
    await servedBy(pubA, 'best.deep.one', 'anonB');
    await servedBy(wampyC, 'best.deep.one', 'anonB');
    await servedBy(pubA, 'best.deep.two', 'wampyC');
    assert.equal(await joe.call('best.other'), 'pubA');
    await exactOnB.unregister();
    await servedBy(pubA, 'best.deep.one', 'wampyC');
  });

  it('carries progressive results and progressive invocations between nodes', async () => {
    rawB.send([64, 1, {}, 'mx.stream']);
    await rawB.next((m) => m[0] === 65 && m[1] === 1);
    // Progressive results: Wampy on C calls the hand-written callee on B.
    const progress: unknown[] = [];
    const result = eventually(() => wampyC.wampy.call('mx.stream', { argsList: ['go'] }, { progress_callback: (partial) => void progress.push(partial.argsList?.[0]) }),
      'mx.stream known on C');
    const invocation = await rawB.next((m) => m[0] === 68, 10_000);
    assert.equal((invocation[3] as Record<string, unknown>).receive_progress, true);
    rawB.send([70, invocation[1], { progress: true }, [1]]);
    rawB.send([70, invocation[1], { progress: true }, [2]]);
    rawB.send([70, invocation[1], {}, ['done']]);
    assert.deepEqual((await result).argsList, ['done']);
    assert.deepEqual(progress, [1, 2]);

    // Progressive invocations: the chunks of one call reach the callee as one INVOCATION request, in order.
    const { result: uploaded, sendData } = wampyC.wampy.progressiveCall('mx.stream', { argsList: ['part 1'] });
    const first = await rawB.next((m) => m[0] === 68);
    sendData({ argsList: ['part 2'] }, { progress: true });
    sendData({ argsList: ['last part'] }, { progress: false });
    const second = await rawB.next((m) => m[0] === 68);
    const last = await rawB.next((m) => m[0] === 68);
    assert.deepEqual([first, second, last].map((m) => [m[1], (m[3] as Record<string, unknown>).progress ?? false, (m[4] as unknown[])[0]]),
      [[first[1], true, 'part 1'], [first[1], true, 'part 2'], [first[1], false, 'last part']]);
    rawB.send([70, first[1], {}, ['stored']]);
    assert.deepEqual((await uploaded).argsList, ['stored']);
  });

  it('cancels calls on another node in each mode, and times them out', async () => {
    rawB.send([64, 2, {}, 'mx.slow']);
    await rawB.next((m) => m[0] === 65 && m[1] === 2);
    let request = 100;
    const callSlow = async (options: Record<string, unknown> = {}): Promise<{ request: number; invocation: unknown[] }> => {
      for (;;) {
        const id = ++request;
        rawA.send([48, id, options, 'mx.slow']);
        // Watched without taking: a waiter left pending on the other client would take a later message.
        const refused = (m: unknown[]): boolean => m[0] === 8 && m[2] === id;
        await waitFor(() => rawB.messages.some((m) => m[0] === 68) || rawA.messages.some(refused), 'an INVOCATION or an ERROR', 10_000);
        if (rawB.messages.some((m) => m[0] === 68)) return { request: id, invocation: await rawB.next((m) => m[0] === 68) };
        assert.equal((await rawA.next(refused))[4], 'wamp.error.no_such_procedure'); // not yet announced on A: try again
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const errorFor = (id: number): Promise<unknown[]> => rawA.next((m) => m[0] === 8 && m[2] === id);

    const skipped = await callSlow();
    rawA.send([49, skipped.request, { mode: 'skip' }]);
    // The next call's INVOCATION follows the CANCEL from A to B: once it is here, B has ended the skipped call.
    const killed = await callSlow();
    rawB.send([70, skipped.invocation[1], {}, ['too late']]); // dropped: skip ended the call with nothing for the caller (as Crossbar)

    rawA.send([49, killed.request, { mode: 'kill' }]);
    const interrupt = await rawB.next((m) => m[0] === 69);
    assert.deepEqual([interrupt[1], (interrupt[2] as Record<string, unknown>).mode], [killed.invocation[1], 'kill']);
    rawB.send([8, 68, killed.invocation[1], {}, 'wamp.error.canceled', ['stopped']]);
    const killedError = await errorFor(killed.request);
    assert.deepEqual([killedError[4], killedError[5]], ['wamp.error.canceled', ['stopped']], 'kill: the callee\'s answer reaches the caller');

    const noWait = await callSlow();
    rawA.send([49, noWait.request, { mode: 'killnowait' }]);
    assert.equal((await errorFor(noWait.request))[4], 'wamp.error.canceled');
    const noWaitInterrupt = await rawB.next((m) => m[0] === 69);
    assert.deepEqual([noWaitInterrupt[1], (noWaitInterrupt[2] as Record<string, unknown>).mode], [noWait.invocation[1], 'killnowait']);

    const timed = await callSlow({ timeout: 300 });
    assert.equal((await errorFor(timed.request))[4], 'wamp.error.timeout');
    const timeoutInterrupt = await rawB.next((m) => m[0] === 69);
    assert.equal(timeoutInterrupt[1], timed.invocation[1], 'the callee is told the call is over');
    const forSkipped = rawA.messages.filter((m) => (m[0] === 50 && m[1] === skipped.request) || (m[0] === 8 && m[2] === skipped.request));
    assert.deepEqual(forSkipped, [], 'skip: neither an ERROR nor the late result reached the caller');
  });

  it('answers the meta API for the whole cluster from any node', async () => {
    const sessions = [...everyone.map((client) => client.session), rawA.session, rawB.session].sort();
    for (const client of [pubA, joe, wampyC]) {
      assert.equal(await client.call('wamp.session.count'), sessions.length, `count on ${client.name}'s node`);
    }
    const listed = await pubA.open.session.call('wamp.session.list') as number[];
    assert.deepEqual([...listed].sort(), sessions);
    const remote = await pubA.open.session.call('wamp.session.get', [wampyC.session]) as Record<string, unknown>;
    assert.deepEqual([remote.session, remote.node], [wampyC.session, wampyC.node]);
    const joeSeen = await wampyC.wampy.call('wamp.session.get', { argsList: [joe.session] });
    assert.deepEqual([(joeSeen.argsList?.[0] as Record<string, unknown>).authid, (joeSeen.argsList?.[0] as Record<string, unknown>).authrole], ['joe', 'frontend']);
  });

  it('node C killed mid-call and mid-fan-out: the call fails, the survivors get every event once in order, C is forgotten', async () => {
    const topic = 'mx.fan';
    await Promise.all([subA, joe, anonB, wampyC].map((client) => client.subscribe(topic)));
    await eventually(async () => {
      await pubA.publish(topic, 'probe');
      await new Promise((resolve) => setTimeout(resolve, 50));
      return [subA, joe, anonB, wampyC].every((client) => received(client, topic).includes('probe')) ? true : undefined;
    }, 'mx.fan subscribers known on A');
    await wampyC.register('mx.hang', {}, () => new Promise(() => {}));
    const pending = eventually(() => pubA.call('mx.hang').then(() => 'answered', (error: unknown) => {
      if (wampErrorOf(error) === 'wamp.error.no_such_procedure') throw error; // not announced yet: again
      return wampErrorOf(error);
    }), 'mx.hang called');
    await new Promise((resolve) => setTimeout(resolve, 200));

    const count = 300;
    let killedAt = 0;
    for (let i = 0; i < count; i++) {
      if (i === 100) {
        killedAt = Date.now();
        c.junction.kill();
      }
      await pubA.publish(topic, i, { acknowledge: i % 20 === 19 });
    }
    assert.equal(await pending, 'wamp.error.canceled', 'the call pending on C fails');
    const waited = Date.now() - killedAt;
    assert.ok(waited < leaseMs / 2, `the caller waited ${waited} ms: C was noticed through its lease, not at once`);
    await pubA.publish(topic, 'end', { acknowledge: true });
    const survivors = [subA, joe, anonB];
    await waitFor(() => survivors.every((client) => received(client, topic).includes('end')), 'the survivors to hear the end');
    for (const client of survivors) {
      assert.deepEqual(received(client, topic).filter((arg) => typeof arg === 'number'), [...Array(count).keys()],
        `${client.name}: every event exactly once, in order`);
    }
    const alive = [pubA, subA, joe, anonB].map((client) => client.session).concat(rawA.session, rawB.session).sort();
    // Each node notices on its own that Redis dropped C's connections (RedisLiveness), within a second or so.
    await eventually(async () => ((await pubA.call('wamp.session.count')) === alive.length ? true : undefined), 'C\'s sessions gone from A\'s view');
    await eventually(async () => {
      const listed = [...await joe.open.session.call('wamp.session.list') as number[]].sort();
      return JSON.stringify(listed) === JSON.stringify(alive) ? true : undefined;
    }, 'C\'s sessions gone from B\'s view');
    await assert.rejects(pubA.call('mx.pre.deep'), (error) => wampErrorOf(error) === 'wamp.error.no_such_procedure', 'C\'s registrations are gone');
  });

  it('loses Redis: A and B serve locally, degraded; a node started meanwhile serves alone; all converge once Redis is back', async () => {
    await redis!.stop();
    await eventually(async () => ((await health(a)).status === 'degraded' && (await health(b)).status === 'degraded' ? true : undefined),
      'A and B degraded');
    await subA.subscribe('mx.local');
    await pubA.publish('mx.local', 'still here', { acknowledge: true });
    await waitFor(() => received(subA, 'mx.local').includes('still here'), 'local delivery without Redis');

    const d = await startNode('listening');
    assert.ok(d.junction.lines.some((line) => /did not answer: serving this node's clients only/.test(line.msg)), 'D says it starts alone');
    assert.equal((await health(d)).status, 'degraded');
    const onD = await autobahnClient('onD', d, 'json');
    await onD.subscribe('mx.late');
    await onD.register('mx.onD', {});
    assert.equal(await onD.call('mx.onD'), 'onD', 'D serves its own clients');

    await redis!.restart(); // empty: everything must come back from the nodes
    await d.junction.started((line) => line.msg === 'joined the cluster');
    for (const node of [a, b, d]) await eventually(async () => ((await health(node)).status === 'serving' ? true : undefined), 'serving again');
    await eventually(async () => {
      await pubA.publish('mx.late', 'to D');
      await new Promise((resolve) => setTimeout(resolve, 50));
      return received(onD, 'mx.late').includes('to D') ? true : undefined;
    }, 'a publication from A reaching the late node D');
    assert.equal(await eventually(() => joe.call('mx.onD') as Promise<string>, 'B calling D'), 'onD');
    assert.ok(['anonB', 'joe'].includes(String(await onD.call('mx.rr'))), 'D calling B');
    const alive = [pubA, subA, joe, anonB, onD].map((client) => client.session).concat(rawA.session, rawB.session).sort();
    await eventually(async () => ((await onD.call('wamp.session.count')) === alive.length ? true : undefined), 'D counting every live session');
    assert.deepEqual([...await pubA.open.session.call('wamp.session.list') as number[]].sort(), alive, 'nothing stale on A');
    await assert.rejects(onD.register('mx.single', {}), (error) => wampErrorOf(error) === 'wamp.error.procedure_already_exists',
      'B claimed its procedures again in the new Redis');
    await onD.register('mx.pre', { match: 'prefix' }); // C's claim is not back: C is dead
  });
});
