import assert from 'node:assert/strict';
import { channelPair } from '../../../test/support/ipc-channels.js';
import { leasedFeedConformance } from '../../../test/support/leased-feed-conformance.js';
import { silentLogger } from '../../router/log.js';
import { batchedChannel } from './ipc-batch.js';
import { ipcFeeds } from './ipc-feeds.js';
import { IpcRelay } from './ipc-relay.js';
import type { ClusterFeeds } from './leased-feed.js';

/** The parent's feed relay and the workers' feeds, as --workers runs them, over in-process channels. */
leasedFeedConformance('IPC through the parent', () => {
  const relay = new IpcRelay({ maxQueuedBytes: 64 << 20, onOverflow: () => assert.fail('no worker here stops reading') });
  const nodes = new Map<string, { feeds: ClusterFeeds; cut(): void }>();
  return {
    node: async (nodeId) => {
      const { parent, worker, cut } = channelPair();
      relay.add(nodeId, parent);
      const feeds = ipcFeeds(batchedChannel(worker), silentLogger);
      nodes.set(nodeId, { feeds, cut });
      return feeds;
    },
    kill: async (nodeId) => {
      nodes.get(nodeId)?.cut();
      nodes.delete(nodeId);
      relay.remove(nodeId); // the parent sees the worker exit
    },
    close: async () => {
      for (const [nodeId, node] of nodes) {
        await node.feeds.close();
        relay.remove(nodeId);
      }
    },
  };
});
