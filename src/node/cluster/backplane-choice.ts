import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClusterConfig } from '../../config/model.js';
import type { Backplane } from '../../router/backplane.js';
import { MeshBackplane } from '../../router/backplane-mesh.js';
import type { Logger } from '../../router/log.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import { ipcLink } from './ipc-link.js';
import { RedisLink } from './redis-link.js';
import type { WorkerRole } from './worker.js';

/**
 * The backplane this process joins: through Redis when the config has a `cluster` (each worker of
 * `--workers` is then a node of its own), else through the parent when it is a worker, else none.
 * When Redis does not answer at start, the node starts on its own and joins once it answers.
 * Its metrics go on `metrics`.
 */
export async function startBackplane(
  cluster: ClusterConfig | undefined, worker: WorkerRole | undefined, log: Logger, metrics: MetricsRegistry,
): Promise<Backplane | undefined> {
  if (!cluster) {
    if (!worker) return undefined;
    const link = ipcLink(worker.channel, { maxPendingBytes: worker.relayBufferBytes, log: log.child({ part: 'cluster' }) });
    return new MeshBackplane(worker.nodeId, link, metrics);
  }
  const base = cluster.nodeId ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
  const nodeId = worker ? `${base}-${worker.nodeId}` : base;
  const link = new RedisLink({
    url: cluster.redisUrl, prefix: cluster.prefix, nodeId, heartbeatMs: cluster.heartbeatMs, leaseMs: cluster.leaseMs,
    maxPendingBytes: cluster.maxPendingBytes, log: log.child({ part: 'cluster' }),
  });
  await link.ready();
  return new MeshBackplane(nodeId, link, metrics);
}
