import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { freePort, RunningJunction, runJunction } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { waitFor } from '../support/wait.js';

/**
 * crossbar-examples' scaling-microservices/queued through `junction start`: its realm and store as
 * the example writes them, two callees of `com.example.compute` (roundrobin, concurrency 2 and 3),
 * played by AutobahnJS or by container workers' Python classes as in the example, and more calls
 * than places.
 */

const running: RunningJunction[] = [];
let dir: string;
let configFile: string;
let port: number;

/** The example's router worker on `port`, and `workers` beside it. */
function exampleConfig(workers: object[] = []): string {
  return JSON.stringify({
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
    }, ...workers],
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'junction-call-queue-'));
  port = await freePort();
  configFile = join(dir, 'config.json');
  await writeFile(configFile, exampleConfig());
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

  it('serves the example\'s Python callees (container workers, Autobahn|Python): 20 calls on 5 places', { skip: skipWithoutDebian('python3-autobahn') }, async () => {
    await writeFile(join(dir, 'compute.py'), pythonCompute);
    const component = (concurrency: number) => ({
      type: 'container', options: { pythonpath: ['.'] },
      components: [{
        type: 'class', classname: 'compute.ComputeKernel', realm: 'realm1', extra: { concurrency },
        transport: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port }, url: `ws://127.0.0.1:${port}/ws` },
      }],
    });
    const withContainers = join(dir, 'config-containers.json');
    await writeFile(withContainers, exampleConfig([component(3), component(2)]));
    const junction = RunningJunction.start(['--config', withContainers]);
    running.push(junction);
    for (const limit of [2, 3]) await junction.waitForLine((line) => line.msg.endsWith(`compute ready with concurrency ${limit}`), 60_000);
    const caller = await openAutobahn(`ws://127.0.0.1:${port}/ws`);
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, n) => caller.session.call('com.example.compute', [n]) as Promise<{ n: number; running: number; limit: number; pid: number }>));
      assert.deepEqual(results.map((result) => result.n), Array.from({ length: 20 }, (_, n) => n));
      assert.ok(results.every((result) => result.running <= result.limit), JSON.stringify(results));
      assert.equal(new Set(results.map((result) => result.pid)).size, 2, 'both callees served calls');
    } finally {
      await caller.close();
      junction.kill();
    }
  });

  it('refuses the config with --workers: a call and the callees it waits for may be in different processes', async () => {
    const result = await runJunction(['start', '--config', configFile, '--port', String(await freePort()), '--workers', '2']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /call queues \(a realm store's "call-queue"\) need a node of its own: with --workers or a "cluster"/);
  });
});

/**
 * The example's compute kernel in our own words: registers roundrobin with the concurrency its
 * `extra` gives, holds each call 300 ms, and says how many of its calls were running then.
 */
const pythonCompute = `
import os
from autobahn.twisted.wamp import ApplicationSession
from autobahn.twisted.util import sleep
from autobahn.wamp.types import RegisterOptions
from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import LoopingCall


class ComputeKernel(ApplicationSession):
    @inlineCallbacks
    def onJoin(self, details):
        self.limit = self.config.extra['concurrency']
        self.running = 0
        yield self.register(self.compute, 'com.example.compute', options=RegisterOptions(invoke='roundrobin', concurrency=self.limit))
        print('compute ready with concurrency %d' % self.limit)
        # A test's Python ends when the Junction that started it is gone (killed by the test's cleanup included).
        parent = os.getppid()
        LoopingCall(lambda: os.getppid() != parent and reactor.stop()).start(0.25)

    @inlineCallbacks
    def compute(self, n):
        self.running += 1
        running = self.running
        yield sleep(0.3)
        self.running -= 1
        return {'n': n, 'running': running, 'limit': self.limit, 'pid': os.getpid()}
`;
