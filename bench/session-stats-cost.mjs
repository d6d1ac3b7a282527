// What a realm's `stats` block costs per message, in one process: CPU µs per publication from 1
// publisher to 10 subscribers on in-memory peers that encode every message to JSON bytes as the
// WebSocket transport does, in a realm without `stats`, or (with `stats`) with a report threshold
// never reached, so that the figure is the counting alone. bench/run.mjs cannot start Junction
// with a realm's `stats`; this is the figure for that change.
// Usage: node --expose-gc bench/session-stats-cost.mjs BUILD_DIR [stats]
// BUILD_DIR is a built checkout (this one: .); run the builds and modes in interleaved rounds on
// a shared machine. Prints one JSON line.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = resolve(process.argv[2] ?? '.');
const load = (path) => import(pathToFileURL(`${dir}/dist/src/${path}`).href);
const { Router } = await load('router/router.js');
const { anonymousGate } = await load('auth/anonymous.js');
const { allowEverything } = await load('router/hooks.js');
const { defaultRealmLimits } = await load('config/schema-router.js');
const { MessageType: T } = await load('protocol/codes.js');
const { jsonCodec } = await load('codec/index.js');
const encoder = { name: 'json', encode: (wire) => Buffer.from(jsonCodec.encode(wire)) };
const flush = () => new Promise((resolve) => setImmediate(resolve));
class EncodingPeer {
  transport = { type: 'websocket', serializer: 'json', peer: 'x' };
  count = 0;
  send(envelope) { envelope.encode(encoder); this.count++; }
  close() {}
  raw(message) { this.link.receive(message, 100); }
}
const stats = process.argv[3] === 'stats' ? { ratedMessageSize: 512, afterRatedMessages: 1e12, afterDurationMs: 0, onJoin: false, onLeave: true } : undefined;
const router = new Router({
  realms: [{ name: 'realm1', authorizer: allowEverything, uriCheck: 'loose', limits: { ...defaultRealmLimits, publishRate: { perSecond: 0, burst: 0 } }, ...(stats ? { stats } : {}) }],
  helloTimeoutMs: 0,
});
await router.ready?.();
await flush();
const gate = anonymousGate('anonymous');
async function join() {
  const peer = new EncodingPeer();
  peer.link = router.attach(peer, gate, {});
  peer.raw([T.HELLO, 'realm1', { roles: { publisher: {}, subscriber: {} } }]);
  await flush();
  return peer;
}
const subs = [];
for (let i = 0; i < 10; i++) { const p = await join(); p.raw([T.SUBSCRIBE, 1, {}, 'bench.topic']); subs.push(p); }
const pub = await join();
const N = 200_000;
const run = () => { for (let i = 0; i < N; i++) pub.raw([T.PUBLISH, i + 1, {}, 'bench.topic', [i, 'payload-text-of-some-length']]); };
run();
global.gc?.();
const before = process.cpuUsage();
run();
const used = process.cpuUsage(before);
const meter = [...router.realm('realm1').sessions.values()][0].meter;
console.log(JSON.stringify({ build: dir, stats: !!stats, usPerPublication: +((used.user + used.system) / N).toFixed(3), delivered: subs[0].count, countedBySubscriber: meter?.messages }));
