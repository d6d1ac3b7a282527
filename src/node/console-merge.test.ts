import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Listing } from '../router/meta/inventory.js';
import { mergeListings, mergeStats, type NodePart } from './console-merge.js';

function listing(node: string, count: number, total = count): NodePart<Listing> {
  const items = Array.from({ length: count }, (_, index) => ({ session: index + 1, authid: `${node}-${index + 1}` }));
  return { node, answer: { total, truncated: count < total, items } };
}

describe('mergeListings', () => {
  it('lists every node\'s items, each naming its node, with the cluster\'s and each node\'s totals', () => {
    const merged = mergeListings([listing('w2', 2), listing('w1', 1)], 1000, 1 << 20);
    assert.deepEqual(merged.items.map((item) => `${String(item.node)}:${String(item.authid)}`), ['w1:w1-1', 'w2:w2-1', 'w2:w2-2']);
    assert.equal(merged.total, 3);
    assert.equal(merged.truncated, false);
    assert.deepEqual(merged.nodes, [
      { node: 'w1', total: 1, shown: 1, truncated: false },
      { node: 'w2', total: 2, shown: 2, truncated: false },
    ]);
  });

  it('takes turns over the nodes within the limit, so a large node does not crowd out a small one', () => {
    const merged = mergeListings([listing('big', 500), listing('small', 3)], 10, 1 << 20);
    assert.equal(merged.items.length, 10);
    assert.equal(merged.items.filter((item) => item.node === 'small').length, 3);
    assert.equal(merged.total, 503);
    assert.equal(merged.truncated, true);
    assert.deepEqual(merged.nodes, [
      { node: 'big', total: 500, shown: 7, truncated: true },
      { node: 'small', total: 3, shown: 3, truncated: false },
    ]);
  });

  it('counts a node\'s items beyond what it sent (its own listing was cut) as not shown', () => {
    const merged = mergeListings([listing('w1', 2, 1500)], 1000, 1 << 20);
    assert.equal(merged.total, 1500);
    assert.equal(merged.truncated, true);
    assert.deepEqual(merged.nodes, [{ node: 'w1', total: 1500, shown: 2, truncated: true }]);
  });

  it('stops at the byte bound of the whole answer, but always gives the first item', () => {
    const long = (node: string): NodePart<Listing> => ({ node, answer: { total: 3, truncated: false, items: [1, 2, 3].map((n) => ({ uri: 'x'.repeat(400), n })) } });
    const merged = mergeListings([long('a'), long('b')], 1000, 1000);
    assert.equal(merged.items.length, 2, 'two items of about 430 bytes fit in 1,000');
    assert.equal(merged.truncated, true);
    const tiny = mergeListings([long('a')], 1000, 10);
    assert.equal(tiny.items.length, 1);
  });

  it('names a node that did not answer, with why, and counts only those that did', () => {
    const merged = mergeListings([listing('w1', 2), { node: 'w3', error: 'router node "w3" did not answer within 2000 ms' }], 1000, 1 << 20);
    assert.equal(merged.total, 2);
    assert.equal(merged.truncated, false);
    assert.deepEqual(merged.nodes[1], { node: 'w3', error: 'router node "w3" did not answer within 2000 ms' });
  });

  it('orders nodes by name with numbers read as numbers (w2 before w10)', () => {
    const merged = mergeListings([listing('w10', 1), listing('w2', 1)], 1000, 1 << 20);
    assert.deepEqual(merged.nodes.map((node) => node.node), ['w2', 'w10']);
  });
});

describe('mergeStats', () => {
  const stats = (sessions: number, rss: number) => ({
    version: '1.0.0', uptime_seconds: 5, sessions, subscriptions: 1, registrations: 2, messages_received: 10, publications: 3,
    events_sent: 4, calls: 5, memory: { rss, heap_used: rss / 2, heap_total: rss }, event_loop_delay_ms: { mean: 1, p99: 2, max: 3 },
    forwarders: [], now: 'x',
  });

  it('gives each node\'s figures and the sums over the nodes that answered', () => {
    const merged = mergeStats([{ node: 'w2', answer: stats(3, 200) }, { node: 'w1', answer: stats(2, 100) }, { node: 'w3', error: 'gone' }]);
    assert.deepEqual(merged.nodes.map((node) => node.node), ['w1', 'w2', 'w3']);
    assert.equal(merged.nodes[0]!.sessions, 2);
    assert.deepEqual(merged.nodes[0]!.event_loop_delay_ms, { mean: 1, p99: 2, max: 3 });
    assert.equal(merged.nodes[0]!.forwarders, undefined, 'only the per-node figures');
    assert.deepEqual(merged.nodes[2], { node: 'w3', error: 'gone' });
    assert.deepEqual(merged.totals, {
      answered: 2, of: 3, rss: 300, heap_used: 150, sessions: 5, subscriptions: 2, registrations: 4, messages_received: 20,
      publications: 6, events_sent: 8, calls: 10,
    });
  });
});
