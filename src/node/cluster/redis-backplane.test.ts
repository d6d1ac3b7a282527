import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backplaneConformance } from '../../../test/support/backplane-conformance.js';
import { skipWithoutDebian } from '../../../test/support/debian.js';
import { RunningRedis } from '../../../test/support/redis-server.js';
import { MeshBackplane } from '../../router/backplane-mesh.js';
import type { RemotePublication } from '../../router/backplane.js';
import { silentLogger } from '../../router/log.js';
import { RedisLink } from './redis-link.js';

const skip = skipWithoutDebian('redis-server');
const heartbeatMs = 100;
const leaseMs = 400;
let redis: RunningRedis | undefined;
let prefixes = 0;

before(async () => {
  if (!skip) redis = await RunningRedis.start();
});
after(() => redis?.stop());

async function redisNode(nodeId: string, prefix: string): Promise<{ link: RedisLink; backplane: MeshBackplane }> {
  const link = new RedisLink({ url: redis!.url, nodeId, log: silentLogger, prefix, heartbeatMs, leaseMs });
  await link.ready();
  return { link, backplane: new MeshBackplane(nodeId, link) };
}

backplaneConformance('Redis', () => {
  // Each test its own cluster on the one Redis: a prefix of its own.
  const prefix = `test${++prefixes}`;
  const nodes = new Map<string, { link: RedisLink; backplane: MeshBackplane }>();
  return {
    node: async (nodeId) => {
      const node = await redisNode(nodeId, prefix);
      nodes.set(nodeId, node);
      return node.backplane;
    },
    kill: async (nodeId) => {
      nodes.get(nodeId)?.link.vanish();
      nodes.delete(nodeId);
      await new Promise((resolve) => setTimeout(resolve, leaseMs + 3 * heartbeatMs));
    },
    close: async () => {
      await Promise.all([...nodes.values()].map((node) => node.backplane.close()));
    },
  };
}, skip);

describe('Redis backplane: losing Redis', { skip }, () => {
  it('keeps each node going, then announces everything again once Redis is back', async () => {
    const prefix = `outage${++prefixes}`;
    const a = await redisNode('a', prefix);
    const b = await redisNode('b', prefix);
    const received: RemotePublication[] = [];
    const gone: string[] = [];
    a.backplane.attach({ deliver: () => {}, callTraffic: () => {}, nodeGone: (node) => void gone.push(node) });
    b.backplane.attach({ deliver: (p) => void received.push(p), callTraffic: () => {}, nodeGone: () => {} });
    b.backplane.announce({ realm: 'r', uri: 't', match: 'exact' }, true);
    const claimed = await b.backplane.claimProcedure({ realm: 'r', uri: 'com.one', match: 'exact' }, 'single');
    assert.equal(claimed.ok, true);
    const publishUntilReceived = async (): Promise<void> => {
      const deadline = Date.now() + 10_000;
      const before = received.length;
      while (received.length === before) {
        assert.ok(Date.now() < deadline, 'b never received the publication');
        a.backplane.publish({ realm: 'r', topic: 't', publication: 1, publisher: 1, origin: 'client', options: {}, details: {} });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await publishUntilReceived();

    await redis!.stop();
    await new Promise((resolve) => setTimeout(resolve, leaseMs + 3 * heartbeatMs));
    assert.equal(a.link.connected, false);
    assert.ok(gone.includes('b'), 'silent past its lease, b is forgotten');
    a.backplane.publish({ realm: 'r', topic: 't', publication: 2, publisher: 1, origin: 'client', options: {}, details: {} });
    assert.ok(a.link.dropped > 0, 'nothing queues while Redis is away');

    await redis!.restart(); // empty: every claim and subscription must come back from the nodes
    await publishUntilReceived();
    assert.equal(a.link.connected, true);
    const again = await a.backplane.claimProcedure({ realm: 'r', uri: 'com.one', match: 'exact' }, 'single');
    assert.deepEqual(again, { ok: false, heldAs: 'single' }, 'b claimed its procedure again');
    await a.backplane.close();
    await b.backplane.close();
  });
});
