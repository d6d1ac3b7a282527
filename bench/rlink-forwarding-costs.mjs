// What a router link does per forwarded event on top of the router's own work, each piece alone:
// the echo guard (src/node/rlink/echo-guard.ts: the topic checked, then args, kwargs and the
// sender scanned for the link's secret, here a 29-character ticket that never occurs), the byte
// estimate the in-flight bound takes (InFlight.sizeOf: payloadBytes), and for scale the decoding
// of the EVENT the link receives from the other router (CBOR, the link's serializer in
// bench/rlink.mjs) and the JSON encoding of the EVENT a subscriber gets.
// Usage: npm run build && node bench/rlink-forwarding-costs.mjs [dist folder ...] (default ./dist).
// Several folders (another checkout's dist, before a change) are measured in interleaved rounds,
// so that a shared machine's load falls on all alike. Prints ns per event, the median of the rounds.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROUNDS = 15;
const ITERATIONS = 50_000;

const sender = { session: 4_294_967_296, authid: 'alice', authrole: 'user' };
// bench/rlink.mjs's event, and a chat message with kwargs.
const shapes = {
  'bench event': { topic: 'bench.rlink.fan', args: [12345, 'x'.repeat(64)], kwargs: {} },
  'chat event': { topic: 'chat.room1', args: ['hello, how are you?', 42], kwargs: { from: 'alice', at: 1733450000123, tags: ['a', 'b'] } },
};
const uncounted = { inc() {}, set() {} };

const folders = process.argv.length > 2 ? process.argv.slice(2) : ['dist'];
const tasks = [];
for (const folder of folders) {
  const dist = resolve(folder);
  const load = (path) => import(pathToFileURL(`${dist}/src/${path}`).href);
  const { echoGuard } = await load('node/rlink/echo-guard.js');
  const { InFlight } = await load('node/rlink/forwarding.js');
  const { silentLogger } = await load('router/log.js');
  const { cborCodec, jsonCodec } = await load('codec/index.js');
  const guard = echoGuard(['bench-rlink-ticket-0123456789'], { secretEchoes: { masked: uncounted, refused: uncounted } }, silentLogger);
  const slots = new InFlight('events', { count: 1000, bytes: 16 * 1024 * 1024 }, { inFlight: uncounted, bytesInFlight: uncounted, refused: uncounted });
  for (const [name, { topic, args, kwargs }] of Object.entries(shapes)) {
    const received = cborCodec.encode([36, 5_614_125_384_573_117, 8_364_236_251_914_409, { publisher: sender.session, publisher_authid: sender.authid, publisher_authrole: sender.authrole, topic }, args, kwargs]);
    const delivered = [36, 5_614_125_384_573_117, 8_364_236_251_914_409, { topic, forward_for: [sender] }, args, kwargs];
    const row = (what, run) => tasks.push({ key: `${name.padEnd(12)} ${what}`, dist: folder, run, samples: [] });
    row('echo guard (quotedIn + masked)', () => {
      guard.quotedIn('event', topic);
      guard.masked('event', [args, kwargs, sender]);
    });
    // A build from before the byte bound has no sizeOf.
    if (typeof slots.sizeOf === 'function') row('in-flight byte estimate (sizeOf)', () => slots.sizeOf(topic, args, kwargs));
    row('CBOR decode of the EVENT received', () => cborCodec.decode(received));
    row('JSON encode of the EVENT delivered', () => jsonCodec.encode(delivered));
  }
}

function time(run) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) run();
  return Number(process.hrtime.bigint() - start) / ITERATIONS;
}

for (const task of tasks) time(task.run); // warm-up: every function optimized before the rounds
for (let round = 0; round < ROUNDS; round++) for (const task of tasks) task.samples.push(time(task.run));
const median = (samples) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)];
process.stdout.write(`ns per event, median of ${ROUNDS} rounds of ${ITERATIONS}\n`);
for (const task of [...tasks].sort((a, b) => a.key.localeCompare(b.key))) process.stdout.write(`  ${task.key.padEnd(50)} ${task.dist.padEnd(20)} ${median(task.samples).toFixed(0).padStart(6)}\n`);
