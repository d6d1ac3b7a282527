import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClusterConfig } from '../../config/model.js';
import type { Backplane } from '../../router/backplane.js';
import { MeshBackplane } from '../../router/backplane-mesh.js';
import type { Logger } from '../../router/log.js';
import { ipcFeeds } from './ipc-feeds.js';
import { ipcLink } from './ipc-link.js';
import type { ClusterFeeds } from './leased-feed.js';
import { RedisFeeds } from './redis-feeds.js';
import { RedisLink, redisAddress } from './redis-link.js';
import type { WorkerRole } from './worker.js';

/** What a node of a cluster is given: its backplane, and the leased feeds of its forwarders. */
export interface ClusterParts {
  backplane: Backplane;
  feeds: ClusterFeeds;
}

/**
 * The backplane this process joins: through Redis when the config has a `cluster` (each worker of
 * `--workers` is then a node of its own), else through the parent when it is a worker, else none.
 * Rejects when Redis does not answer at start.
 */
export async function startBackplane(cluster: ClusterConfig | undefined, worker: WorkerRole | undefined, log: Logger): Promise<ClusterParts | undefined> {
  if (!cluster) {
    if (!worker) return undefined;
    return { backplane: new MeshBackplane(worker.nodeId, ipcLink(worker.channel)), feeds: ipcFeeds(worker.channel, log.child({ part: 'cluster' })) };
  }
  const base = cluster.nodeId ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
  const nodeId = worker ? `${base}-${worker.nodeId}` : base;
  const link = new RedisLink({
    url: cluster.redisUrl, prefix: cluster.prefix, nodeId, heartbeatMs: cluster.heartbeatMs, leaseMs: cluster.leaseMs,
    log: log.child({ part: 'cluster' }),
  });
  try {
    await link.ready();
  } catch (error) {
    await link.close();
    throw error;
  }
  log.info({ node: nodeId, redis: redisAddress(cluster.redisUrl) }, 'joined the cluster');
  const feeds = new RedisFeeds({ url: cluster.redisUrl, prefix: cluster.prefix, nodeId, leaseMs: cluster.leaseMs, log: log.child({ part: 'cluster' }) });
  try {
    await feeds.ready();
  } catch (error) {
    await feeds.close();
    await link.close();
    throw error;
  }
  return { backplane: new MeshBackplane(nodeId, link), feeds };
}
