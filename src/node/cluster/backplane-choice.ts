import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClusterConfig } from '../../config/model.js';
import type { Backplane } from '../../router/backplane.js';
import { MeshBackplane } from '../../router/backplane-mesh.js';
import type { Logger } from '../../router/log.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import { ipcFeeds } from './ipc-feeds.js';
import { ipcLink } from './ipc-link.js';
import type { ClusterFeeds } from './leased-feed.js';
import { RedisFeeds } from './redis-feeds.js';
import { RedisTimeouts } from './redis-timeouts.js';
import { RedisLink } from './redis-link.js';
import type { WorkerRole } from './worker.js';

/** What a node of a cluster is given: its backplane, and the leased feeds of its forwarders. */
export interface ClusterParts {
  backplane: Backplane;
  feeds: ClusterFeeds;
}

/**
 * A node's name in a Redis cluster (docs/cluster.md says the same): the configured `node_id`, else
 * the host name and a random suffix drawn by this process at each start; a worker of `--workers`
 * adds its own name, so `n1-w2`, `myhost-3f9a1c-w2` (each worker draws its own suffix).
 */
export function redisNodeId(configured: string | undefined, worker: string | undefined, suffix = randomBytes(3).toString('hex')): string {
  const base = configured ?? `${hostname()}-${suffix}`;
  return worker === undefined ? base : `${base}-${worker}`;
}

/**
 * The backplane this process joins: through Redis when the config has a `cluster` (each worker of
 * `--workers` is then a node of its own), else through the parent when it is a worker, else none.
 * When Redis does not answer at start, the node starts on its own and joins once it answers.
 * Its metrics go on `metrics`.
 */
export async function startBackplane(
  cluster: ClusterConfig | undefined, worker: WorkerRole | undefined, log: Logger, metrics: MetricsRegistry,
): Promise<ClusterParts | undefined> {
  if (!cluster) {
    if (!worker) return undefined;
    const link = ipcLink(worker.channel, { maxPendingBytes: worker.relayBufferBytes, log: log.child({ part: 'cluster' }) });
    return { backplane: new MeshBackplane(worker.nodeId, link, metrics), feeds: ipcFeeds(worker.channel, log.child({ part: 'cluster' })) };
  }
  const nodeId = redisNodeId(cluster.nodeId, worker?.nodeId);
  const timeouts = new RedisTimeouts(log.child({ part: 'cluster' }), cluster.commandTimeoutMs, metrics);
  const link = new RedisLink({
    redis: cluster.redis, prefix: cluster.prefix, nodeId, heartbeatMs: cluster.heartbeatMs, leaseMs: cluster.leaseMs,
    maxPendingBytes: cluster.maxPendingBytes, log: log.child({ part: 'cluster' }), timeouts,
  });
  const feeds = new RedisFeeds({ redis: cluster.redis, prefix: cluster.prefix, nodeId, leaseMs: cluster.leaseMs, log: log.child({ part: 'cluster' }), timeouts });
  // A node that starts while Redis is away serves alone; its feeds' connection comes up with Redis
  // (appends before that are refused and counted, as during any outage).
  if (await link.ready()) {
    try {
      await feeds.ready();
    } catch (error) {
      await feeds.close();
      await link.close();
      throw error;
    }
  }
  return { backplane: new MeshBackplane(nodeId, link, metrics), feeds };
}
