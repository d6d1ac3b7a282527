import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { LogLine } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { ProxiedCluster } from '../support/proxied-cluster.js';

/**
 * In a cluster only the node holding a forwarder's lease delivers, but every node runs the
 * forwarder and exports its gauges from its start: a scrape that reaches another node (or the
 * holder before it took the lease) finds them, at 0. metrics-doc-live.test.ts once missed
 * junction_forwarder_oldest_age_seconds under load, when it was registered with the lease only.
 */

const skip = skipWithoutDebian('redis-server');
const clusters: ProxiedCluster[] = [];
after(async () => {
  for (const cluster of clusters) await cluster.stop();
});

const leaseHeld = (line: LogLine): boolean => line.msg === 'forwarder lease held: this node delivers its events';

describe('a forwarder\'s gauges on a cluster node that does not hold its lease', { skip, timeout: 120_000 }, () => {
  it('are exported, at 0', async () => {
    // Nothing listens on the discard port: nothing is published, so nothing is delivered.
    const forwarder = {
      type: 'class', id: 'orders', classname: 'crossbar.bridge.rest.MessageForwarder', realm: 'realm1',
      extra: { subscriptions: [{ topic: 'shop.order', url: 'http://127.0.0.1:9/hook' }] },
    };
    const cluster = new ProxiedCluster();
    clusters.push(cluster);
    // A takes the lease before B starts, and keeps it (renewed every third of a minute-long lease).
    await cluster.start({ commandTimeoutMs: 5_000, leaseMs: 60_000, components: [forwarder], afterA: async (a) => void await a.started(leaseHeld) });
    await cluster.b!.url(); // B serves its paths
    const exported = await (await fetch(`http://127.0.0.1:${cluster.portB}/metrics`)).text();
    assert.ok(!cluster.b!.lines.some(leaseHeld), 'B does not hold the lease');
    for (const gauge of ['junction_forwarder_pending', 'junction_forwarder_outbox_bytes', 'junction_forwarder_oldest_age_seconds']) {
      assert.match(exported, new RegExp(`^${gauge}\\{component="orders"\\} 0$`, 'm'), `B exports ${gauge}`);
    }
  });
});
