import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEPARTED_KEEP_MS, DEPARTED_KEPT, departedNodes, grownOverNodes, type NodeLine } from './cluster-nodes.js';

const line = (node: string, messages: number): NodeLine => ({ node, messages_received: messages, events_sent: messages * 2 });

describe('grownOverNodes', () => {
  it('sums each node\'s growth over the nodes that answered both readings', () => {
    const before = [line('w1', 10), line('w2', 100), { node: 'w3', error: 'silent' }];
    const next = [line('w1', 15), line('w2', 130), line('w3', 9_000), line('w4', 50)];
    assert.equal(grownOverNodes(before, next, 'messages_received'), 35, 'w3 and w4 have no earlier reading');
    assert.equal(grownOverNodes(before, next, 'events_sent'), 70);
  });

  it('counts a restarted node (its counter went down) as no growth, not a negative one', () => {
    assert.equal(grownOverNodes([line('w1', 500)], [line('w1', 3)], 'messages_received'), 0);
  });
});

describe('departedNodes', () => {
  it('remembers a node that left with when it was last seen, and forgets it when it comes back', () => {
    const first = departedNodes(new Map(), { at: 1_000, nodes: [line('w1', 1), line('w2', 1)] }, [line('w1', 2)], 3_000);
    assert.deepEqual([...first], [['w2', 1_000]], 'last seen in the reading of 1,000');
    const still = departedNodes(first, { at: 3_000, nodes: [line('w1', 2)] }, [line('w1', 3)], 5_000);
    assert.deepEqual([...still], [['w2', 1_000]], 'still gone, still last seen at 1,000');
    assert.deepEqual([...departedNodes(still, { at: 5_000, nodes: [line('w1', 3)] }, [line('w1', 4), line('w2', 0)], 7_000)], []);
  });

  it('counts a silent node as present (it is shown as not answering), and forgets departed ones after a while, keeping the newest few', () => {
    assert.deepEqual([...departedNodes(new Map(), { at: 0, nodes: [line('w2', 1)] }, [{ node: 'w2', error: 'silent' }], 2_000)], []);
    assert.deepEqual([...departedNodes(new Map([['old', 0]]), undefined, [], DEPARTED_KEEP_MS + 1)], []);
    const many = new Map(Array.from({ length: DEPARTED_KEPT + 5 }, (_, index) => [`n${index}`, index] as [string, number]));
    const kept = departedNodes(many, undefined, [], 100);
    assert.equal(kept.size, DEPARTED_KEPT);
    assert.equal(kept.has(`n${DEPARTED_KEPT + 4}`), true, 'the newest kept');
    assert.equal(kept.has('n0'), false);
  });
});
