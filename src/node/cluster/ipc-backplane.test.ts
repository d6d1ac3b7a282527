import assert from 'node:assert/strict';
import { backplaneConformance } from '../../../test/support/backplane-conformance.js';
import { channelPair } from '../../../test/support/ipc-channels.js';
import { MeshBackplane } from '../../router/backplane-mesh.js';
import { silentLogger } from '../../router/log.js';
import { batchedChannel } from './ipc-batch.js';
import { ipcLink } from './ipc-link.js';
import { IpcRelay } from './ipc-relay.js';

/**
 * The parent's relay and the workers' links, as `--workers` runs them, over in-process channels
 * that copy every message and deliver it later, in order, as Node's IPC does. The real processes
 * are tested through the CLI (test/e2e/workers.test.ts).
 */
backplaneConformance('IPC through the parent', () => {
  const relay = new IpcRelay({ maxQueuedBytes: 1 << 20, onOverflow: () => assert.fail('no worker here stops reading') });
  const nodes = new Map<string, { backplane: MeshBackplane; cut(): void }>();
  return {
    node: async (nodeId) => {
      const { parent, worker, cut } = channelPair();
      relay.add(nodeId, parent);
      const backplane = new MeshBackplane(nodeId, ipcLink(batchedChannel(worker), { maxPendingBytes: 1 << 20, log: silentLogger }));
      nodes.set(nodeId, { backplane, cut });
      return backplane;
    },
    kill: async (nodeId) => {
      nodes.get(nodeId)?.cut();
      nodes.delete(nodeId);
      relay.remove(nodeId);
    },
    close: async () => {
      for (const [nodeId, node] of nodes) {
        await node.backplane.close();
        relay.remove(nodeId);
      }
    },
  };
});
