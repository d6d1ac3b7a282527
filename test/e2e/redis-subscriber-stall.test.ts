import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { OpenSession } from '../support/autobahn.js';
import { health, metric } from '../support/node-probes.js';
import { skipWithoutDebian } from '../support/debian.js';
import { ProxiedCluster } from '../support/proxied-cluster.js';
import { eventually } from '../support/wait.js';

const skip = skipWithoutDebian('redis-server');
const cluster = new ProxiedCluster();
after(() => cluster.stop());

const commandTimeoutMs = 500;

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
    // Only A goes through the proxy: its subscriber connection is the one frozen.
    await cluster.start({
      commandTimeoutMs, leaseMs: 1_500,
    });
    const { portA, portB, proxy } = cluster;
    const onA = await cluster.open(cluster.a!);
    const onB = await cluster.open(cluster.b!);
    const received: unknown[] = [];
    await onA.session.subscribe('deaf.news', (args: unknown[]) => void received.push(args[0]));
    await onB.session.register('deaf.add', (args: number[]) => args[0]! + args[1]!);
    assert.equal(await eventually(() => onA.session.call('deaf.add', [2, 3]) as Promise<number>, 'a call from A to B'), 5);
    await crosses(onB, received, 'before');

    // Its new subscriber connections do not get subscribed until the test has seen A degraded: A would
    // otherwise be back within about 100 ms, between two looks at /health under load.
    proxy!.holdLater(/\r\nsubscribe\r\n/i);
    assert.equal(proxy!.freeze(/\r\nsubscribe\r\n/i), 1, 'A\'s subscriber connection frozen, its commands connection not');
    // Made on B while A hears nothing: A learns of it once its subscriber is back (B answers `back` with its state).
    await onB.session.register('deaf.later', () => 'later');
    const degraded = await eventually(async () => {
      const body = await health(portA);
      return body.status === 'degraded' ? body : undefined;
    }, '/health of A degraded while its subscriber connection delivers nothing');
    proxy!.letGo();
    assert.match(String(degraded.reason), /subscriber connection to Redis at 127\.0\.0\.1:\d+\/0 delivered none of its heartbeats within 500 ms \(cluster\.redis\.command_timeout\): reconnecting it/);
    await cluster.a!.waitForLine((line) => line.level === 40 && /subscriber connection to Redis delivered none of its heartbeats within 500 ms/.test(line.msg), 10_000);
    assert.ok(await metric(portA, 'junction_cluster_redis_subscriber_stalls_total') >= 1, 'the stall is counted');
    assert.equal((await health(portB)).status, 'serving', 'B is not affected');

    await eventually(async () => ((await health(portA)).status === 'serving' ? true : undefined), 'A serving again on a new subscriber connection');
    await crosses(onB, received, 'after');
    assert.equal(await eventually(() => onA.session.call('deaf.add', [1, 1]) as Promise<number>, 'a call from A to B again'), 2);
    assert.equal(await eventually(() => onA.session.call('deaf.later') as Promise<string>, 'the registration B made meanwhile, known to A'), 'later');
    assert.equal(await metric(portA, 'junction_cluster_redis_timeouts_total{command="claim",connection="backplane"}'), 0, 'no command timed out: only the subscriber stalled');
  });
});
