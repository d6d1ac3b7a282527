import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { freePort, RunningJunction, runJunction } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

/**
 * crossbar-examples' scaling-microservices/queued through `junction start`: its realm and store as
 * the example writes them, two callees of `com.example.compute` (roundrobin, concurrency 2 and 3)
 * played by AutobahnJS instead of the example's Python containers, and more calls than places.
 */

const running: RunningJunction[] = [];
let dir: string;
let configFile: string;
let port: number;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'junction-call-queue-'));
  port = await freePort();
  configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify({
    version: 2,
    controller: {},
    workers: [{
      type: 'router',
      realms: [{
        name: 'realm1',
        roles: [{
          name: 'anonymous',
          permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true }, disclose: { caller: false, publisher: false }, cache: true }],
        }],
        store: { type: 'memory', 'call-queue': [{ uri: 'com.example.compute', match: 'exact', limit: 1000 }] },
      }],
      transports: [{ type: 'universal', endpoint: { type: 'tcp', port, interface: '127.0.0.1' }, rawsocket: {}, websocket: { ws: { type: 'websocket' } } }],
    }],
  }));
});
after(async () => {
  running.forEach((junction) => junction.kill());
  await rm(dir, { recursive: true, force: true });
});

describe('junction start - call queues (crossbar-examples scaling-microservices/queued)', () => {
  it('answers every call while at most each callee\'s concurrency run at once', async () => {
    const junction = RunningJunction.start(['--config', configFile]);
    running.push(junction);
    const url = await junction.url();
    const sessions: OpenSession[] = [];
    try {
      const pending: (() => void)[] = [];
      const callees = [2, 3].map((concurrency) => ({ concurrency, running: 0, most: 0 }));
      for (const callee of callees) {
        const open = await openAutobahn(url);
        sessions.push(open);
        await open.session.register('com.example.compute', (args: number[]) => new Promise<number>((resolve) => {
          callee.most = Math.max(callee.most, ++callee.running);
          pending.push(() => { callee.running--; resolve(args[0]! * 2); });
        }), { invoke: 'roundrobin', concurrency: callee.concurrency });
      }
      const caller = await openAutobahn(url);
      sessions.push(caller);
      const calls = Array.from({ length: 12 }, (_, n) => caller.session.call('com.example.compute', [n]) as Promise<number>);
      for (let done = 0; done < 12; done++) {
        await waitFor(() => pending.length > 0, `invocation ${done + 1}`, 10_000);
        // Until the first answer, exactly the five places are taken; the other calls wait in the queue.
        if (done === 0) await waitFor(() => pending.length === 5, 'five invocations at once', 10_000);
        pending.shift()!();
      }
      assert.deepEqual(await Promise.all(calls), Array.from({ length: 12 }, (_, n) => n * 2));
      assert.deepEqual(callees.map((callee) => callee.most), [2, 3]);
    } finally {
      await Promise.all(sessions.map((open) => open.close()));
      junction.kill();
    }
  });

  it('refuses the config with --workers: a call and the callees it waits for may be in different processes', async () => {
    const result = await runJunction(['start', '--config', configFile, '--port', String(await freePort()), '--workers', '2']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /call queues \(a realm store's "call-queue"\) need a node of its own: with --workers or a "cluster"/);
  });
});
