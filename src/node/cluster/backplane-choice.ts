import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClusterConfig } from '../../config/model.js';
import type { Backplane } from '../../router/backplane.js';
import { MeshBackplane } from '../../router/backplane-mesh.js';
import type { Logger } from '../../router/log.js';
import { ipcLink } from './ipc-link.js';
import { RedisLink, redisAddress } from './redis-link.js';
import type { WorkerRole } from './worker.js';

/**
 * The backplane this process joins: through Redis when the config has a `cluster` (each worker of
 * `--workers` is then a node of its own), else through the parent when it is a worker, else none.
 * Rejects when Redis does not answer at start.
 */
export async function startBackplane(cluster: ClusterConfig | undefined, worker: WorkerRole | undefined, log: Logger): Promise<Backplane | undefined> {
  if (!cluster) return worker ? new MeshBackplane(worker.nodeId, ipcLink(worker.channel)) : undefined;
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
  return new MeshBackplane(nodeId, link);
}
