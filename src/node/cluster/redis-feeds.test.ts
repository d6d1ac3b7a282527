import { after, before } from 'node:test';
import { skipWithoutDebian } from '../../../test/support/debian.js';
import { leasedFeedConformance } from '../../../test/support/leased-feed-conformance.js';
import { RunningRedis } from '../../../test/support/redis-server.js';
import { silentLogger } from '../../router/log.js';
import { RedisFeeds } from './redis-feeds.js';

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
