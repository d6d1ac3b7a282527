import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { health, metric, tryRegister } from '../support/node-probes.js';
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
let inspector: Redis | undefined;
let dir: string | undefined;
after(async () => {
  await Promise.all(sessions.map((session) => session.close().catch(() => {})));
  running.forEach((junction) => junction.kill());
  inspector?.disconnect();
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

/** The names of the backplane commands connections Redis has now (one per node when none is left over). */
async function backplaneConnections(): Promise<string[]> {
  const list = String(await inspector!.client('LIST'));
  return [...list.matchAll(/ name=(junction-backplane:\S+)/g)].map((match) => match[1]!);
}

describe('a node whose commands connection to Redis goes half-open (a frozen TCP proxy, the CLI, AutobahnJS)', { skip }, () => {
  it('is degraded, replaces the connection after closing the old one on Redis, and serves again with no claim held twice', async () => {
    redis = await RunningRedis.start();
    proxy = await FreezingProxy.start(redis.port);
    inspector = new Redis(redis.url);
    dir = await mkdtemp(join(tmpdir(), 'junction-halfopen-'));
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify(openRouterConfig({ ws: { type: 'websocket' }, health: { type: 'health' }, metrics: { type: 'metrics' } },
      { redis: { url: '${REDIS_URL}', command_timeout: commandTimeoutMs }, heartbeat: 200, lease: 1_500 })));
    const [portA, portB] = [await freePort(), await freePort()];
    // Only A goes through the proxy: its commands connection is the one frozen.
    const nodeA = await startClusterNode(running, config, portA, { REDIS_URL: proxy.url });
    const nodeB = await startClusterNode(running, config, portB, { REDIS_URL: redis.url });
    const onA = await open(await nodeA.url());
    const onB = await open(await nodeB.url());
    await onB.session.register('half.add', (args: number[]) => args[0]! + args[1]!);
    assert.equal(await eventually(() => onA.session.call('half.add', [2, 3]) as Promise<number>, 'a call from A to B'), 5);

    // Only the commands connection publishes (heartbeats); the subscriber subscribes.
    assert.equal(proxy.freeze(/\r\npublish\r\n/i), 1, 'A\'s commands connection frozen, its subscriber connection not');
    // A claim sent into the frozen connection: no answer, so it is refused; whether Redis runs it is unknown to A.
    await assert.rejects(onA.session.register('half.during', () => 'A'), (error: { error: string }) => error.error === 'junction.error.cluster_timeout');
    const degraded = await eventually(async () => {
      const body = await health(portA);
      return body.status === 'degraded' ? body : undefined;
    }, '/health of A degraded while its commands connection answers nothing');
    assert.match(String(degraded.reason), /does not answer \(cluster\.redis\.command_timeout 500 ms\)/);

    await eventually(async () => ((await health(portA)).status === 'serving' ? true : undefined), 'A serving again on a new commands connection');
    assert.ok(await metric(portA, 'junction_cluster_redis_reconnects_total{connection="backplane",reason="stalled"}') >= 1, 'the replacement is counted');
    await nodeA.waitForLine((line) => line.level === 40 && /backplane connection to Redis answered nothing for \d+ ms \(2 x cluster\.redis\.command_timeout\): replacing it/.test(line.msg), 1_000);
    // The frozen connection was closed on Redis (CLIENT KILL): what it carried never runs late.
    // A's connections share its name: the frozen one would be listed beside the new one if it had not been killed.
    const names = await backplaneConnections();
    assert.equal(names.length, 2, `one backplane commands connection per node, the frozen one killed: ${names.join(', ')}`);
    assert.equal(new Set(names).size, 2, 'one per node');

    // Across nodes again: a call, and a registration made on A now called from B.
    assert.equal(await eventually(() => onA.session.call('half.add', [1, 1]) as Promise<number>, 'a call from A to B again'), 2);
    await onA.session.register('half.after', () => 'from A');
    assert.equal(await eventually(() => onB.session.call('half.after') as Promise<string>, 'a registration made on A, called from B'), 'from A');
    // The claim refused during the freeze is held by nobody: B takes it, then A cannot (one holder, not two).
    const onB2 = await open(await nodeB.url());
    const held = await onB2.session.register('half.during', () => 'B');
    assert.equal(await tryRegister(onA, 'half.during'), 'wamp.error.procedure_already_exists', 'B holds the claim alone');
    assert.equal(await eventually(() => onA.session.call('half.during') as Promise<string>, 'A calls the holder'), 'B');
    await onB2.session.unregister(held);
    assert.equal(await eventually(async () => {
      const answer = await tryRegister(onA, 'half.during');
      return answer === 'registered' ? answer : undefined;
    }, 'A may claim it once B let it go'), 'registered');
  });
});
