import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startClusterNode } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { testRun, type NodeClient as Client } from '../support/test-run.js';
import { eventually, waitFor } from '../support/wait.js';

/**
 * The user's view of the meta API, testaments, retained events and event history across the
 * nodes of a cluster, through the real CLI: `--workers 2` on one port, and two nodes through Redis.
 */

const run = testRun();

function routerConfig(cluster?: object): object {
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{
        name: 'realm1', roles: [{ name: 'anonymous', 'allow-by-default': true }],
        store: { type: 'memory', 'event-history': [{ uri: 'meta.log', match: 'prefix', limit: 10 }] },
      }],
      transports: [{ type: 'web', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' }, paths: { ws: { type: 'websocket' } } }],
      ...(cluster ? { cluster } : {}),
    }],
  };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What a user sees with clients on two nodes: `a` on the node that survives, `b`, `spare` and
 * `victim` on the node that `killNode` kills.
 */
async function scenario(a: Client, [b, spare, victim]: Client[], killNode: () => void): Promise<void> {
  for (const other of [b, spare, victim]) assert.notEqual(other!.node, a.node);
  assert.ok(b && spare && victim && b.node === spare.node && b.node === victim.node);

  // One ID per (topic, match) and per (procedure, match) in the cluster; the meta API answers for both nodes.
  const subA = await a.session.subscribe('meta.topic', () => {});
  const subB = await b.session.subscribe('meta.topic', () => {});
  assert.equal(subA.id, subB.id);
  assert.deepEqual((await a.session.call('wamp.subscription.list_subscribers', [subA.id]) as number[]).sort(), [a.id, b.id].sort());
  assert.equal(await a.session.call('wamp.subscription.count_subscribers', [subA.id]), 2);
  assert.equal(await a.session.call('wamp.subscription.lookup', ['meta.topic']), subA.id);
  const regA = await a.session.register('meta.add', (args: number[]) => args[0]! + args[1]!, { invoke: 'roundrobin' });
  const regB = await b.session.register('meta.add', (args: number[]) => args[0]! + args[1]!, { invoke: 'roundrobin' });
  assert.equal(regA.id, regB.id);
  assert.deepEqual((await a.session.call('wamp.registration.list_callees', [regA.id]) as number[]).sort(), [a.id, b.id].sort());
  assert.equal((await b.session.call('wamp.registration.get', [regA.id]) as { invoke: string }).invoke, 'roundrobin');

  // first/last follow the cluster's registration order, wherever the call is made.
  await b.session.register('meta.first', () => 'b', { invoke: 'first' });
  await a.session.register('meta.first', () => 'a', { invoke: 'first' });
  await a.session.register('meta.last', () => 'a', { invoke: 'last' });
  await b.session.register('meta.last', () => 'b', { invoke: 'last' });
  // The other node's rank arrives asynchronously: retried until it is known.
  assert.equal(await eventually(async () => ((await a.session.call('meta.first')) === 'b' ? 'b' : undefined), 'first: b\'s callee'), 'b');
  assert.equal(await eventually(async () => ((await a.session.call('meta.last')) === 'b' ? 'b' : undefined), 'last: b\'s callee'), 'b');
  assert.equal(await b.session.call('meta.first'), 'b');

  // A retained event published on a's node reaches a late subscriber on b's node.
  await a.session.publish('meta.state', ['current'], {}, { retain: true, acknowledge: true });
  const retained = await eventually(async () => {
    const got: unknown[] = [];
    const subscription = await b.session.subscribe('meta.state', (args: unknown[]) => void got.push(args[0]), { get_retained: true });
    await pause(50);
    await b.session.unsubscribe(subscription);
    return got.length > 0 ? got : undefined;
  }, 'the retained event on the other node');
  assert.deepEqual(retained, ['current']);

  // History of publications made on either node, read on either node.
  await a.session.publish('meta.log.a', [1], {}, { acknowledge: true });
  await b.session.publish('meta.log.b', [2], {}, { acknowledge: true });
  for (const reader of [a, b]) {
    const history = await reader.session.call('wamp.subscription.lookup', ['meta.log', { match: 'prefix' }]) as number;
    const stored = await eventually(async () => {
      const events = await reader.session.call('wamp.subscription.get_events', [history]) as { args: unknown[] }[];
      return events.length === 2 ? events : undefined;
    }, `the history read on ${reader.node}`);
    // Each node keeps events in the order they reached it: publishers on two nodes may interleave either way.
    assert.deepEqual(stored.map((event) => (event.args as number[])[0]).sort(), [1, 2]);
  }

  // wamp.session.kill of a session on the other node: its node says GOODBYE.
  await a.session.call('wamp.session.kill', [spare.id], { reason: 'wamp.close.killed', message: 'from the other node' });
  const closed = await spare.closed;
  assert.deepEqual([closed.reason, closed.message], ['wamp.close.killed', 'from the other node']);
  assert.deepEqual(await a.session.call('wamp.session.kill_by_authrole', ['nobody']), []);

  // The victim's testament, published once by the surviving node when its node dies.
  const wills: unknown[] = [];
  await a.session.subscribe('meta.will', (args: unknown[]) => void wills.push(args[0]));
  await victim.session.call('wamp.session.add_testament', ['meta.will', ['the victim\'s node died'], {}]);
  killNode();
  await victim.closed;
  await eventually(async () => (wills.length > 0 ? true : undefined), 'the testament of the dead node\'s session');
  await pause(300);
  assert.deepEqual(wills, ['the victim\'s node died'], 'published once');
  assert.deepEqual(await a.session.call('wamp.subscription.list_subscribers', [subA.id]), [a.id], 'the dead node\'s subscriber is gone');
}

describe('the meta API, testaments, retained events and history across nodes (the CLI, AutobahnJS)', () => {
  it('with --workers 2 on one port', async () => {
    const { junction } = await run.startWorkers(0, await run.configFile(routerConfig(), 'junction-cluster-meta-'));
    const url = `ws://127.0.0.1:${await junction.port()}/ws`;
    const connected: Client[] = [];
    // The OS spreads connections over the workers: connect until two clients are on the node of the second one.
    for (let i = 0; i < 30 && !(connected.length > 0 && connected.filter((c) => c.node !== connected[0]!.node).length >= 3); i++) {
      connected.push(await run.openOnNode(url));
    }
    const a = connected[0]!;
    const others = connected.filter((client) => client.node !== a.node);
    assert.ok(others.length >= 3, 'clients landed on both workers');
    const serving = await junction.worker(others[0]!.node);
    await scenario(a, others, () => serving.signal('SIGKILL'));

    // The worker is started again, clean: it copies the retained events and the history the other one kept.
    const restarted = others[0]!.node;
    await waitFor(() => junction.lines.filter((line) => line.msg === 'worker serving' && line.node === restarted).length === 2,
      `worker ${restarted} serving again`, 20_000);
    let late: Client | undefined;
    for (let i = 0; i < 30 && late?.node !== restarted; i++) late = await run.openOnNode(url);
    assert.equal(late!.node, restarted, 'a client landed on the restarted worker');
    const retained = await eventually(async () => {
      const got: unknown[] = [];
      const subscription = await late!.session.subscribe('meta.state', (args: unknown[]) => void got.push(args[0]), { get_retained: true });
      await pause(50);
      await late!.session.unsubscribe(subscription);
      return got.length > 0 ? got : undefined;
    }, 'the retained event on the restarted worker');
    assert.deepEqual(retained, ['current']);
    // And the event history kept before it started, copied from the same worker.
    const history = await late!.session.call('wamp.subscription.lookup', ['meta.log', { match: 'prefix' }]) as number;
    const stored = await eventually(async () => {
      const events = await late!.session.call('wamp.subscription.get_events', [history]) as { args: unknown[] }[];
      return events.length === 2 ? events : undefined;
    }, 'the history on the restarted worker');
    assert.deepEqual(stored.map((event) => (event.args as number[])[0]).sort(), [1, 2]);
  });

  const skip = skipWithoutDebian('redis-server');
  it('with two nodes through Redis', { skip }, async () => {
    const redis = await run.startRedis();
    const config = await run.configFile(routerConfig({ redis: { url: '${REDIS_URL}' }, heartbeat: 200, lease: 1000 }), 'junction-cluster-meta-');
    const start = async () => {
      const junction = await startClusterNode(run.running, config, 0, { REDIS_URL: redis.url });
      return { junction, url: await junction.url() };
    };
    const first = await start();
    const second = await start();
    const a = await run.openOnNode(first.url);
    const onSecond = [await run.openOnNode(second.url), await run.openOnNode(second.url), await run.openOnNode(second.url)];
    // The nodes learn of each other asynchronously: wait until a's node counts every session.
    await eventually(async () => ((await a.session.call('wamp.session.count')) === 4 ? true : undefined), 'both nodes in the meta API');
    await scenario(a, onSecond, () => second.junction.kill());
  });
});
