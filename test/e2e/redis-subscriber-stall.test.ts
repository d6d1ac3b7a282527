import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { health, metric } from '../support/node-probes.js';
import { freePort, openRouterConfig, type RunningJunction, startClusterNode } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { FreezingProxy } from '../support/freezing-proxy.js';
import { RunningRedis } from '../support/redis-server.js';
import { eventually } from '../support/wait.js';

const skip = skipWithoutDebian('redis-server');
const running: RunningJunction[] = [];
const sessions: OpenSession[] = [];
let redis: RunningRedis | undefined;
let proxy: FreezingProxy | undefined;
let dir: string | undefined;
after(async () => {
  await Promise.all(sessions.map((session) => session.close().catch(() => {})));
  running.forEach((junction) => junction.kill());
  await proxy?.close();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const commandTimeoutMs = 500;

async function open(url: string): Promise<OpenSession> {
  const session = await openAutobahn(url, 'json');
  sessions.push(session);
  return session;
}

/** Publishes `word` from `from` until `received` has it: publications cross from one node to the other. */
async function crosses(from: OpenSession, received: unknown[], word: string): Promise<void> {
  await eventually(async () => {
    await from.session.publish('deaf.news', [word], {}, { acknowledge: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    return received.includes(word) ? true : undefined;
  }, `"${word}" published on B reaching A`);
}

describe('a node whose subscriber connection to Redis stalls alone (a frozen TCP proxy, the CLI, AutobahnJS)', { skip }, () => {
  it('is degraded, counts and warns, reconnects it and hears the other nodes again, their changes meanwhile included', async () => {
    redis = await RunningRedis.start();
    proxy = await FreezingProxy.start(redis.port);
    dir = await mkdtemp(join(tmpdir(), 'junction-deaf-'));
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify(openRouterConfig({ ws: { type: 'websocket' }, health: { type: 'health' }, metrics: { type: 'metrics' } },
      { redis: { url: '${REDIS_URL}', command_timeout: commandTimeoutMs }, heartbeat: 200, lease: 1_500 })));
    const [portA, portB] = [await freePort(), await freePort()];
    // Only A goes through the proxy: its subscriber connection is the one frozen.
    const nodeA = await startClusterNode(running, config, portA, { REDIS_URL: proxy.url });
    const nodeB = await startClusterNode(running, config, portB, { REDIS_URL: redis.url });
    const onA = await open(await nodeA.url());
    const onB = await open(await nodeB.url());
    const received: unknown[] = [];
    await onA.session.subscribe('deaf.news', (args: unknown[]) => void received.push(args[0]));
    await onB.session.register('deaf.add', (args: number[]) => args[0]! + args[1]!);
    assert.equal(await eventually(() => onA.session.call('deaf.add', [2, 3]) as Promise<number>, 'a call from A to B'), 5);
    await crosses(onB, received, 'before');

    assert.equal(proxy.freeze(/\r\nsubscribe\r\n/i), 1, 'A\'s subscriber connection frozen, its commands connection not');
    // Made on B while A hears nothing: A learns of it once its subscriber is back (B answers `back` with its state).
    await onB.session.register('deaf.later', () => 'later');
    const degraded = await eventually(async () => {
      const body = await health(portA);
      return body.status === 'degraded' ? body : undefined;
    }, '/health of A degraded while its subscriber connection delivers nothing');
    assert.match(String(degraded.reason), /subscriber connection to Redis at 127\.0\.0\.1:\d+\/0 delivered none of its heartbeats within 500 ms \(cluster\.redis\.command_timeout\): reconnecting it/);
    await nodeA.waitForLine((line) => line.level === 40 && /subscriber connection to Redis delivered none of its heartbeats within 500 ms/.test(line.msg), 1_000);
    assert.ok(await metric(portA, 'junction_cluster_redis_subscriber_stalls_total') >= 1, 'the stall is counted');
    assert.equal((await health(portB)).status, 'serving', 'B is not affected');

    await eventually(async () => ((await health(portA)).status === 'serving' ? true : undefined), 'A serving again on a new subscriber connection');
    await crosses(onB, received, 'after');
    assert.equal(await eventually(() => onA.session.call('deaf.add', [1, 1]) as Promise<number>, 'a call from A to B again'), 2);
    assert.equal(await eventually(() => onA.session.call('deaf.later') as Promise<string>, 'the registration B made meanwhile, known to A'), 'later');
    assert.equal(await metric(portA, 'junction_cluster_redis_timeouts_total{command="claim",connection="backplane"}'), 0, 'no command timed out: only the subscriber stalled');
  });
});
