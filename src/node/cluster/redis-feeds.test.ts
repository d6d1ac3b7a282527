import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { skipWithoutDebian } from '../../../test/support/debian.js';
import { FreezingProxy } from '../../../test/support/freezing-proxy.js';
import { leasedFeedConformance } from '../../../test/support/leased-feed-conformance.js';
import { RunningRedis } from '../../../test/support/redis-server.js';
import { eventually, waitFor } from '../../../test/support/wait.js';
import { silentLogger } from '../../router/log.js';
import type { FeedEntry, FeedHolder, LeasedFeed } from './leased-feed.js';
import { RedisFeeds } from './redis-feeds.js';
import { RedisTimeouts } from './redis-timeouts.js';

const skip = skipWithoutDebian('redis-server');
const leaseMs = 300;
let redis: RunningRedis | undefined;
let prefixes = 0;
before(async () => {
  if (!skip) redis = await RunningRedis.start();
});
after(() => redis?.stop());

leasedFeedConformance('Redis', () => {
  const prefix = `feeds${++prefixes}`; // each test its own cluster on the one Redis
  const nodes = new Map<string, RedisFeeds>();
  return {
    node: async (nodeId) => {
      const feeds = new RedisFeeds({ redis: { url: redis!.url }, prefix, nodeId, leaseMs, log: silentLogger, pollMs: 10 });
      nodes.set(nodeId, feeds);
      await feeds.ready();
      return feeds;
    },
    kill: async (nodeId) => {
      nodes.get(nodeId)?.vanish();
      nodes.delete(nodeId);
    },
    close: async () => {
      await Promise.all([...nodes.values()].map((feeds) => feeds.close()));
    },
  };
}, skip);

const entry = (publication: number): FeedEntry => ({ url: 'http://app/hook', topic: 't', publication, body: `{"n":${publication}}` });

describe('Redis feeds whose connection goes half-open (a frozen TCP proxy in front of the holder)', { skip }, () => {
  it('replace it; a batch stored whose removal went unanswered is not taken again, and an unanswered append is sent again', async () => {
    const proxy = await FreezingProxy.start(redis!.port);
    const options = { prefix: 'stalled', leaseMs: 10_000, log: silentLogger, pollMs: 10 };
    const holderNode = new RedisFeeds({ ...options, redis: { url: proxy.url }, nodeId: 'a', timeouts: new RedisTimeouts(silentLogger, 200) });
    const other = new RedisFeeds({ ...options, redis: { url: redis!.url }, nodeId: 'b' });
    try {
      await holderNode.ready();
      await other.ready();
      const limits = { messages: 100, bytes: 1_000_000 };
      const taken: number[] = [];
      let granted = false;
      let lost = 0;
      let storeFirst!: () => void;
      const firstStored = new Promise<void>((resolve) => (storeFirst = resolve));
      let takes = 0;
      const held = holderNode.feed('f', limits);
      held.run({
        granted: async () => void (granted = true),
        take: async (entries) => {
          if (++takes === 1) await firstStored;
          taken.push(...entries.map((one) => one.publication));
        },
        lost: async () => void lost++,
      });
      await waitFor(() => granted, 'a holds the lease', 5_000);
      const appender = other.feed('f', limits);
      assert.equal(await appender.append(entry(1)), undefined);
      await waitFor(() => takes === 1, 'a is storing 1', 5_000);

      assert.equal(proxy.freeze(/stalled:lease:f/), 1, 'the holder\'s connection frozen');
      storeFirst(); // stored: its removal goes into the frozen connection
      const appendedDuringStall = held.append(entry(2)); // unanswered too: sent again on the new connection
      await waitFor(() => holderNode.degraded !== undefined, 'the holder knows its connection stalled', 5_000);
      assert.match(holderNode.degraded!, /forwarders' feeds connection to Redis at 127\.0\.0\.1:\d+\/0 does not answer \(cluster\.redis\.command_timeout 200 ms\)/);
      assert.equal(await appender.append(entry(3)), undefined);
      assert.equal(await appendedDuringStall, undefined, 'the append made into the frozen connection is taken');
      await waitFor(() => holderNode.degraded === undefined && taken.length >= 3, 'a new connection, and 2 and 3 taken', 5_000);
      await new Promise((resolve) => setTimeout(resolve, 200)); // 1 read again would be taken now
      assert.deepEqual([...taken].sort(), [1, 2, 3], 'each once');
      assert.equal(lost, 0, 'the holder kept its lease throughout');
    } finally {
      await holderNode.close();
      await other.close();
      await proxy.close();
    }
  });
});

describe('a Redis feed\'s node that finds the lease held elsewhere', { skip }, () => {
  it('hands its outbox back each time: at start and after every lease it loses, once each', async () => {
    const inspector = new Redis(redis!.url);
    const node = new RedisFeeds({ redis: { url: redis!.url }, prefix: 'handback', nodeId: 'a', leaseMs, log: silentLogger, pollMs: 10 });
    const lease = 'handback:lease:f';
    const steps: string[] = [];
    const reached = (count: number, what: string): Promise<void> => waitFor(() => steps.length >= count, what, 5_000);
    try {
      await node.ready();
      await inspector.set(lease, 'b#1000', 'PX', 60_000);
      node.feed('f', { messages: 100, bytes: 1_000_000 }).run({
        granted: async () => void steps.push('granted'),
        take: async () => {},
        lost: async () => void steps.push('lost'),
        heldElsewhere: async () => void steps.push('elsewhere'),
      });
      await reached(1, 'b\'s lease met at start');
      for (let loss = 1; loss <= 2; loss++) {
        await inspector.del(lease);
        await reached(steps.length + 1, `a takes the lease (${loss})`);
        await inspector.set(lease, `b#${1000 + loss}`, 'PX', 60_000);
        await reached(steps.length + 2, `a loses it and finds it held by b (${loss})`);
      }
      await new Promise((resolve) => setTimeout(resolve, leaseMs)); // a few more tries at the lease
      assert.deepEqual(steps, ['elsewhere', 'granted', 'lost', 'elsewhere', 'granted', 'lost', 'elsewhere']);
    } finally {
      await node.close();
      inspector.disconnect();
    }
  });
});

/**
 * A holder that keeps what it takes as an outbox would (`outbox`), and hands it back to `feed` when
 * the lease is found elsewhere. Its first take waits for `firstStored`: a test freezes the
 * connection meanwhile, so that the batch's removal from the stream goes unanswered.
 */
function outboxHolder(feed: LeasedFeed, firstStored = Promise.resolve()): { holder: FeedHolder; outbox: FeedEntry[]; granted: number; lost: number; handedBack: number; takes: number } {
  const state = {
    outbox: [] as FeedEntry[], granted: 0, lost: 0, handedBack: 0, takes: 0,
    holder: {
      granted: async () => void state.granted++,
      take: async (entries: FeedEntry[]) => {
        if (++state.takes === 1) await firstStored;
        state.outbox.push(...entries);
      },
      lost: async () => void state.lost++,
      heldElsewhere: async () => {
        for (const kept of state.outbox.splice(0)) {
          assert.equal(await feed.append(kept), undefined);
          state.handedBack++;
        }
      },
    } satisfies FeedHolder,
  };
  return state;
}

/** A promise `open()` resolves. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const publications = (entries: FeedEntry[]): number[] => entries.map((one) => one.publication).sort();

describe('Redis feeds: no entry twice when a connection is replaced with a command in doubt', { skip }, () => {
  const limits = { messages: 100, bytes: 1_000_000 };
  let proxy: FreezingProxy;
  let inspector: Redis;
  const nodes: RedisFeeds[] = [];
  /** Node a, whose feeds connection goes through the proxy, with a short command timeout. */
  const proxied = (prefix: string): RedisFeeds => node(new RedisFeeds({ redis: { url: proxy.url }, prefix, nodeId: 'a', leaseMs: 600, log: silentLogger, pollMs: 10, timeouts: new RedisTimeouts(silentLogger, 200) }));
  const direct = (prefix: string, nodeId: string): RedisFeeds => node(new RedisFeeds({ redis: { url: redis!.url }, prefix, nodeId, leaseMs: 600, log: silentLogger, pollMs: 10 }));
  function node(feeds: RedisFeeds): RedisFeeds {
    nodes.push(feeds);
    return feeds;
  }
  before(async () => {
    if (skip) return;
    proxy = await FreezingProxy.start(redis!.port);
    inspector = new Redis(redis!.url);
  });
  afterEach(async () => {
    for (const feeds of nodes.splice(0)) await feeds.close();
  });
  after(async () => {
    inspector?.disconnect();
    await proxy?.close();
  });

  it('an append whose answer was lost, sent again on the new connection, is in the feed once', async () => {
    const appender = proxied('resent');
    const reader = direct('resent', 'b');
    await appender.ready();
    await reader.ready();
    const read = reader.feed('f', limits);
    const taken = outboxHolder(read);
    read.run(taken.holder);
    await waitFor(() => taken.granted === 1, 'b holds the lease', 5_000);
    const feed = appender.feed('f', limits);
    assert.equal(proxy.holdAnswers(/junction-feeds:a:/), 1, 'a\'s connection: commands reach Redis, answers do not come back');
    // It runs in Redis; its answer is lost with the connection, so it is sent again on the new one.
    assert.equal(await feed.append(entry(1)), undefined);
    assert.equal(await feed.append(entry(2)), undefined);
    await waitFor(() => taken.outbox.length >= 2, 'b takes 1 and 2', 5_000);
    await new Promise((resolve) => setTimeout(resolve, 200)); // a second 1 would be taken now
    assert.deepEqual(publications(taken.outbox), [1, 2], 'each once');
    assert.equal(await inspector.get('resent:feed-bytes:f'), '0', 'the feed counts no bytes it does not hold');
  });

  it('an outbox handed back by its node started again under another name: what it took is taken again, once', async () => {
    const a = direct('restarted', 'a');
    await a.ready();
    const feedOfA = a.feed('f', limits);
    const onA = outboxHolder(feedOfA);
    feedOfA.run(onA.holder);
    await waitFor(() => onA.granted === 1, 'a holds the lease', 5_000);
    assert.equal(await feedOfA.append(entry(1)), undefined);
    await eventually(async () => (onA.outbox.length === 1 && (await inspector.xlen('restarted:feed:f')) === 0 ? true : undefined), 'a stored 1 and removed it from the feed');
    a.vanish(); // dies with 1 in its outbox
    nodes.splice(nodes.indexOf(a), 1);
    const b = direct('restarted', 'b');
    const feedOfB = b.feed('f', limits);
    const onB = outboxHolder(feedOfB);
    feedOfB.run(onB.holder);
    await waitFor(() => onB.granted === 1, 'b takes the lease once a\'s runs out', 5_000);
    // a's disk, under a name of its own (node_id left out: a new suffix at each start).
    const again = direct('restarted', 'a-again');
    const feedOfAgain = again.feed('f', limits);
    const onAgain = outboxHolder(feedOfAgain);
    onAgain.outbox.push(...onA.outbox);
    feedOfAgain.run(onAgain.holder);
    await waitFor(() => onAgain.handedBack === 1 && onB.outbox.length === 1, 'a hands 1 back, and b takes it', 5_000);
    await new Promise((resolve) => setTimeout(resolve, 200)); // a second 1 would be taken now
    assert.deepEqual(publications([...onAgain.outbox, ...onB.outbox]), [1], 'held once, by b');
  });

  /** Node a (through the proxy) holds the lease and is storing 1, appended by node b, until `storing.open()`. */
  async function aStoringOne(prefix: string): Promise<{ a: RedisFeeds; onA: ReturnType<typeof outboxHolder>; storing: ReturnType<typeof gate>; b: RedisFeeds; feedOfB: LeasedFeed }> {
    const [a, b] = [proxied(prefix), direct(prefix, 'b')];
    await a.ready();
    await b.ready();
    const feed = a.feed('f', limits);
    const storing = gate();
    const onA = outboxHolder(feed, storing.opened);
    feed.run(onA.holder);
    await waitFor(() => onA.granted === 1, 'a holds the lease', 5_000);
    const feedOfB = b.feed('f', limits);
    assert.equal(await feedOfB.append(entry(1)), undefined);
    await waitFor(() => onA.takes === 1, 'a is storing 1', 5_000);
    return { a, onA, storing, b, feedOfB };
  }

  it('a batch stored whose removal went unanswered, the lease moved: handed back, it is recognized as the feed\'s and taken once', async () => {
    const { onA, storing, feedOfB } = await aStoringOne('moved');
    const onB = outboxHolder(feedOfB);
    feedOfB.run(onB.holder);
    assert.equal(proxy.freeze(/moved:lease:f/), 1, 'a\'s connection frozen');
    storing.open(); // stored in a's outbox: its removal goes into the frozen connection
    await inspector.del('moved:lease:f'); // a's lease runs out while it cannot renew it
    await waitFor(() => onB.granted === 1 && onB.outbox.length === 1, 'b takes the lease, and 1 from the stream', 5_000);
    await waitFor(() => onA.lost === 1 && onA.handedBack === 1, 'a, on a new connection, loses the lease and hands its outbox back', 5_000);
    await new Promise((resolve) => setTimeout(resolve, 300)); // 1 handed back into the feed would be taken by b now
    assert.deepEqual(publications([...onA.outbox, ...onB.outbox]), [1], 'held once, by b');
  });

  it('a batch stored whose removal went unanswered, the lease lost and taken again by the same node: not read again', async () => {
    const { onA, storing } = await aStoringOne('retaken');
    assert.equal(proxy.freeze(/retaken:lease:f/), 1, 'a\'s connection frozen');
    storing.open();
    await inspector.del('retaken:lease:f');
    await waitFor(() => onA.lost === 1 && onA.granted === 2, 'a, on a new connection, loses the lease and takes it again', 5_000);
    await eventually(async () => ((await inspector.xlen('retaken:feed:f')) === 0 ? true : undefined), 'the stored batch left the feed');
    await new Promise((resolve) => setTimeout(resolve, 200)); // 1 read again would be taken now
    assert.deepEqual(publications(onA.outbox), [1], 'taken once');
    assert.equal(onA.handedBack, 0, 'no other node held the lease');
  });

  it('a batch stored while its holder, cut off and the lease moved, was already asked to hand its outbox back: read again, not lost', async () => {
    const { a, onA, storing, b, feedOfB } = await aStoringOne('raced');
    assert.equal(proxy.freeze(/raced:lease:f/), 1, 'a\'s connection frozen');
    await inspector.del('raced:lease:f');
    const onB = outboxHolder(feedOfB, new Promise(() => {})); // b reads 1 and never stores it
    feedOfB.run(onB.holder);
    await waitFor(() => onB.granted === 1 && onB.takes === 1, 'b takes the lease, and reads 1', 5_000);
    await waitFor(() => a.degraded !== undefined, 'a knows its connection stalled', 5_000);
    await waitFor(() => a.degraded === undefined, 'a new connection', 5_000);
    // a finds the lease b's (its tries every 200 ms): the handback is asked for, and waits behind the storing of 1.
    await new Promise((resolve) => setTimeout(resolve, 700));
    storing.open(); // 1 stored, then handed back: the feed still has it, so it leaves a's outbox
    await waitFor(() => onA.handedBack === 1 && onA.outbox.length === 0, 'a hands 1 back: the feed has it', 5_000);
    b.vanish();
    nodes.splice(nodes.indexOf(b), 1);
    await waitFor(() => onA.granted === 2, 'a takes the lease again once b\'s runs out', 5_000);
    await waitFor(() => onA.outbox.length === 1, 'a reads 1 again', 5_000);
    assert.deepEqual(publications(onA.outbox), [1]);
  });

  it('a removal whose answer was lost, sent again, counts its bytes off the feed once', async () => {
    const { a, onA, storing, feedOfB } = await aStoringOne('removed');
    assert.equal(proxy.holdAnswers(/removed:lease:f/), 1, 'a\'s connection: commands reach Redis, answers do not come back');
    storing.open(); // the removal runs, its answer is lost: sent again on the new connection
    await waitFor(() => a.degraded !== undefined, 'a knows its connection stalled', 5_000);
    await waitFor(() => a.degraded === undefined, 'a new connection', 5_000);
    assert.equal(await feedOfB.append(entry(2)), undefined);
    await waitFor(() => onA.outbox.length === 2, 'a takes 2', 5_000);
    await eventually(async () => ((await inspector.xlen('removed:feed:f')) === 0 ? true : undefined), 'both removed');
    assert.equal(await inspector.get('removed:feed-bytes:f'), '0', 'the feed counts no bytes it does not hold');
    assert.deepEqual(publications(onA.outbox), [1, 2]);
  });
});
