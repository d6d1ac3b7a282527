import type { Logger } from '../../router/log.js';
import type { ParentChannel } from './ipc-link.js';
import { isJunctionMessage, type ParentToWorker } from './ipc-messages.js';
import { RETRY_MS, type ClusterFeeds, type FeedHolder, type FeedLimits, type LeasedFeed } from './leased-feed.js';

/** A worker's leased feeds through its parent (ipc-feed-relay.ts): the parent grants the leases and holds the feeds. */
export function ipcFeeds(channel: ParentChannel, log: Logger): ClusterFeeds {
  const holders = new Map<string, (message: Extract<ParentToWorker, { junction: 'feed-lease' | 'feed-entries' }>) => void>();
  const appends = new Map<number, (refused: string | undefined) => void>();
  const holderNodes = new Map<string, string | undefined>();
  let lastAppend = 0;
  const listener = (raw: unknown): void => {
    if (isJunctionMessage<Extract<ParentToWorker, { junction: 'feed-appended' }>>(raw, 'feed-appended')) {
      appends.get(raw.id)?.(raw.refused);
      appends.delete(raw.id);
    } else if (isJunctionMessage<Extract<ParentToWorker, { junction: 'feed-holder' }>>(raw, 'feed-holder')) {
      holderNodes.set(raw.feed, raw.node);
    } else if (isJunctionMessage<Extract<ParentToWorker, { junction: 'feed-lease' }>>(raw, 'feed-lease')
      || isJunctionMessage<Extract<ParentToWorker, { junction: 'feed-entries' }>>(raw, 'feed-entries')) {
      holders.get(raw.feed)?.(raw);
    }
  };
  channel.on('message', listener);

  return {
    async close() {
      channel.off('message', listener);
      for (const resolve of appends.values()) resolve('the node is stopping');
      appends.clear();
    },
    feed(name: string, limits: FeedLimits): LeasedFeed {
      let holder: FeedHolder | undefined;
      let holding = false;
      let closed = false;
      // The holder's calls run one at a time, in the order the parent sent what causes them.
      let work: Promise<void> = Promise.resolve();
      const then = (step: () => Promise<void>): void => {
        work = work.then(step).catch((error: unknown) => log.error({ feed: name, err: error }, 'feed holder failed'));
      };
      holders.set(name, (message) => {
        if (!holder) return;
        const running = holder;
        if (message.junction === 'feed-lease') {
          holding = true;
          then(() => running.granted());
          return;
        }
        then(async () => {
          // The parent hands on nothing else until this batch is acknowledged: try until it is stored.
          for (;;) {
            try {
              await running.take(message.entries);
              break;
            } catch (error) {
              if (closed) throw error;
              log.error({ feed: name, err: error }, 'the feed holder could not store a batch; trying again');
              await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
            }
          }
          // Even while closing: they are in this node's outbox now, and must not be handed on again.
          channel.send({ junction: 'feed-ack', feed: name, upTo: message.upTo });
        });
      });
      return {
        append(entry) {
          if (closed) return Promise.resolve(`"${name}" is stopping`);
          const id = ++lastAppend;
          return new Promise((resolve) => {
            appends.set(id, resolve);
            channel.send({ junction: 'feed-append', feed: name, id, entry });
          });
        },
        holderNode: async () => holderNodes.get(name),
        run(running) {
          holder = running;
          channel.send({ junction: 'feed-join', feed: name, limits });
        },
        async close() {
          if (closed) return;
          closed = true;
          holders.delete(name);
          // Lost first: what the holder took is in its outbox before the parent hands the lease on.
          if (holding && holder) {
            const running = holder;
            then(() => running.lost());
          }
          await work;
          channel.send({ junction: 'feed-leave', feed: name });
        },
      };
    },
  };
}
