import { backplaneConformance } from '../../../test/support/backplane-conformance.js';
import { MeshBackplane } from '../../router/backplane-mesh.js';
import { channelPair } from '../../../test/support/ipc-channels.js';
import { ipcLink } from './ipc-link.js';
import { IpcRelay } from './ipc-relay.js';

/**
 * The parent's relay and the workers' links, as `--workers` runs them, over in-process channels
 * that copy every message and deliver it later, in order, as Node's IPC does. The real processes
 * are tested through the CLI (test/e2e/workers.test.ts).
 */
backplaneConformance('IPC through the parent', () => {
  const relay = new IpcRelay();
  const nodes = new Map<string, { backplane: MeshBackplane; cut(): void }>();
  return {
    node: async (nodeId) => {
      const { parent, worker, cut } = channelPair();
      relay.add(nodeId, parent);
      const backplane = new MeshBackplane(nodeId, ipcLink(worker));
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
