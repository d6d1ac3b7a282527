import { backplaneConformance } from '../../test/support/backplane-conformance.js';
import { MemoryHub } from './backplane-memory.js';

backplaneConformance('in-memory', () => {
  const hub = new MemoryHub();
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
});
