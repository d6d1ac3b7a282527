// The dealer's cost per call to a roundrobin registration, in process (in-memory peers, no
// network): one process with no cluster, and one node of a two-node in-memory cluster whose
// registration no other node holds (every call stays local, but the node looks for other nodes'
// callees first). Each call is CALL -> INVOCATION -> YIELD -> RESULT, answered at once.
// Usage: npm run build && node --expose-gc bench/shared-calls.mjs [dist folder ...] (default ./dist).
// Several folders (another checkout's dist, before a change) are measured in interleaved rounds,
// so that a shared machine's load falls on all alike. Prints the median of the rounds: ns of
// wall time per call, and bytes allocated per call (heap growth with GC kept out of the round).
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';

const ROUNDS = 25;
const CALLS = 5_000;
const T = { CALL: 48, RESULT: 50, INVOCATION: 68, YIELD: 70, REGISTER: 64 };

/** A realm with two roundrobin callees that answer each INVOCATION at once, and a caller. */
async function setUp(dist, clustered) {
  const { RouterHarness } = await import(pathToFileURL(`${dist}/test/support/router-harness.js`).href);
  const { MemoryHub } = await import(pathToFileURL(`${dist}/src/router/backplane-memory.js`).href);
  const hub = clustered ? new MemoryHub() : undefined;
  const node = new RouterHarness({ backplane: hub?.node('n1') });
  if (hub) new RouterHarness({ backplane: hub.node('n2') }); // the other node: it holds nothing
  const settle = () => new Promise((done) => setTimeout(done, 10));
  await settle();
  for (let i = 0; i < 2; i++) {
    const callee = await node.join();
    callee.peer.deliver({ type: T.REGISTER, request: 1, options: { invoke: 'roundrobin' }, procedure: 'bench.rr' });
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
  return {
    run() {
      const before = results;
      for (let i = 0; i < CALLS; i++) caller.peer.deliver({ type: T.CALL, request: ++request, options: {}, procedure: 'bench.rr', args: [i] });
      if (results - before !== CALLS) throw new Error(`${CALLS} calls, ${results - before} results: the calls are not answered at once`);
    },
  };
}

const tasks = [];
for (const folder of process.argv.length > 2 ? process.argv.slice(2) : ['dist']) {
  const dist = resolve(folder);
  for (const [what, clustered] of [['one process', false], ['cluster node, registration here only', true]]) {
    tasks.push({ key: what, dist, bench: await setUp(dist, clustered), ns: [], bytes: [] });
  }
}

// A round's heap growth is what it allocated only if no collection ran inside it: those rounds are counted, not used.
let collections = 0;
new PerformanceObserver((list) => void (collections += list.getEntries().length)).observe({ entryTypes: ['gc'] });
const pendingObserver = () => new Promise((done) => setTimeout(done, 20));

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const task of tasks) task.bench.run(); // warm up
for (let round = 0; round < ROUNDS; round++) {
  for (const task of tasks) {
    globalThis.gc?.();
    await pendingObserver();
    const seen = collections;
    const heap = process.memoryUsage().heapUsed;
    const start = process.hrtime.bigint();
    task.bench.run();
    task.ns.push(Number(process.hrtime.bigint() - start) / CALLS);
    const grown = (process.memoryUsage().heapUsed - heap) / CALLS;
    await pendingObserver();
    if (collections === seen) task.bytes.push(grown);
  }
}
for (const task of tasks) {
  const bytes = task.bytes.length > 0 ? `${median(task.bytes).toFixed(0).padStart(6)} B/call (${task.bytes.length} rounds without GC)` : 'a GC in every round';
  console.log(`${task.key.padEnd(40)} ${task.dist.padEnd(40)} ${median(task.ns).toFixed(0).padStart(6)} ns/call ${bytes}`);
}
