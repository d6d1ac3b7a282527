import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { ClusterFeeds, FeedEntry, FeedHolder, FeedLimits, LeasedFeed } from '../../src/node/cluster/leased-feed.js';
import { waitFor } from './wait.js';

/** Nodes with leased feeds, as one implementation builds them. */
export interface FeedsUnderTest {
  node(nodeId: string): Promise<ClusterFeeds>;
  /** The node dies without a word (its lease is not given back). */
  kill(nodeId: string): Promise<void>;
  close(): Promise<void>;
}

/** A node's feed with what its holder saw. */
interface Runner {
  feed: LeasedFeed;
  granted: number;
  lost: number;
  taken: number[];
}

const limits: FeedLimits = { messages: 50, bytes: 1_000_000 };
const entry = (publication: number): FeedEntry => ({ url: 'http://app/hook', topic: 't', publication, body: `{"n":${publication}}` });

/** What every leased-feed implementation must do (leased-feed.ts), run against each. */
export function leasedFeedConformance(name: string, build: () => FeedsUnderTest, skip: string | false = false): void {
  describe(`leased feed conformance: ${name}`, { skip }, () => {
    let cluster: FeedsUnderTest;
    afterEach(() => cluster?.close());

    async function runner(nodeId: string, feedName = 'f'): Promise<Runner> {
      const feeds = await cluster.node(nodeId);
      const feed = feeds.feed(feedName, limits);
      const runner: Runner = { feed, granted: 0, lost: 0, taken: [] };
      const holder: FeedHolder = {
        granted: async () => void runner.granted++,
        take: async (entries) => void runner.taken.push(...entries.map((taken) => taken.publication)),
        lost: async () => void runner.lost++,
      };
      feed.run(holder);
      return runner;
    }

    it('grants the lease to one node; what any node appends reaches it once, in each appender\'s order', async () => {
      cluster = build();
      const [a, b] = [await runner('a'), await runner('b')];
      await waitFor(() => a.granted + b.granted === 1, 'one node holds the lease', 5_000);
      for (let i = 1; i <= 10; i++) assert.equal(await (i % 2 ? a : b).feed.append(entry(i)), undefined);
      const holder = a.granted ? a : b;
      await waitFor(() => holder.taken.length === 10, 'the holder took all ten', 5_000);
      assert.deepEqual(holder.taken, [...Array(10).keys()].map((i) => i + 1));
      assert.equal(a.granted + b.granted, 1, 'still one holder');
      for (const asker of [a, b]) assert.equal(await asker.feed.holderNode(), holder === a ? 'a' : 'b', 'every node knows the holder');
    });

    it('hands the lease on when its holder dies; what it had not taken goes to the next holder', async () => {
      cluster = build();
      const a = await runner('a');
      await waitFor(() => a.granted === 1, 'a holds the lease', 5_000);
      const b = await runner('b');
      await cluster.kill('a');
      for (let i = 1; i <= 5; i++) assert.equal(await b.feed.append(entry(i)), undefined);
      await waitFor(() => b.granted === 1 && b.taken.length === 5, 'b took over and took all five', 10_000);
      assert.deepEqual(b.taken, [1, 2, 3, 4, 5]);
    });

    it('gives the lease up on close (the holder hears lost first), and the next node takes over', async () => {
      cluster = build();
      const a = await runner('a');
      await waitFor(() => a.granted === 1, 'a holds the lease', 5_000);
      const b = await runner('b');
      await a.feed.close();
      assert.equal(a.lost, 1);
      assert.equal(await b.feed.append(entry(7)), undefined);
      await waitFor(() => b.taken.includes(7), 'b took over', 10_000);
    });

    it('refuses appends past its limit while its holder takes nothing, saying why', async () => {
      cluster = build();
      const stuck = (await cluster.node('stuck')).feed('full', limits);
      let granted = false;
      let unstick!: () => void;
      const stuckTake = new Promise<void>((resolve) => (unstick = resolve));
      stuck.run({ granted: async () => void (granted = true), take: () => stuckTake, lost: async () => {} });
      await waitFor(() => granted, 'the stuck node holds the lease', 5_000);
      const feed = (await cluster.node('a')).feed('full', limits);
      const answers: (string | undefined)[] = [];
      for (let i = 1; i <= limits.messages + 1; i++) answers.push(await feed.append(entry(i)));
      assert.deepEqual(answers.slice(0, limits.messages), Array(limits.messages).fill(undefined));
      assert.match(String(answers.at(-1)), /holds 50 events no node has taken yet \(outbox_limit\)/);
      unstick();
      await feed.close();
    });
  });
}
