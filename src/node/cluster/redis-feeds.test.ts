import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { skipWithoutDebian } from '../../../test/support/debian.js';
import { FreezingProxy } from '../../../test/support/freezing-proxy.js';
import { leasedFeedConformance } from '../../../test/support/leased-feed-conformance.js';
import { RunningRedis } from '../../../test/support/redis-server.js';
import { waitFor } from '../../../test/support/wait.js';
import { silentLogger } from '../../router/log.js';
import type { FeedEntry } from './leased-feed.js';
import { RedisFeeds } from './redis-feeds.js';
import { RedisTimeouts } from './redis-timeouts.js';

const skip = skipWithoutDebian('redis-server');
const leaseMs = 300;
let redis: RunningRedis | undefined;
let prefixes = 0;
before(async () => {
  if (!skip) redis = await RunningRedis.start();
});
after(() => redis?.stop());

leasedFeedConformance('Redis', () => {
  const prefix = `feeds${++prefixes}`; // each test its own cluster on the one Redis
  const nodes = new Map<string, RedisFeeds>();
  return {
    node: async (nodeId) => {
      const feeds = new RedisFeeds({ redis: { url: redis!.url }, prefix, nodeId, leaseMs, log: silentLogger, pollMs: 10 });
      nodes.set(nodeId, feeds);
      await feeds.ready();
      return feeds;
    },
    kill: async (nodeId) => {
      nodes.get(nodeId)?.vanish();
      nodes.delete(nodeId);
    },
    close: async () => {
      await Promise.all([...nodes.values()].map((feeds) => feeds.close()));
    },
  };
}, skip);

const entry = (publication: number): FeedEntry => ({ url: 'http://app/hook', topic: 't', publication, body: `{"n":${publication}}` });

describe('Redis feeds whose connection goes half-open (a frozen TCP proxy in front of the holder)', { skip }, () => {
  it('replace it; a batch stored whose removal went unanswered is not taken again, and an unanswered append is sent again', async () => {
    const proxy = await FreezingProxy.start(redis!.port);
    const options = { prefix: 'stalled', leaseMs: 10_000, log: silentLogger, pollMs: 10 };
    const holderNode = new RedisFeeds({ ...options, redis: { url: proxy.url }, nodeId: 'a', timeouts: new RedisTimeouts(silentLogger, 200) });
    const other = new RedisFeeds({ ...options, redis: { url: redis!.url }, nodeId: 'b' });
    try {
      await holderNode.ready();
      await other.ready();
      const limits = { messages: 100, bytes: 1_000_000 };
      const taken: number[] = [];
      let granted = false;
      let lost = 0;
      let storeFirst!: () => void;
      const firstStored = new Promise<void>((resolve) => (storeFirst = resolve));
      let takes = 0;
      const held = holderNode.feed('f', limits);
      held.run({
        granted: async () => void (granted = true),
        take: async (entries) => {
          if (++takes === 1) await firstStored;
          taken.push(...entries.map((one) => one.publication));
        },
        lost: async () => void lost++,
      });
      await waitFor(() => granted, 'a holds the lease', 5_000);
      const appender = other.feed('f', limits);
      assert.equal(await appender.append(entry(1)), undefined);
      await waitFor(() => takes === 1, 'a is storing 1', 5_000);

      assert.equal(proxy.freeze(/stalled:lease:f/), 1, 'the holder\'s connection frozen');
      storeFirst(); // stored: its removal goes into the frozen connection
      const appendedDuringStall = held.append(entry(2)); // unanswered too: sent again on the new connection
      await waitFor(() => holderNode.degraded !== undefined, 'the holder knows its connection stalled', 5_000);
      assert.match(holderNode.degraded!, /forwarders' feeds connection to Redis at 127\.0\.0\.1:\d+\/0 does not answer \(cluster\.redis\.command_timeout 200 ms\)/);
      assert.equal(await appender.append(entry(3)), undefined);
      assert.equal(await appendedDuringStall, undefined, 'the append made into the frozen connection is taken');
      await waitFor(() => holderNode.degraded === undefined && taken.length >= 3, 'a new connection, and 2 and 3 taken', 5_000);
      await new Promise((resolve) => setTimeout(resolve, 200)); // 1 read again would be taken now
      assert.deepEqual([...taken].sort(), [1, 2, 3], 'each once');
      assert.equal(lost, 0, 'the holder kept its lease throughout');
    } finally {
      await holderNode.close();
      await other.close();
      await proxy.close();
    }
  });
});

describe('a Redis feed\'s node that finds the lease held elsewhere', { skip }, () => {
  it('hands its outbox back each time: at start and after every lease it loses, once each', async () => {
    const inspector = new Redis(redis!.url);
    const node = new RedisFeeds({ redis: { url: redis!.url }, prefix: 'handback', nodeId: 'a', leaseMs, log: silentLogger, pollMs: 10 });
    const lease = 'handback:lease:f';
    const steps: string[] = [];
    const reached = (count: number, what: string): Promise<void> => waitFor(() => steps.length >= count, what, 5_000);
    try {
      await node.ready();
      await inspector.set(lease, 'b#1000', 'PX', 60_000);
      node.feed('f', { messages: 100, bytes: 1_000_000 }).run({
        granted: async () => void steps.push('granted'),
        take: async () => {},
        lost: async () => void steps.push('lost'),
        heldElsewhere: async () => void steps.push('elsewhere'),
      });
      await reached(1, 'b\'s lease met at start');
      for (let loss = 1; loss <= 2; loss++) {
        await inspector.del(lease);
        await reached(steps.length + 1, `a takes the lease (${loss})`);
        await inspector.set(lease, `b#${1000 + loss}`, 'PX', 60_000);
        await reached(steps.length + 2, `a loses it and finds it held by b (${loss})`);
      }
      await new Promise((resolve) => setTimeout(resolve, leaseMs)); // a few more tries at the lease
      assert.deepEqual(steps, ['elsewhere', 'granted', 'lost', 'elsewhere', 'granted', 'lost', 'elsewhere']);
    } finally {
      await node.close();
      inspector.disconnect();
    }
  });
});
