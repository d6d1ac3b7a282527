import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { loadDocument } from '../../src/config/test-support.js';
import { openAutobahn } from '../support/autobahn.js';
import { crossbarAnonymousEverything, startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';

/**
 * Crossbar's call queue (store `call-queue`) with AutobahnJS on both ends: a callee that takes one
 * call at a time (REGISTER `concurrency`), and a caller whose further calls wait instead of failing.
 */

const config = loadDocument({
  version: 2,
  workers: [{
    type: 'router',
    realms: [{
      name: 'realm1', roles: [crossbarAnonymousEverything],
      store: { type: 'memory', 'call-queue': [{ uri: 'com.example.compute', match: 'exact', limit: 1000 }] },
    }],
    transports: [{ type: 'web', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' }, paths: { ws: { type: 'websocket' } } }],
  }],
});
const node = await startTestNode(config);
after(() => node.stop());

describe('AutobahnJS - call queues', () => {
  it('runs every call one after the other on a callee of concurrency 1; a queued call canceled in mode kill fails with wamp.error.canceled', async () => {
    const callee = await openAutobahn(node.url);
    const caller = await openAutobahn(node.url);
    try {
      const started: { n: number; finish: (value: number) => void }[] = [];
      let running = 0;
      let most = 0;
      await callee.session.register('com.example.compute', (args: number[]) => new Promise<number>((resolve) => {
        running++;
        most = Math.max(most, running);
        started.push({ n: args[0]!, finish: (value) => { running--; resolve(value); } });
      }), { concurrency: 1 });

      const results = [1, 2, 3].map((n) => caller.session.call('com.example.compute', [n]) as Promise<number>);
      const canceled = caller.session.call('com.example.compute', [4]);
      const refusal = (canceled as Promise<unknown>).then(() => assert.fail('the canceled call got a result'), (error: { error: string }) => error.error);
      const fifth = caller.session.call('com.example.compute', [5]) as Promise<number>;
      await waitFor(() => started.length === 1, 'the first invocation', 10_000);
      canceled.cancel({ mode: 'kill' });
      assert.equal(await refusal, 'wamp.error.canceled');
      for (let i = 0; i < 4; i++) {
        await waitFor(() => started.length === i + 1, `invocation ${i + 1}`, 10_000);
        started[i]!.finish(started[i]!.n * 10);
      }
      assert.deepEqual(await Promise.all([...results, fifth]), [10, 20, 30, 50]);
      assert.deepEqual(started.map((s) => s.n), [1, 2, 3, 5], 'in the order called; the canceled call never reached the callee');
      assert.equal(most, 1);
    } finally {
      await caller.close();
      await callee.close();
    }
  });
});
