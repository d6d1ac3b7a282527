// Per-message codec costs for a typical small message: decode a client's PUBLISH, check its
// nesting, encode the EVENT for a subscriber, decode an EVENT (what a client library does).
// Usage: node bench/codec-costs.mjs [dist folder ...] (default ./dist). Several folders (say,
// another checkout's dist, before a change) are measured in interleaved rounds, so that a shared
// machine's load falls on all alike. Prints ns per message, the median of the rounds.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const ROUNDS = 15;
const ITERATIONS = 50_000;

// A chat message as a browser sends it, and the EVENT the router sends (IDs up to 2^53, as the router draws them).
const publish = [16, 17, { acknowledge: true, exclude_me: false }, 'chat.room1', ['hello, how are you?', 42], { from: 'alice', at: 1733450000123, tags: ['a', 'b'] }];
const event = [36, 5_614_125_384_573_117, 8_364_236_251_914_409, { publisher: 4_294_967_296, topic: 'chat.room1' }, ['hello, how are you?', 42], { from: 'alice', at: 1733450000123, tags: ['a', 'b'] }];

const builds = [];
for (const folder of process.argv.length > 2 ? process.argv.slice(2) : ['dist']) {
  const dist = resolve(folder);
  const codecs = await import(pathToFileURL(`${dist}/src/codec/index.js`).href);
  const nesting = await import(pathToFileURL(`${dist}/src/codec/nesting.js`).href).catch(() => undefined);
  const transport = await import(pathToFileURL(`${dist}/src/transport/decode-message.js`).href).catch(() => undefined);
  builds.push({ dist, codecs, nesting, transport });
}

function time(run) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) run();
  return Number(process.hrtime.bigint() - start) / ITERATIONS;
}

const tasks = [];
for (const build of builds) {
  for (const codec of [build.codecs.jsonCodec, build.codecs.msgpackCodec, build.codecs.cborCodec]) {
    const frame = codec.encode(publish);
    const decoded = codec.decode(frame);
    const eventFrame = codec.encode(event);
    const row = (what, run) => tasks.push({ key: `${codec.name.padEnd(8)} ${what}`, build: build.dist, run, samples: [] });
    row('decode PUBLISH + encode EVENT', () => {
      codec.decode(frame);
      codec.encode(event);
    });
    row('decode EVENT', () => codec.decode(eventFrame));
    // The transports' decode: the codec, then the nesting limit (not walked for frames too short to exceed it).
    row('transport decode of the PUBLISH', build.transport ? () => build.transport.decodeMessage(codec, frame, 100) : () => codec.decode(frame));
    if (build.nesting) row('nesting check (walked)', () => build.nesting.nestsDeeperThan(decoded, 100));
  }
}

// The same measurement of each build side by side, in alternating order: load changes hit both.
const keys = [...new Set(tasks.map((task) => task.key))];
for (let round = 0; round < ROUNDS; round++) {
  for (const key of keys) {
    const same = tasks.filter((task) => task.key === key);
    for (const task of round % 2 === 0 ? same : same.reverse()) task.samples.push(time(task.run));
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const key of keys) {
  const cells = builds.map((build) => {
    const task = tasks.find((t) => t.key === key && t.build === build.dist);
    return task ? `${median(task.samples).toFixed(0).padStart(6)} ns` : '        -';
  });
  console.log(`${key.padEnd(40)} ${cells.join('  ')}`);
}
console.log(`columns: ${builds.map((build) => build.dist).join('  |  ')}`);
