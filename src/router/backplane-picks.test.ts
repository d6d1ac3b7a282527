import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcedureSummaries, ProcedureSummary } from './backplane.js';
import { nodeForCall } from './backplane-picks.js';
import type { Registration } from './dealer/registration.js';
import type { Session } from './session.js';

/** The other nodes' summaries, in name order as the backplane keeps them. */
function summaries(byNode: Record<string, ProcedureSummary>): ProcedureSummaries {
  return { byNode: new Map(Object.entries(byNode).sort(([a], [b]) => (a < b ? -1 : 1))), turn: 0 };
}

/** A local registration with `callees` callees. */
function local(invoke: Registration['invoke'], callees: number): Registration {
  return {
    id: 1, uri: 'p', match: 'exact', invoke, created: '', callees: Array.from({ length: callees }, () => ({}) as Session), next: 0,
    discloseCaller: false, clustered: true, tickets: new Map(),
  };
}

const rr = (callees: number): ProcedureSummary => ({ invoke: 'roundrobin', callees });
const random = (callees: number): ProcedureSummary => ({ invoke: 'random', callees });
const never = (): number => assert.fail('roundrobin draws nothing');

describe('nodeForCall: which node serves a call to a shared registration', () => {
  it('roundrobin walks the cluster\'s callees node by node in name order, this node\'s in its place', () => {
    const remote = summaries({ c: rr(2), a: rr(1) });
    const picks = Array.from({ length: 12 }, () => nodeForCall(remote, 'b', local('roundrobin', 3), never) ?? 'b (here)');
    assert.deepEqual(picks.slice(0, 6), ['a', 'b (here)', 'b (here)', 'b (here)', 'c', 'c']);
    assert.deepEqual(picks.slice(6), picks.slice(0, 6), 'and again');
    const last = summaries({ a: rr(1) });
    assert.deepEqual(Array.from({ length: 3 }, () => nodeForCall(last, 'z', local('roundrobin', 2), never)), ['a', undefined, undefined],
      'a node that sorts last has the last slots');
  });

  it('roundrobin without a local registration goes over the other nodes only; nothing to pick without counts', () => {
    const remote = summaries({ b: rr(1), c: rr(3) });
    assert.deepEqual(Array.from({ length: 8 }, () => nodeForCall(remote, 'a', undefined, never)), ['b', 'c', 'c', 'c', 'b', 'c', 'c', 'c']);
    assert.equal(nodeForCall(summaries({ b: rr(0) }), 'a', undefined, never), undefined);
  });

  it('keeps its turn within the cluster\'s callees when their count shrinks', () => {
    const remote = summaries({ b: rr(5) });
    remote.turn = 4;
    (remote.byNode as Map<string, ProcedureSummary>).set('b', rr(1));
    assert.equal(nodeForCall(remote, 'a', local('roundrobin', 1), never), undefined, 'slot 4 % 2 = 0: this node\'s (a sorts first)');
    assert.equal(nodeForCall(remote, 'a', local('roundrobin', 1), never), 'b');
    assert.equal(remote.turn, 2);
  });

  it('random draws one of the cluster\'s callees uniformly: a node as often as it has callees', () => {
    const remote = summaries({ a: random(1), c: random(3) });
    const at = (x: number): string | undefined => nodeForCall(remote, 'b', local('random', 2), () => x);
    // 6 callees: a's 1 slot, then b's (here) 2, then c's 3.
    assert.deepEqual([0, 0.16, 0.17, 0.49, 0.5, 0.99].map(at), ['a', 'a', undefined, undefined, 'c', 'c']);
  });

  it('first/last: the node with the cluster\'s first (last) callee, unless this node\'s comes first (last)', () => {
    const ranked = summaries({ b: { invoke: 'first', first: 5, last: 9 }, c: { invoke: 'first', first: 3, last: 4 } });
    assert.equal(nodeForCall(ranked, 'a', undefined, never), 'c');
    const here = local('first', 1);
    here.tickets!.set(here.callees[0]!, 2);
    assert.equal(nodeForCall(ranked, 'a', here, never), undefined);
  });

  it('single: never another node\'s pick', () => {
    assert.equal(nodeForCall(summaries({ b: rr(1) }), 'a', local('single', 1), never), undefined);
  });
});
