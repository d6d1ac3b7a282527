import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openRouterConfig, startClusterNodes } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { whileStopped } from '../support/owned-process.js';
import { testRun, type NodeClient as Client } from '../support/test-run.js';
import { eventually } from '../support/wait.js';

/**
 * The console's listings and stats across the nodes of a cluster, through the real CLI and
 * AutobahnJS clients calling the console's procedures as the page does: `--workers 2` on one port
 * (every worker's sessions, subscriptions and registrations, each naming its node; a stopped
 * worker named as silent within the question time; a kill reaching the other worker), and two
 * nodes through Redis.
 */

const run = testRun();

interface Listed {
  total: number;
  truncated: boolean;
  items: { node: string; session?: number; uri?: string; subscribers?: number; callees?: number[] }[];
  nodes: ({ node: string; total: number; shown: number; truncated: boolean } | { node: string; error: string })[];
}

async function list(client: Client, what: 'session' | 'subscription' | 'registration'): Promise<Listed> {
  return await client.session.call(`junction.${what}.list`) as Listed;
}

function nodeOf(listed: Listed, session: number): string | undefined {
  return listed.items.find((item) => item.session === session)?.node;
}

const consolePath = { type: 'console', realm: 'realm1', auth: { anonymous: { type: 'static', role: 'anonymous' } } };

describe('the console\'s listings across the nodes of a cluster (the CLI, AutobahnJS)', () => {
  it('with --workers 2: every worker\'s entries with their node, a stopped worker named, a kill on the other worker', async () => {
    const { junction, workers } = await run.startWorkers(0);
    const url = `ws://127.0.0.1:${await junction.port()}/ws`;
    const connected: Client[] = [];
    // The parent spreads connections over the workers: connect until two clients are on each (bounded).
    for (let i = 0; i < 30 && !['w1', 'w2'].every((node) => connected.filter((c) => c.node === node).length >= 2); i++) {
      connected.push(await run.openOnNode(url));
    }
    const a = connected.find((client) => client.node === 'w1')!;
    const others = connected.filter((client) => client.node === 'w2');
    assert.ok(a && others.length >= 2, 'clients landed on both workers');
    for (const client of connected) {
      await client.session.subscribe('console.room', () => {});
      await client.session.register(`console.echo.${client.id}`, (args: unknown[]) => args);
    }

    // Every client session, each with the node WELCOME named, asked on either worker.
    for (const asker of [a, others[0]!]) {
      const sessions = await eventually(async () => {
        const listed = await list(asker, 'session');
        return connected.every((client) => nodeOf(listed, client.id) === client.node) ? listed : undefined;
      }, `every session in the listing asked on ${asker.node}`);
      assert.equal(sessions.truncated, false);
      const counts = Object.fromEntries(sessions.nodes.map((entry) => [entry.node, 'total' in entry ? entry.total : entry.error]));
      assert.deepEqual(Object.keys(counts), ['w1', 'w2']);
      assert.equal(sessions.total, (counts.w1 as number) + (counts.w2 as number));
    }
    // One row per node for a topic subscribed on both, with that node's subscribers.
    const rooms = (await list(a, 'subscription')).items.filter((item) => item.uri === 'console.room');
    assert.deepEqual(rooms.map((row) => [row.node, row.subscribers]).sort(),
      [['w1', connected.filter((c) => c.node === 'w1').length], ['w2', others.length]]);
    const echo = (await list(a, 'registration')).items.find((item) => item.uri === `console.echo.${others[0]!.id}`);
    assert.deepEqual([echo?.node, echo?.callees], ['w2', [others[0]!.id]]);
    const stats = await a.session.call('junction.node.stats') as { node: string; cluster: { nodes: { node: string; sessions?: number }[]; totals: { answered: number; of: number; sessions: number } } };
    assert.equal(stats.node, 'w1');
    assert.deepEqual(stats.cluster.nodes.map((node) => node.node), ['w1', 'w2']);
    assert.deepEqual([stats.cluster.totals.answered, stats.cluster.totals.of], [2, 2]);

    // Kill, from w1, of a session on w2: closed by its own worker, and gone from the listing.
    const victim = others[1]!;
    await a.session.call('wamp.session.kill', [victim.id], { reason: 'wamp.close.killed', message: 'from the console' });
    assert.equal((await victim.closed).reason, 'wamp.close.killed');
    await eventually(async () => (nodeOf(await list(a, 'session'), victim.id) === undefined ? true : undefined), 'the killed session gone from the listing');

    // A worker that does not answer (stopped): named, with why, within the question time; the other's rows still listed.
    await whileStopped([workers.get('w2')!], async () => {
      const started = Date.now();
      const listed = await list(a, 'session');
      const waited = Date.now() - started;
      assert.ok(waited < 10_000, `the answer came within the bounded wait (${waited} ms)`);
      const silent = listed.nodes.find((entry) => entry.node === 'w2');
      assert.ok(silent && 'error' in silent && /did not answer within 2000 ms/.test(silent.error), JSON.stringify(silent));
      assert.ok(listed.items.length > 0 && listed.items.every((item) => item.node === 'w1'));
      const stalled = await a.session.call('junction.node.stats') as { cluster: { nodes: ({ node: string; error?: string })[]; totals: { answered: number; of: number } } };
      assert.deepEqual([stalled.cluster.totals.answered, stalled.cluster.totals.of], [1, 2]);
      assert.match(stalled.cluster.nodes.find((node) => node.node === 'w2')?.error ?? '', /did not answer/);
    });
    await eventually(async () => {
      const listed = await list(a, 'session');
      return listed.nodes.every((entry) => 'total' in entry) && nodeOf(listed, others[0]!.id) === 'w2' ? true : undefined;
    }, 'the worker answering again once it runs');
  });

  it('with two nodes through Redis', { skip: skipWithoutDebian('redis-server') }, async () => {
    const redis = await run.startRedis();
    const config = await run.configFile(openRouterConfig({ ws: { type: 'websocket' }, console: consolePath },
      { redis: { url: '${REDIS_URL}' }, node_id: '${NODE_ID}', heartbeat: 200, lease: 1000 }), 'junction-console-cluster-');
    const ports: number[] = [];
    for (const node of ['n1', 'n2']) ports.push(...await startClusterNodes(run.running, config, 1, { REDIS_URL: redis.url, NODE_ID: node }));
    const one = await run.openOnNode(`ws://127.0.0.1:${ports[0]}/ws`);
    const two = await run.openOnNode(`ws://127.0.0.1:${ports[1]}/ws`);
    assert.deepEqual([one.node, two.node], ['n1', 'n2']);
    const listed = await eventually(async () => {
      const answer = await list(one, 'session');
      return nodeOf(answer, two.id) === 'n2' ? answer : undefined;
    }, 'the other node\'s session in the listing');
    assert.equal(nodeOf(listed, one.id), 'n1');
    assert.deepEqual(listed.nodes.map((entry) => entry.node), ['n1', 'n2']);
    await one.session.call('wamp.session.kill', [two.id], { reason: 'wamp.close.killed' });
    assert.equal((await two.closed).reason, 'wamp.close.killed');
  });
});
