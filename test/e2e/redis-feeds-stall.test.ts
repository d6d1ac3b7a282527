import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { OpenSession } from '../support/autobahn.js';
import type { LogLine } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { health, metric } from '../support/node-probes.js';
import { ProxiedCluster } from '../support/proxied-cluster.js';
import { eventually, waitFor } from '../support/wait.js';
import { range, startWebhookApp, type WebhookApp } from '../support/webhook-app.js';

/**
 * The forwarder's lease holder reads the cluster's feed (a Redis stream) on a connection of its
 * own. That connection going half-open (frozen by a TCP proxy) must not stop the forwarding for
 * good behind a `serving` /health: the node notices, says so, replaces the connection and forwards
 * what waited, once.
 */

const skip = skipWithoutDebian('redis-server');
const clusters: ProxiedCluster[] = [];
const apps: WebhookApp[] = [];
after(async () => {
  for (const cluster of clusters) await cluster.stop();
  for (const app of apps) await app.close();
});

const commandTimeoutMs = 500;
const leaseHeld = (line: LogLine): boolean => line.msg === 'forwarder lease held: this node delivers its events';

async function publishAll(on: OpenSession, values: number[]): Promise<void> {
  for (const value of values) await on.session.publish('shop.order', [value], {}, { acknowledge: true });
}

/**
 * Runs `check`; if it fails, adds the two nodes' warnings and lease/feed lines to the error, so
 * that a failure under load says which node did what (a replaced connection, a lease moved).
 */
async function explainedByLogs(cluster: ProxiedCluster, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (error) {
    const told = (name: string, lines: LogLine[] | undefined): string[] => (lines ?? [])
      .filter((line) => line.level >= 40 || /lease|feed|handed|forwarder/.test(String(line.msg)))
      .map((line) => `${name} ${JSON.stringify(line)}`);
    (error as Error).message += `\n${[...told('A', cluster.a?.lines), ...told('B', cluster.b?.lines)].join('\n')}`;
    throw error;
  }
}

/** Every value reached the app, and none twice. */
async function appGetsEachOnce(app: WebhookApp, values: number[], what: string): Promise<void> {
  await eventually(async () => (app.received.length >= values.length ? true : undefined), `${what}: the app received ${values.length} events`);
  await new Promise((resolve) => setTimeout(resolve, 300)); // a repeat would arrive now
  assert.deepEqual([...app.received].sort((x, y) => Number(x) - Number(y)), values, `${what}: each event once`);
}

/**
 * An app, and two nodes running a forwarder to it whose lease A holds; events 0..9 published on
 * A and B already delivered.
 */
async function forwardingPair(leaseMs: number, timeoutMs = commandTimeoutMs): Promise<{ app: WebhookApp; cluster: ProxiedCluster; onA: OpenSession; onB: OpenSession }> {
  const app = await startWebhookApp();
  apps.push(app);
  const forwarder = {
    type: 'class', id: 'orders', classname: 'crossbar.bridge.rest.MessageForwarder', realm: 'realm1',
    extra: { subscriptions: [{ topic: 'shop.order', url: app.url }], retry: { initial_delay: 100, max_delay: 500 } },
  };
  const cluster = new ProxiedCluster();
  clusters.push(cluster);
  await cluster.start({ commandTimeoutMs: timeoutMs, leaseMs, components: [forwarder], afterA: async (a) => void await a.waitForLine(leaseHeld) });
  const onA = await cluster.open(cluster.a!);
  const onB = await cluster.open(cluster.b!);
  await publishAll(onA, range(0, 5));
  await publishAll(onB, range(5, 10));
  await appGetsEachOnce(app, range(0, 10), 'before the freeze');
  return { app, cluster, onA, onB };
}

/** Freezes A's feeds connection: only it names the forwarder's lease key. */
function freezeFeedsOfA(cluster: ProxiedCluster): void {
  assert.equal(cluster.proxy!.freeze(/lease:forwarder:orders/), 1, 'A\'s feeds connection frozen, its backplane connections not');
}

describe('a forwarder holder whose feeds connection to Redis goes half-open (a frozen TCP proxy, the CLI, AutobahnJS)', { skip }, () => {
  it('is degraded, counts and warns, replaces the connection and forwards what was published meanwhile, each event once', async () => {
    // The lease outlasts detection and replacement (about 3 x command_timeout): A keeps it throughout.
    const { app, cluster, onA, onB } = await forwardingPair(4_000);
    const { portA, portB } = cluster;
    freezeFeedsOfA(cluster);
    // Published on A before it noticed: their appends go unanswered, and are sent again on the new connection.
    await publishAll(onA, range(10, 15));
    // Published on B while A cannot read the feed: they wait in the stream.
    await publishAll(onB, range(15, 20));
    const feedsStalled = /forwarders' feeds connection to Redis at 127\.0\.0\.1:\d+\/0 does not answer \(cluster\.redis\.command_timeout 500 ms\)/;
    await eventually(async () => {
      const body = await health(portA);
      return body.status === 'degraded' && feedsStalled.test(String(body.reason)) ? body : undefined;
    }, '/health of A degraded, saying its feeds connection answers nothing');
    assert.equal((await health(portB)).status, 'serving', 'B is not affected');
    // Published on A once it knows: their appends wait for the new connection.
    await publishAll(onA, range(20, 25));

    await eventually(async () => ((await health(portA)).status === 'serving' ? true : undefined), 'A serving again on a new feeds connection');
    await cluster.a!.waitForLine((line) => line.level === 40 && /feeds connection to Redis answered nothing for \d+ ms \(2 x cluster\.redis\.command_timeout\): replacing it/.test(line.msg), 10_000);
    assert.ok(await metric(portA, 'junction_cluster_redis_reconnects_total{connection="feeds",reason="stalled"}') >= 1, 'the replacement is counted');
    assert.ok(await metric(portA, 'junction_cluster_redis_timeouts_total{command="read",connection="feeds"}') >= 1, 'the unanswered read is counted');
    assert.ok(await metric(portA, 'junction_cluster_redis_timeouts_total{command="append",connection="feeds"}') >= 1, 'appends of 10..14 went unanswered');
    assert.equal(await metric(portA, 'junction_cluster_redis_reconnects_total{connection="backplane",reason="stalled"}'), 0, 'only the feeds connection stalled');
    // The frozen connection was closed on Redis (CLIENT KILL): nothing it carried runs late.
    const feedsConnections = [...String(await cluster.inspector!.client('LIST')).matchAll(/ name=(junction-feeds:\S+)/g)].map((match) => match[1]!);
    assert.equal(feedsConnections.length, 2, `one feeds connection per node, the frozen one killed: ${feedsConnections.join(', ')}`);
    assert.ok(!cluster.b!.lines.some(leaseHeld), 'A kept the lease throughout');

    await publishAll(onA, range(25, 30));
    await publishAll(onB, range(30, 35));
    await appGetsEachOnce(app, range(0, 35), 'after the freeze');
    assert.equal(await metric(portA, 'junction_forwarder_refused_total{component="orders"}'), 0, 'no event refused on A');
  });

  it('with a lease shorter than the stall: B takes the lease over, and every event is still forwarded once', async () => {
    const { app, cluster, onA, onB } = await forwardingPair(1_000);
    freezeFeedsOfA(cluster);
    await publishAll(onA, range(10, 15)); // unanswered on A, sent again on its new connection
    await publishAll(onB, range(15, 20));
    await cluster.b!.waitForLine(leaseHeld, 10_000);
    await cluster.a!.waitForLine((line) => line.msg === 'lost the lease: this node stops running it', 5_000);
    await eventually(async () => ((await health(cluster.portA)).status === 'serving' ? true : undefined), 'A serving again on a new feeds connection');
    await publishAll(onA, range(20, 25));
    await publishAll(onB, range(25, 30));
    await appGetsEachOnce(app, range(0, 30), 'after the takeover');
  });

  it('a holder that loses its lease twice hands its outbox back to the new holder both times; each event forwarded once', async () => {
    // A's frozen connection is replaced about 3 s after the freeze, after its lease ran out (1.5 s) and
    // B took it; the longer timeout and lease keep the lease with B while two loaded cores slow it.
    const { app, cluster, onA } = await forwardingPair(1_500, 1_000);
    const handedBack = (line: LogLine): boolean => String(line.msg).startsWith('another node holds the forwarder lease: handed');
    const timesA = (match: (line: LogLine) => boolean): number => cluster.a!.lines.filter(match).length;
    for (const [loss, values] of [[1, range(10, 15)], [2, range(15, 20)]] as const) {
      // The app is down: the events wait in A's outbox, on its own disk, when A loses the lease.
      app.down = true;
      await publishAll(onA, values);
      await eventually(async () => {
        const status = await onA.session.call('junction.forwarder.orders.status') as { pending: number };
        return status.pending === values.length ? true : undefined;
      }, `A stored ${values.join(', ')} in its outbox`);
      const heldByB = cluster.b!.lines.filter(leaseHeld).length;
      freezeFeedsOfA(cluster);
      await waitFor(() => cluster.b!.lines.filter(leaseHeld).length > heldByB, `B takes the lease (loss ${loss})`, 10_000);
      await waitFor(() => timesA(handedBack) === loss, `A hands its outbox back (loss ${loss})`, 10_000);
      assert.equal(cluster.a!.lines.filter(handedBack)[loss - 1]!.handed, values.length);
      for (const gauge of ['junction_forwarder_pending', 'junction_forwarder_outbox_bytes']) {
        assert.equal(await metric(cluster.portA, `${gauge}{component="orders"}`), 0, `A, which lost the lease, does not report the outbox (${gauge})`);
      }
      app.down = false;
      await explainedByLogs(cluster, async () => {
        await appGetsEachOnce(app, range(0, values.at(-1)! + 1), `after loss ${loss}, from B while A does not hold the lease`);
        assert.equal(timesA(leaseHeld), loss, 'A did not hold the lease again meanwhile');
      });
      if (loss === 1) {
        // B dies, its lease runs out, A takes it again; then B comes back.
        cluster.b!.kill();
        await waitFor(() => timesA(leaseHeld) === 2, 'A holds the lease again', 10_000);
        await cluster.startB();
      }
    }
  });
});
