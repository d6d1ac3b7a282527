import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AskError } from '../router/backplane-asks.js';
import type { Backplane } from '../router/backplane.js';
import { questionTimeoutMs } from '../router/backplane-questions.js';
import { ConsoleCluster, FreshShared } from './console-cluster.js';

/** A backplane with the ask/serve half only: `replies` says how each other node answers. */
function fakeBackplane(replies: Record<string, (body: unknown) => Promise<unknown>>) {
  const served = new Map<string, (body: unknown, from: string) => Promise<unknown>>();
  const asked: { node: string; channel: string; timeoutMs: number }[] = [];
  const backplane = {
    nodeId: 'w1',
    peers: () => Object.keys(replies),
    ask: (node: string, channel: string, body: unknown, timeoutMs: number) => {
      asked.push({ node, channel, timeoutMs });
      return replies[node]!(body);
    },
    serve: (channel: string, handler: (body: unknown, from: string) => Promise<unknown>) => {
      served.set(channel, handler);
      return () => served.delete(channel);
    },
  } as unknown as Backplane;
  return { backplane, served, asked };
}

const own = { listing: () => ({ total: 1, truncated: false, items: [{ session: 1 }] }), stats: () => ({ sessions: 1 }) };

describe('ConsoleCluster', () => {
  it('asks every other node on the realm\'s channel within the cluster\'s question time, and says why a node gave no answer', async () => {
    const { backplane, asked } = fakeBackplane({
      w2: async (body) => ({ total: 1, truncated: false, items: [{ session: 2, asked: body }] }),
      w3: () => Promise.reject(new AskError('timeout', 'router node "w3" did not answer within 2000 ms')),
      w4: () => Promise.reject(new AskError('unserved', 'nothing answers "console:realm1" on the router node asked')),
    });
    const cluster = new ConsoleCluster(backplane, 'realm1', own);
    const parts = await cluster.listings('sessions');
    assert.deepEqual(parts, [
      { node: 'w1', answer: { total: 1, truncated: false, items: [{ session: 1 }] } },
      { node: 'w2', answer: { total: 1, truncated: false, items: [{ session: 2, asked: { what: 'sessions' } }] } },
      { node: 'w3', error: 'router node "w3" did not answer within 2000 ms' },
      { node: 'w4', error: 'no console of this realm answers on that node (it may be starting)' },
    ]);
    assert.deepEqual(asked.map((entry) => [entry.channel, entry.timeoutMs]), [['console:realm1', questionTimeoutMs], ['console:realm1', questionTimeoutMs], ['console:realm1', questionTimeoutMs]]);
  });

  it('answers the other nodes\' questions from this node\'s own listings and stats, refuses others, and stops serving', async () => {
    const { backplane, served } = fakeBackplane({});
    const cluster = new ConsoleCluster(backplane, 'realm1', own);
    const handler = served.get('console:realm1')!;
    assert.deepEqual(await handler({ what: 'stats' }, 'w2'), { sessions: 1 });
    assert.deepEqual(await handler({ what: 'registrations' }, 'w2'), own.listing());
    await assert.rejects(handler({ what: 'secrets' }, 'w2'), /does not answer "secrets"/);
    cluster.stop();
    assert.equal(served.size, 0);
  });
});

describe('FreshShared', () => {
  it('shares a run among callers, but a caller arriving during a run gets the next one, shared by every late caller', async () => {
    let runs = 0;
    const gates: (() => void)[] = [];
    const shared = new FreshShared(() => new Promise<number>((resolve) => {
      const run = ++runs;
      gates.push(() => resolve(run));
    }));
    const first = shared.get();
    const late = [shared.get(), shared.get()];
    assert.equal(runs, 1, 'one run under way; the late callers wait');
    gates[0]!();
    assert.equal(await first, 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(runs, 2, 'the next run began once the first ended');
    gates[1]!();
    assert.deepEqual(await Promise.all(late), [2, 2]);
    const again = shared.get();
    assert.equal(runs, 3, 'idle: a caller starts a run at once');
    gates[2]!();
    assert.equal(await again, 3);
  });

  it('passes a failed run\'s error to its callers and runs again for the next', async () => {
    let fail = true;
    const shared = new FreshShared(async () => {
      if (fail) throw new Error('no');
      return 'yes';
    });
    await assert.rejects(shared.get(), /no/);
    fail = false;
    assert.equal(await shared.get(), 'yes');
  });
});
