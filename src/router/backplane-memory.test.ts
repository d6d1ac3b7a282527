import { backplaneConformance, type ClusterUnderTest } from '../../test/support/backplane-conformance.js';
import { MemoryHub } from './backplane-memory.js';

/** A cluster on one hub; `latencyMs` as MemoryHub's. */
const onHub = (latencyMs?: number) => (): ClusterUnderTest => {
  const hub = new MemoryHub(latencyMs);
  const nodes = new Map<string, { close(): Promise<void> }>();
  return {
    node: async (nodeId) => {
      const node = hub.node(nodeId);
      nodes.set(nodeId, node);
      return node;
    },
    kill: async (nodeId) => {
      nodes.delete(nodeId);
      hub.kill(nodeId);
    },
    close: async () => {
      await Promise.all([...nodes.values()].map((node) => node.close()));
    },
  };
};

backplaneConformance('in-memory', onHub());
// As a loaded machine's Redis: several of sync's probes in flight, none to arrive after it.
backplaneConformance('in-memory, over a slow link', onHub(15));
