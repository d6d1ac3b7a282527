#!/usr/bin/env node
// What a cluster node's UNREGISTER costs its client: the time from UNREGISTER to UNREGISTERED of a
// `single` registration, in process (in-memory peers; router nodes of one real Redis, no network
// between client and router). Cases: one process with no cluster (answered at once), and one node
// of a two-node Redis cluster (since the release is awaited: one Redis round trip). Each UNREGISTER
// is preceded by its REGISTER (not timed).
// Usage: npm run build && node bench/unregister.mjs [dist folder ...] (default ./dist).
// Several folders (another checkout's dist, before a change) are measured side by side: each round
// runs every (folder, case) in a fresh child process, rounds interleaved so that a shared machine's
// load falls on all alike. Prints the medians over the rounds of each round's p50 and p99 (µs).
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROUNDS = 5;
const UNREGISTERS = 300;
const cases = ['one process', 'Redis cluster node'];
const T = { REGISTER: 64, REGISTERED: 65, UNREGISTER: 66, UNREGISTERED: 67 };

/** In a child: times UNREGISTERS unregisters on a fresh router (and Redis); prints { p50, p99 } in µs. */
async function child(dist, what) {
  const { RouterHarness } = await import(pathToFileURL(`${dist}/test/support/router-harness.js`).href);
  let redis;
  const links = [];
  let backplane;
  if (what === 'Redis cluster node') {
    const { RunningRedis } = await import(pathToFileURL(`${dist}/test/support/redis-server.js`).href);
    const { RedisLink } = await import(pathToFileURL(`${dist}/src/node/cluster/redis-link.js`).href);
    const { MeshBackplane } = await import(pathToFileURL(`${dist}/src/router/backplane-mesh.js`).href);
    const { silentLogger } = await import(pathToFileURL(`${dist}/src/router/log.js`).href);
    redis = await RunningRedis.start();
    for (const nodeId of ['a', 'b']) {
      const link = new RedisLink({ redis: { url: redis.url }, nodeId, log: silentLogger, prefix: 'bench' });
      await link.ready();
      links.push(new MeshBackplane(nodeId, link));
    }
    backplane = links[0];
  }
  const node = new RouterHarness({ backplane });
  const { peer } = await node.join();
  let waiting;
  const send = peer.send.bind(peer);
  peer.send = (envelope) => {
    send(envelope);
    waiting?.(peer.take().at(-1));
  };
  const answer = (message) => new Promise((done) => {
    waiting = done;
    peer.deliver(message);
  });
  const timings = [];
  let request = 0;
  for (let i = 0; i < UNREGISTERS + 50; i++) {
    const registered = await answer({ type: T.REGISTER, request: ++request, options: {}, procedure: 'bench.moved' });
    if (registered.type !== T.REGISTERED) throw new Error(`REGISTER answered with ${JSON.stringify(registered)}`);
    const start = process.hrtime.bigint();
    const unregistered = await answer({ type: T.UNREGISTER, request: ++request, registration: registered.registration });
    if (unregistered.type !== T.UNREGISTERED) throw new Error(`UNREGISTER answered with ${JSON.stringify(unregistered)}`);
    if (i >= 50) timings.push(Number(process.hrtime.bigint() - start) / 1000); // the first 50 warm up
  }
  timings.sort((x, y) => x - y);
  for (const backplane of links) await backplane.close();
  await redis?.stop();
  console.log(JSON.stringify({ p50: timings[Math.floor(timings.length / 2)], p99: timings[Math.floor(timings.length * 0.99)] }));
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4]);
} else {
  const folders = (process.argv.length > 2 ? process.argv.slice(2) : ['dist']).map((folder) => resolve(folder));
  const tasks = folders.flatMap((dist) => cases.map((what) => ({ dist, what, p50: [], p99: [] })));
  const script = fileURLToPath(import.meta.url);
  console.log(`load average before: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const task of tasks) {
      const { p50, p99 } = JSON.parse(execFileSync(process.execPath, [script, '--child', task.dist, task.what], { encoding: 'utf8' }));
      task.p50.push(p50);
      task.p99.push(p99);
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  for (const task of tasks) {
    console.log(`${task.what.padEnd(20)} ${task.dist.padEnd(36)} UNREGISTER→UNREGISTERED p50 ${median(task.p50).toFixed(0).padStart(5)} µs, p99 ${median(task.p99).toFixed(0).padStart(5)} µs`);
  }
  console.log(`load average after: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
}
