// The router's options readers (src/router/options.ts) on the option dicts clients send: what
// reading a PUBLISH's, CALL's, SUBSCRIBE's or YIELD's options costs per message.
// Usage: node bench/options-costs.mjs [dist folder ...] (default ./dist). Several folders (say,
// a build of main beside this checkout's) are measured in interleaved rounds, so that a shared
// machine's load falls on all alike. Prints CPU ns per read (process.cpuUsage, not wall time),
// the median of the rounds, and each row's range.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const ROUNDS = 15;
const ITERATIONS = 200_000;
/** A bound on the whole run, whatever the machine's load: rounds stop once it is spent. */
const BUDGET_MS = 240_000;

// The dicts as clients write them; the decoded rows are what a codec hands the router.
const publishDicts = {
  '{}': {},
  '{acknowledge:true}': { acknowledge: true },
  '{exclude_me:false}': { exclude_me: false },
  '{eligible:[3 ids]}': { eligible: [1111, 2222, 3333] },
  '{acknowledge,exclude_me,exclude}': { acknowledge: true, exclude_me: false, exclude: [4444] },
  // What a router link publishes for every event it forwards (src/node/rlink/forwarding.ts).
  '{forward_for:[1 hop],exclude_me:true}': { forward_for: [{ session: 5555, authid: 'alice', authrole: 'user' }], exclude_me: true },
};
const callDicts = {
  '{}': {},
  '{timeout:5000}': { timeout: 5000 },
  '{receive_progress:true}': { receive_progress: true },
  '{forward_for:[1 hop],timeout:5000}': { forward_for: [{ session: 5555, authid: 'alice', authrole: 'user' }], timeout: 5000 },
};
const decodedPublish = { acknowledge: true, exclude_me: false };

const builds = [];
for (const folder of process.argv.length > 2 ? process.argv.slice(2) : ['dist']) {
  const dist = resolve(folder);
  const options = await import(pathToFileURL(`${dist}/src/router/options.js`).href);
  const codecs = await import(pathToFileURL(`${dist}/src/codec/index.js`).href);
  builds.push({ dist, options, codecs });
}

function cpuNs(run, dict) {
  const start = process.cpuUsage();
  let kept = 0;
  for (let i = 0; i < ITERATIONS; i++) kept += run(dict) ? 1 : 0;
  const used = process.cpuUsage(start);
  if (kept !== ITERATIONS) throw new Error('a reader returned nothing');
  return ((used.user + used.system) * 1000) / ITERATIONS;
}

const tasks = [];
for (const build of builds) {
  const { readPublishOptions, readCallOptions, readSubscribeOptions, readYieldProgress } = build.options;
  const row = (key, run, dict) => tasks.push({ key, build: build.dist, run, dict, samples: [] });
  for (const [name, dict] of Object.entries(publishDicts)) row(`publish ${name}`, readPublishOptions, dict);
  // Each codec's own decoded dict, from a PUBLISH frame, as the router receives it.
  for (const codec of [build.codecs.jsonCodec, build.codecs.msgpackCodec, build.codecs.cborCodec]) {
    const decoded = codec.decode(codec.encode([16, 1, decodedPublish, 'chat.room1']))[2];
    row(`publish ${codec.name} {acknowledge,exclude_me}`, readPublishOptions, decoded);
  }
  for (const [name, dict] of Object.entries(callDicts)) row(`call ${name}`, readCallOptions, dict);
  row('subscribe {}', readSubscribeOptions, {});
  row('subscribe {match:"prefix"}', readSubscribeOptions, { match: 'prefix' });
  // readYieldProgress returns a boolean: count the reads, not the answer.
  row('yield {}', (dict) => readYieldProgress(dict) !== undefined, {});
}

// Every reader sees every shape before measuring, as in a router serving many clients.
for (const task of tasks) for (let i = 0; i < 20_000; i++) task.run(task.dict);

const keys = [...new Set(tasks.map((task) => task.key))];
const deadline = Date.now() + BUDGET_MS;
let rounds = 0;
for (; rounds < ROUNDS && Date.now() < deadline; rounds++) {
  for (const key of keys) {
    const same = tasks.filter((task) => task.key === key);
    for (const task of rounds % 2 === 0 ? same : same.reverse()) task.samples.push(cpuNs(task.run, task.dict));
  }
}

const sorted = (values) => [...values].sort((a, b) => a - b);
const median = (values) => sorted(values)[Math.floor(values.length / 2)];
console.log(`${rounds} rounds of ${ITERATIONS.toLocaleString('en')} reads; CPU ns per read, median (min-max)`);
for (const key of keys) {
  const cells = builds.map((build) => {
    const { samples } = tasks.find((t) => t.key === key && t.build === build.dist);
    const [low, high] = [sorted(samples)[0], sorted(samples).at(-1)];
    return `${median(samples).toFixed(0).padStart(5)} (${low.toFixed(0)}-${high.toFixed(0)})`.padEnd(18);
  });
  console.log(`${key.padEnd(44)} ${cells.join('  ')}`);
}
console.log(`columns: ${builds.map((build) => build.dist).join('  |  ')}`);
