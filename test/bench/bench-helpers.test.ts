import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

/**
 * The bench's own arithmetic (bench/lib, plain .mjs): the latency histogram's quantiles, the
 * loss / duplicate / order check every workload relies on to fail a run, and how the many-topics
 * workload spreads publications and subscriptions. Loaded by URL: the bench is not compiled.
 */

const benchLib = (name: string): Promise<any> => import(new URL(`../../../bench/lib/${name}`, import.meta.url).href);

test('histogram quantiles are within its 2% bucket precision, and merged histograms add up', async () => {
  const { Histogram } = await benchLib('histogram.mjs');
  const first = new Histogram();
  const second = new Histogram();
  for (let micros = 1; micros <= 10_000; micros++) (micros % 2 ? first : second).record(micros);
  const merged = Histogram.fromJSON(first.toJSON());
  merged.add(second.toJSON());
  assert.equal(merged.total, 10_000);
  for (const [q, exact] of [[0.5, 5_000], [0.99, 9_900], [0.999, 9_990]] as const) {
    const value = merged.quantile(q);
    assert.ok(value >= exact && value <= exact * 1.02, `q${q}: ${value} is not within 2% above ${exact}`);
  }
  assert.equal(new Histogram().quantile(0.99), null);
});

test('the sequence check finds nothing wrong in an ordered stream', async () => {
  const { SequenceCheck } = await benchLib('sequence-check.mjs');
  const check = new SequenceCheck();
  for (let seq = 1; seq <= 100; seq++) check.see(seq);
  assert.deepEqual(check.faults(100), { missing: 0, reordered: 0, duplicates: 0 });
});

test('the sequence check counts lost, late, repeated and surplus events', async () => {
  const { SequenceCheck, MAX_TRACKED_GAP } = await benchLib('sequence-check.mjs');
  const check = new SequenceCheck();
  for (const seq of [1, 2, 5, 3, 3, 6]) check.see(seq); // 4 never comes, 3 comes late, then again
  assert.deepEqual(check.faults(8), { missing: 1 + 2, reordered: 1, duplicates: 1 }); // 4, and the tail 7 and 8
  assert.deepEqual(check.faults(5), { missing: 1, reordered: 1, duplicates: 1 + 1 }); // 6 was never sent

  const far = new SequenceCheck();
  far.see(MAX_TRACKED_GAP + 2);
  assert.deepEqual(far.faults(MAX_TRACKED_GAP + 2), { missing: MAX_TRACKED_GAP + 1, reordered: 0, duplicates: 0 });
});

test('publications spread over topics: counts per topic and the delivery barrier agree with a brute-force count', async () => {
  const { placeOf, publishedOn, coveredUpTo } = await benchLib('topics.mjs');
  for (const topics of [1, 3, 10]) {
    const published = 47;
    const perTopic = new Array(topics).fill(0);
    for (let n = 1; n <= published; n++) {
      const { topic, seq } = placeOf(n, topics);
      perTopic[topic]++;
      assert.equal(seq, perTopic[topic], `publication ${n} of ${topics} topics`);
    }
    for (let topic = 0; topic < topics; topic++) assert.equal(publishedOn(topic, published, topics), perTopic[topic]);

    // Subscribers that have each topic's events up to `reached[topic]` have accounted for every
    // publication up to the barrier, and the barrier's next publication is one they lack.
    const reached = Array.from({ length: topics }, (_, topic) => Math.min(perTopic[topic]!, (topic * 7) % 5));
    const barrier = Math.min(...reached.map((seq, topic) => coveredUpTo(topic, seq, topics)));
    for (let n = 1; n <= barrier; n++) {
      const { topic, seq } = placeOf(n, topics);
      assert.ok(seq <= reached[topic]!, `${topics} topics: publication ${n} is below the barrier ${barrier} but not delivered`);
    }
    const next = placeOf(barrier + 1, topics);
    assert.ok(next.seq > reached[next.topic]!, `${topics} topics: the barrier ${barrier} could be higher`);
  }
});

test('1,000 sessions with 10 subscriptions each cover 1,000 topics with 10 distinct subscribers each', async () => {
  const { topicsOfSession } = await benchLib('topics.mjs');
  const subscribers = new Array(1000).fill(0);
  for (let session = 0; session < 1000; session++) {
    const mine = topicsOfSession(session, 10, 1000);
    assert.equal(new Set(mine).size, 10);
    for (const topic of mine) subscribers[topic]++;
  }
  assert.ok(subscribers.every((count) => count === 10));
});

test('the HTTP publisher keeps --window POSTs in flight, --http-pipelining of them per connection', async () => {
  const { httpPublisherTarget, describeHttpLoad } = await import(new URL('../../../bench/clients/http-publisher.mjs', import.meta.url).href);
  const { parseOptions } = await benchLib('options.mjs');
  const url = 'http://127.0.0.1:1/publish';
  const shape = (window: number, httpPipelining?: number): [number, number] => {
    const target = httpPublisherTarget(url, { window, httpPipelining });
    return [target.connections, target.pipelining];
  };
  assert.deepEqual(shape(16), [16, 1]);
  assert.deepEqual(shape(16, 1), [16, 1]);
  assert.deepEqual(shape(16, 16), [1, 16]);
  assert.deepEqual(shape(16, 5), [4, 5]);
  assert.deepEqual(shape(8, 32), [1, 8]);
  assert.equal(parseOptions([]).httpPipelining, 1);
  const pipelined = parseOptions(['--http-pipelining', '16']);
  assert.equal(describeHttpLoad(pipelined), '1 keep-alive connection x 16 POSTs (pipelined) in flight');
  assert.equal(describeHttpLoad(parseOptions([])), '16 keep-alive connections x 1 POST in flight');
  assert.throws(() => parseOptions(['--http-pipelining', '0']), /--http-pipelining must be a positive integer/);
});

test('a --trace-gc-nvp trace sums up per second of the measured window only', async () => {
  const { parseGcTrace, summarizeGc } = await benchLib('gc-trace.mjs');
  const line = (ms: number, gc: string, pause: number, allocated: number, promoted: number, survived: number) =>
    `[123:0x5a5a]   ${ms} ms: pause=${pause} mutator=1.0 gc=${gc} reduce_memory=0 allocated=${allocated} promoted=${promoted} new_space_survived=${survived} promotion_rate=1.0%`;
  const trace = [
    'a router log line that is not from the GC',
    line(900, 's', 9, 1_000_000, 500, 700), // before the window
    line(1000, 's', 1, 2_000_000, 100, 300),
    line(1500, 's', 3, 4_000_000, 300, 500),
    line(1800, 'mc', 6, 1_000_000, 0, 0),
    line(2000, 's', 9, 1_000_000, 500, 700), // the window's end is not in it
  ].join('\n');
  const events = parseGcTrace(trace);
  assert.equal(events.length, 5);
  assert.deepEqual(events[1], { atMs: 1000, kind: 's', pauseMs: 1, allocated: 2_000_000, promoted: 100, survived: 300 });
  // The window's collections (1000, 1500, 1800 ms) close the intervals from 900 to 1800 ms.
  const gc = summarizeGc(events, 950, 2000);
  assert.equal(gc.seconds, 0.9);
  assert.equal(gc.scavengesPerSecond, 2 / 0.9);
  assert.equal(gc.meanScavengeMs, 2);
  assert.equal(gc.maxScavengeMs, 3);
  assert.equal(gc.otherCollections, 1);
  assert.equal(gc.pausedShare, (1 + 3 + 6) / 900);
  assert.equal(gc.allocatedPerSecond, 7_000_000 / 0.9);
  assert.equal(gc.survivedPerSecond, 800 / 0.9);
  assert.equal(gc.promotedPerSecond, 400 / 0.9);
  // No collection before the window: from its start.
  assert.equal(summarizeGc(events, 0, 1000).seconds, 0.9);
  const none = summarizeGc(events, 2100, 3100);
  assert.deepEqual([none.seconds, none.scavengesPerSecond, none.meanScavengeMs, none.allocatedPerSecond], [1, 0, null, 0]);
  assert.throws(() => summarizeGc(events, 2000, 2000), /empty GC window/);
});

test('the bench passes node flags to the routers: the baseline takes its own or the same', async () => {
  const { parseOptions } = await benchLib('options.mjs');
  const same = parseOptions(['--router-node-flags=--trace-gc  --max-semi-space-size=8', '--router-log', 'logs']);
  assert.deepEqual(same.routerNodeFlags, ['--trace-gc', '--max-semi-space-size=8']);
  assert.deepEqual(same.baselineNodeFlags, same.routerNodeFlags);
  assert.match(same.routerLog, /\/logs$/);
  const apart = parseOptions(['--router-node-flags=--trace-gc --max-semi-space-size=8', '--baseline-node-flags=--trace-gc']);
  assert.deepEqual(apart.baselineNodeFlags, ['--trace-gc']);
  assert.deepEqual(parseOptions([]).routerNodeFlags, []);
  assert.deepEqual(parseOptions(['--router-node-flags=--import ./preload.mjs']).routerNodeFlags, ['--import', './preload.mjs']);
  assert.throws(() => parseOptions(['--router-node-flags=bench.js']), /node flags \(starting with -\), got "bench.js"/);
});

test('BENCH_TIME_SCALE scales the bench\'s waits by a number of at least 1, and refuses anything else', () => {
  const scaleWith = (value: string | undefined): string => {
    const env = { ...process.env };
    if (value === undefined) delete env.BENCH_TIME_SCALE;
    else env.BENCH_TIME_SCALE = value;
    const module = new URL('../../../bench/lib/time-scale.mjs', import.meta.url).href;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', `const { TIME_SCALE } = await import(${JSON.stringify(module)}); console.log(TIME_SCALE)`], { env, encoding: 'utf8' });
    return run.status === 0 ? run.stdout.trim() : run.stderr;
  };
  assert.equal(scaleWith(undefined), '1');
  assert.equal(scaleWith(''), '1');
  assert.equal(scaleWith('60'), '60');
  assert.equal(scaleWith('2.5'), '2.5');
  for (const bad of ['0.5', 'slow', '-3']) assert.match(scaleWith(bad), new RegExp(`BENCH_TIME_SCALE=${bad}: expected a number >= 1`));
});

test('open-loop pacing: a timer while the send is far off, then short blocking slices', async () => {
  const { pacingStep, pace } = await benchLib('clock.mjs');
  assert.deepEqual(pacingStep(10), { sleepMs: 8 });
  assert.deepEqual(pacingStep(2), { blockMs: 0.2 });
  assert.deepEqual(pacingStep(0.05), { blockMs: 0.05 });
  assert.deepEqual(pacingStep(-1), { blockMs: 0 });
  let ran = false;
  setImmediate(() => (ran = true));
  await pace(0.1);
  assert.ok(ran, 'pace lets the event loop run before it blocks');
});

test('a sampling heap profile sums up by the innermost frames of each allocation stack', async () => {
  const { allocationSites } = await benchLib('heap-sites.mjs');
  const frame = (functionName: string, line: number, selfSize: number, children: unknown[] = []) =>
    ({ callFrame: { functionName, url: `file:///x/dist/src/${functionName}.js`, lineNumber: line - 1 }, selfSize, children });
  const profile = {
    head: frame('', 1, 0, [
      frame('receive', 10, 0, [frame('encode', 5, 300), frame('parse', 7, 100)]),
      frame('send', 20, 50, [frame('encode', 5, 200)]),
    ]),
  };
  const byFunction = allocationSites(profile, 1);
  assert.equal(byFunction.total, 650);
  assert.deepEqual(byFunction.sites, [
    { site: 'encode src/encode.js:5', bytes: 500 },
    { site: 'parse src/parse.js:7', bytes: 100 },
    { site: 'send src/send.js:20', bytes: 50 },
  ]);
  assert.deepEqual(allocationSites(profile, 2).sites.slice(0, 2), [
    { site: 'encode src/encode.js:5 < receive src/receive.js:10', bytes: 300 },
    { site: 'encode src/encode.js:5 < send src/send.js:20', bytes: 200 },
  ]);
});
