// The dealer's cost per call to a roundrobin registration, in process (in-memory peers, no
// network): one process with no cluster, and one node of a two-node in-memory cluster whose
// registration no other node holds (every call stays local, but the node looks for other nodes'
// callees first); and the same with a prefix registration while the other node holds an exact one
// that the calls do not match (the node also looks for a better match on the other nodes). Each call is CALL -> INVOCATION -> YIELD -> RESULT, answered at once.
// Usage: npm run build && node bench/shared-calls.mjs [dist folder ...] (default ./dist).
// Several folders (another checkout's dist, before a change) are measured side by side: each
// round runs every (folder, case) in a fresh child process of its own (routers of two cases in
// one process would share, and skew, each other's compiled code), the rounds interleaved so that
// a shared machine's load falls on all alike. Prints the median of the rounds: ns of the child's
// CPU time per call (waiting for a core on a loaded machine is not counted), and bytes allocated
// per call (heap growth in a young generation large enough that no GC runs while measuring).
import { execFileSync } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROUNDS = 15;
const CALLS = 20_000;
const cases = {
  'one process': { clustered: false, match: 'exact' },
  'cluster node, registration here only': { clustered: true, match: 'exact' },
  'cluster node, prefix here, exact elsewhere': { clustered: true, match: 'prefix' },
};
const T = { CALL: 48, RESULT: 50, INVOCATION: 68, YIELD: 70, REGISTER: 64 };

/**
 * A realm with two roundrobin callees that answer each INVOCATION at once, and a caller. With a
 * prefix registration ("bench"), the other node holds "bench.other", which no call matches.
 */
async function setUp(dist, { clustered, match }) {
  const { RouterHarness } = await import(pathToFileURL(`${dist}/test/support/router-harness.js`).href);
  const { MemoryHub } = await import(pathToFileURL(`${dist}/src/router/backplane-memory.js`).href);
  const hub = clustered ? new MemoryHub() : undefined;
  const node = new RouterHarness({ backplane: hub?.node('n1') });
  const other = hub && new RouterHarness({ backplane: hub.node('n2') });
  const settle = () => new Promise((done) => setTimeout(done, 10));
  await settle();
  if (other && match === 'prefix') {
    const elsewhere = await other.join();
    elsewhere.peer.deliver({ type: T.REGISTER, request: 1, options: {}, procedure: 'bench.other' });
  }
  for (let i = 0; i < 2; i++) {
    const callee = await node.join();
    callee.peer.deliver({ type: T.REGISTER, request: 1, options: { invoke: 'roundrobin', match }, procedure: match === 'prefix' ? 'bench' : 'bench.rr' });
    await settle();
    callee.peer.take();
    const send = callee.peer.send.bind(callee.peer);
    callee.peer.send = (envelope) => {
      const message = envelope.message;
      if (message.type !== T.INVOCATION) return send(envelope);
      callee.peer.deliver({ type: T.YIELD, request: message.request, options: {}, args: [1] });
    };
  }
  const caller = await node.join();
  let results = 0;
  caller.peer.send = (envelope) => {
    if (envelope.message.type === T.RESULT) results++;
  };
  let request = 0;
  return (calls) => {
    const before = results;
    for (let i = 0; i < calls; i++) caller.peer.deliver({ type: T.CALL, request: ++request, options: {}, procedure: 'bench.rr', args: [i] });
    if (results - before !== calls) throw new Error(`${calls} calls, ${results - before} results: the calls are not answered at once`);
  };
}

/** In a child: warms up, then measures one batch of calls; prints { ns, bytes }. */
async function child(dist, what) {
  const run = await setUp(dist, cases[what]);
  run(CALLS); // warm up: compiled code, tables at their size
  globalThis.gc();
  await new Promise((done) => setTimeout(done, 20)); // that collection's entry reaches the observer before it starts
  let collections = 0;
  const observer = new PerformanceObserver((list) => void (collections += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  const heap = process.memoryUsage().heapUsed;
  const start = process.cpuUsage();
  run(CALLS);
  const cpu = process.cpuUsage(start);
  const bytes = (process.memoryUsage().heapUsed - heap) / CALLS;
  await new Promise((done) => setTimeout(done, 20));
  observer.disconnect();
  // A collection inside the batch would make the heap growth less than what was allocated.
  console.log(JSON.stringify({ ns: ((cpu.user + cpu.system) * 1000) / CALLS, bytes: collections === 0 ? bytes : null }));
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4]);
} else {
  const folders = (process.argv.length > 2 ? process.argv.slice(2) : ['dist']).map((folder) => resolve(folder));
  const tasks = folders.flatMap((dist) => Object.keys(cases).map((what) => ({ dist, what, ns: [], bytes: [] })));
  const script = fileURLToPath(import.meta.url);
  // 256 MiB of young generation: the measured batch allocates well under it, so no GC runs inside it.
  const flags = ['--expose-gc', '--min-semi-space-size=256', '--max-semi-space-size=256'];
  for (let round = 0; round < ROUNDS; round++) {
    for (const task of tasks) {
      const out = execFileSync(process.execPath, [...flags, script, '--child', task.dist, task.what], { encoding: 'utf8' });
      const { ns, bytes } = JSON.parse(out);
      task.ns.push(ns);
      if (bytes !== null) task.bytes.push(bytes);
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  for (const task of tasks) {
    const bytes = task.bytes.length > 0 ? `${median(task.bytes).toFixed(0).padStart(6)} B/call (${task.bytes.length} of ${ROUNDS} rounds without GC)` : 'a GC in every round';
    console.log(`${task.what.padEnd(44)} ${task.dist.padEnd(36)} ${median(task.ns).toFixed(0).padStart(6)} ns CPU/call ${bytes}`);
  }
}
