import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { health, metric, tryRegister } from '../support/node-probes.js';
import { skipWithoutDebian } from '../support/debian.js';
import { ProxiedCluster } from '../support/proxied-cluster.js';
import { eventually } from '../support/wait.js';

const skip = skipWithoutDebian('redis-server');
const cluster = new ProxiedCluster();
after(() => cluster.stop());

const commandTimeoutMs = 500;

/** The names of the backplane commands connections Redis has now (one per node when none is left over). */
async function backplaneConnections(): Promise<string[]> {
  const list = String(await cluster.inspector!.client('LIST'));
  return [...list.matchAll(/ name=(junction-backplane:\S+)/g)].map((match) => match[1]!);
}

describe('a node whose commands connection to Redis goes half-open (a frozen TCP proxy, the CLI, AutobahnJS)', { skip }, () => {
  it('is degraded, replaces the connection after closing the old one on Redis, and serves again with no claim held twice', async () => {
    // Only A goes through the proxy: its commands connection is the one frozen.
    await cluster.start({
      commandTimeoutMs, leaseMs: 1_500,
    });
    const { portA, proxy } = cluster;
    const onA = await cluster.open(cluster.a!);
    const onB = await cluster.open(cluster.b!);
    await onB.session.register('half.add', (args: number[]) => args[0]! + args[1]!);
    assert.equal(await eventually(() => onA.session.call('half.add', [2, 3]) as Promise<number>, 'a call from A to B'), 5);

    // Only the commands connection publishes (heartbeats); the subscriber subscribes.
    assert.equal(proxy!.freeze(/\r\npublish\r\n/i), 1, 'A\'s commands connection frozen, its subscriber connection not');
    // A claim sent into the frozen connection: no answer, so it is refused; whether Redis runs it is unknown to A.
    await assert.rejects(onA.session.register('half.during', () => 'A'), (error: { error: string }) => error.error === 'junction.error.cluster_timeout');
    const degraded = await eventually(async () => {
      const body = await health(portA);
      return body.status === 'degraded' ? body : undefined;
    }, '/health of A degraded while its commands connection answers nothing');
    assert.match(String(degraded.reason), /does not answer \(cluster\.redis\.command_timeout 500 ms\)/);

    await eventually(async () => ((await health(portA)).status === 'serving' ? true : undefined), 'A serving again on a new commands connection');
    assert.ok(await metric(portA, 'junction_cluster_redis_reconnects_total{connection="backplane",reason="stalled"}') >= 1, 'the replacement is counted');
    await cluster.a!.waitForLine((line) => line.level === 40 && /backplane connection to Redis answered nothing for \d+ ms \(2 x cluster\.redis\.command_timeout\): replacing it/.test(line.msg), 10_000);
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
    const onB2 = await cluster.open(cluster.b!);
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
