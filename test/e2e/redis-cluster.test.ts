import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openRouterConfig, RunningJunction, startClusterNode } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import type { RunningRedis } from '../support/redis-server.js';
import { testRun } from '../support/test-run.js';
import { eventually } from '../support/wait.js';

const skip = skipWithoutDebian('redis-server');
const run = testRun();
let redis: RunningRedis | undefined;

/** Long, so that a node killed must be noticed through Redis dropping its connections, not its lease. */
const leaseMs = 10_000;

/** One router worker with a WebSocket and /health, in a cluster whose Redis URL comes from ${REDIS_URL}. */
function clusterConfig(): object {
  return openRouterConfig({ ws: { type: 'websocket' }, health: { type: 'health' } },
    { redis: { url: '${REDIS_URL}' }, heartbeat: 200, lease: leaseMs });
}

/** A node on a port the system picks. */
async function startNode(config: string): Promise<{ junction: RunningJunction; url: string; port: number }> {
  const junction = await startClusterNode(run.running, config, 0, { REDIS_URL: redis!.url });
  return { junction, url: await junction.url(), port: await junction.port() };
}

describe('two nodes through Redis (the CLI, AutobahnJS)', { skip }, () => {
  it('carries publications and calls between nodes, fails calls on a node killed, and degrades without Redis', async () => {
    redis = await run.startRedis();
    const config = await run.configFile(clusterConfig(), 'junction-cluster-');
    const a = await startNode(config);
    const b = await startNode(config);
    const portA = a.port;

    const onA = await run.open(a.url);
    const onB = await run.open(b.url);
    const received: unknown[] = [];
    await onB.session.subscribe('cluster.news', (args: unknown[]) => void received.push(args[0]));
    await eventually(async () => {
      await onA.session.publish('cluster.news', ['probe'], {}, { acknowledge: true });
      await new Promise((resolve) => setTimeout(resolve, 50));
      return received.includes('probe') ? true : undefined;
    }, 'a publication on node A reaching a subscriber on node B');
    received.length = 0;
    for (let i = 0; i < 20; i++) await onA.session.publish('cluster.news', [i], {}, { acknowledge: true });
    await eventually(async () => (received.length >= 20 ? true : undefined), 'twenty events');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(received, [...Array(20).keys()], 'every event once, in order');

    assert.equal(await onA.session.call('wamp.session.count'), 2, 'the meta API counts the sessions of both nodes');
    await onB.session.register('cluster.add', (args: number[]) => args[0]! + args[1]!);
    await onB.session.register('cluster.hang', () => new Promise(() => {}));
    assert.equal(await eventually(() => onA.session.call('cluster.add', [2, 3]) as Promise<number>, 'a call from A to B'), 5);
    await assert.rejects(onA.session.register('cluster.add', () => 0),
      (error: { error: string }) => error.error === 'wamp.error.procedure_already_exists');

    // Node B dies (SIGKILL) mid-call: the caller on A gets an error at once, long before B's lease would run out.
    const pending = onA.session.call('cluster.hang', []).then(() => 'answered', (error: { error: string }) => error.error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const killedAt = Date.now();
    b.junction.kill();
    assert.equal(await pending, 'wamp.error.canceled');
    const waited = Date.now() - killedAt;
    assert.ok(waited < leaseMs / 2, `the caller waited ${waited} ms: B was noticed through its lease, not at once`);
    await assert.rejects(onA.session.call('cluster.add', [1, 1]),
      (error: { error: string }) => error.error === 'wamp.error.no_such_procedure', 'B\'s registrations are gone');
    assert.equal(await onA.session.call('wamp.session.count'), 1, 'B\'s sessions are gone from the meta API');

    // Redis goes away: A keeps serving its own clients and says it is degraded.
    await redis.stop();
    const health = await eventually(async () => {
      const body = await (await fetch(`http://127.0.0.1:${portA}/health`)).json() as { status: string; reason?: string };
      return body.status === 'degraded' ? body : undefined;
    }, '/health degraded');
    assert.match(String(health.reason), /Redis at 127\.0\.0\.1:\d+\/0 is unreachable/);
    const local: unknown[] = [];
    await onA.session.subscribe('local.only', (args: unknown[]) => void local.push(args[0]));
    await onA.session.publish('local.only', ['still here'], {}, { acknowledge: true, exclude_me: false });
    await eventually(async () => (local.length > 0 ? true : undefined), 'local delivery without Redis');
    await redis.restart();
    await eventually(async () => {
      const body = await (await fetch(`http://127.0.0.1:${portA}/health`)).json() as { status: string };
      return body.status === 'serving' ? true : undefined;
    }, '/health serving again');
  });
});
