#!/usr/bin/env node
import { get } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { list, oneOf, positiveNumber, readCommandLine } from './lib/options.mjs';
import { runEntryPoint, stopEverythingAfter } from './lib/children.mjs';
import { sleep, withTimeout } from './lib/clock.mjs';
import { MIN_SAMPLES, trend } from './lib/trend.mjs';
import { startSystem, targetFor } from './systems.mjs';
import { SoakLoad } from './workloads/soak-load.mjs';
import { DOORS } from './workloads/soak-doors.mjs';

/**
 * Soak test: runs the router as a real process (`bin/junction.js start`, the config every bench
 * Junction system uses, with every door of --doors opened: systems.mjs everyDoorConfig) under
 * steady load for a given time, samples it, and fails when its resources trend up.
 *
 * Load (workloads/soak-load.mjs; loopback only, every loop bounded in count and time): fan-out
 * (one publisher, --publish-rate acknowledged publications/s to --subscribers sessions), RPC
 * (--call-rate calls/s over --callers sessions to one echo callee) and churn (--churn-rate
 * sessions/s that join, subscribe, register, call, publish and leave, half of them by dropping
 * the connection), all WAMP over WebSocket; and for each other door (workloads/soak-doors.mjs:
 * RawSocket, long-poll, SSE, the HTTP bridge, Pusher, MQTT, WAMP v1) --door-subscribers steady
 * clients receiving the fan-out and --door-churn-rate clients/s that come, work and go, half of
 * them by dropping their connection. The defaults are a few percent of what bench/run.mjs
 * measures as capacity.
 *
 * Samples, every --interval seconds, from the router process:
 *   rss, heap   process.memoryUsage() after a full GC, asked over an IPC channel from
 *               lib/router-probe.mjs, preloaded with `node --expose-gc --import` (the CLI and
 *               the router's code are unchanged);
 *   handles     its active libuv handles and requests (process.getActiveResourcesInfo());
 *   sessions    client sessions in its realms, from its own /info path;
 *   gauges      the router's own gauges from its /metrics path (GAUGES: connections, queued
 *               bytes, long-poll transports, SSE streams, Pusher, RawSocket and MQTT
 *               connections, MQTT sessions kept, wills and held bytes, retained topics and bytes,
 *               event history bytes...), each summed over its labels.
 *
 * The rule (lib/trend.mjs): samples from the warm-up (--warmup-minutes, default a fifth of the
 * run) are ignored; the rest is split into thirds, and a quantity fails when the median of the
 * last third exceeds the median of the first third by more than its tolerance:
 *
 *   rss       10% + 16 MiB   (the allocator returns memory to the system lazily)
 *   heap       5% +  4 MiB   (after a full GC: live objects only)
 *   handles   10% + 20       (churn connections in flight at the moment of a sample)
 *   sessions  10% + 20       (likewise)
 *   gauges    10% + each one's own absolute part (GAUGES)
 *
 * Sensitivity, for the 10-minute default: the middles of the first and last thirds of the 8
 * judged minutes are 5.3 minutes apart, in which 6,400 WebSocket churn sessions and 640 churn
 * clients of each other door come and go; against a heap of about 41 MiB (every door; 21 MiB
 * with --doors wamp) the limit is about 6 MiB above the first median, so a leak of 1 KiB of heap
 * per WebSocket churn session, or of 10 KiB per churn client of one other door, fails the run.
 * A connection, transport or session a door keeps after its client left shows sooner, in the
 * gauges (10% + 10 or 20 of them).
 *
 * It also fails when anything was lost on the way (a publication not acknowledged, an event
 * missing, repeated or out of order at a subscriber, a call not answered with its own echo, a
 * churn session or door client that could not finish), when the load fell behind its rate (more
 * than 1% of a kind skipped because too many were in flight), when the router cut a client
 * (CUT_COUNTERS: a slow consumer, a ping or keepalive timeout, a protocol error), and when, after
 * every client has left, the router still counts client sessions, holds more handles than when it
 * started, or has a gauge of what clients hold (CLIENT_GAUGES) above its start.
 * Exit code 0: no trend and nothing lost; 1: a failure, with the reason printed.
 */

const USAGE = `Usage: node bench/soak.mjs [options]      (after npm run build)

Runs the router (bin/junction.js start) under fan-out, RPC and connect/disconnect churn on every
door for a number of minutes, prints its RSS, heap, handles, sessions and connections over time,
and exits 1 when one of them or one of its own gauges (/metrics) trends up, or anything was lost.

  --minutes M          how long the load runs (default 10)
  --warmup-minutes W   samples in the first W minutes are not judged (default M / 5)
  --interval S         seconds between samples (default: 10, less for short runs so that
                       at least 30 samples are taken)
  --subscribers N      fan-out subscriber sessions (default 100)
  --publish-rate R     acknowledged publications per second to them (default 200)
  --callers C          caller sessions (default 4)
  --call-rate R        calls per second, over all callers (default 500)
  --churn-rate R       sessions per second that join, work and leave (default 20)
  --doors LIST         the doors to load, comma-separated (default all:
                       ${DOORS.join(',')}); wamp is WAMP over WebSocket (the
                       fan-out subscribers, callers and churn above)
  --door-subscribers N steady clients of each other door receiving the fan-out (default 4)
  --door-churn-rate R  clients per second of each other door that come, work and go (default 2)
  --serializer NAME    json | msgpack | cbor (default json)
  --heap-snapshots DIR write heap snapshots of the router to DIR: before any client came
                       (start), under load at the first judged sample (judged) and at the
                       last (loaded), and after every client left (end), to compare with
                       heap-owners.mjs (writing one leaves the router's RSS far higher, and
                       stalls it for a moment)
  -h, --help           this text
`;

const BYTES_PER_MIB = 1024 * 1024;
const TOLERANCES = {
  rss: { relative: 0.1, absolute: 16 * BYTES_PER_MIB },
  heap: { relative: 0.05, absolute: 4 * BYTES_PER_MIB },
  handles: { relative: 0.1, absolute: 20 },
  sessions: { relative: 0.1, absolute: 20 },
};
/**
 * The router's gauges (from /metrics, summed over labels) that must stay flat under steady load,
 * with the absolute part of their tolerance (the relative part is 10%): connections and
 * transports in flight move with the churn; byte gauges with what is in flight at the moment.
 */
const KIB = 1024;
const GAUGES = {
  connections: { metric: 'junction_connections', absolute: 20 },
  queuedBytes: { metric: 'junction_session_queued_bytes', absolute: 64 * KIB },
  rawsocketConns: { metric: 'junction_rawsocket_connections', absolute: 10 },
  longpollTransports: { metric: 'junction_longpoll_transports', absolute: 20 },
  sseStreams: { metric: 'junction_sse_streams_open', absolute: 10 },
  pusherConns: { metric: 'junction_pusher_connections', absolute: 10 },
  pusherApiInFlight: { metric: 'junction_pusher_api_requests_in_flight', absolute: 10 },
  mqttConns: { metric: 'junction_mqtt_connections', absolute: 10 },
  mqttSessions: { metric: 'junction_mqtt_sessions', absolute: 10 },
  mqttWillBytes: { metric: 'junction_mqtt_will_bytes', absolute: 16 * KIB },
  mqttHeldBytes: { metric: 'junction_mqtt_held_bytes', absolute: 256 * KIB },
  retainedTopics: { metric: 'junction_retained_topics', absolute: 5 },
  retainedBytes: { metric: 'junction_retained_bytes', absolute: 16 * KIB },
  retainedReplays: { metric: 'junction_retained_replays', absolute: 10 },
  historyBytes: { metric: 'junction_event_history_bytes', absolute: 64 * KIB },
};
const GAUGE_RELATIVE = 0.1;
/** Counters of clients the router cut (slow consumers, silence, protocol errors): each must stay 0. */
const CUT_COUNTERS = [
  'junction_protocol_violations_total', 'junction_ws_slow_consumer_closed_total', 'junction_ws_ping_timeouts_total',
  'junction_rawsocket_slow_consumer_closed_total', 'junction_rawsocket_ping_timeouts_total', 'junction_rawsocket_protocol_errors_total',
  'junction_longpoll_slow_consumer_closed_total', 'junction_sse_streams_ended_total{cause="slow_consumer"}', 'junction_pusher_slow_consumer_closed_total',
  'junction_mqtt_slow_consumer_closed_total', 'junction_mqtt_keepalive_timeouts_total', 'junction_mqtt_protocol_errors_total',
];
/** After every client has left: handles the router may hold beyond those it had at start. */
const HANDLES_LEFT_TOLERANCE = 5;
const SETTLE_MS = 10_000;
/**
 * Gauges of what clients make the router hold: back to their value at start once every client
 * has left (connections: the sample's own request is one at either time).
 */
const CLIENT_GAUGES = ['connections', 'queuedBytes', 'rawsocketConns', 'longpollTransports', 'sseStreams', 'pusherConns', 'pusherApiInFlight',
  'mqttConns', 'mqttSessions', 'mqttWillBytes', 'mqttHeldBytes', 'retainedReplays'];
const SAMPLE_TIMEOUT_MS = 10_000;
const SAMPLE_ATTEMPTS = 3;
const SETUP_BUDGET_MS = 180_000;
/**
 * Work skipped because too much of its kind was in flight: a moment of CPU starvation on a shared
 * machine skips a few; past this share the router did not get the load asked for.
 */
const MAX_SKIPPED_SHARE = 0.01;

function parseSoakOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string', default: '10' },
      'warmup-minutes': { type: 'string' },
      interval: { type: 'string' },
      subscribers: { type: 'string', default: '100' },
      'publish-rate': { type: 'string', default: '200' },
      callers: { type: 'string', default: '4' },
      'call-rate': { type: 'string', default: '500' },
      'churn-rate': { type: 'string', default: '20' },
      doors: { type: 'string', default: DOORS.join(',') },
      'door-subscribers': { type: 'string', default: '4' },
      'door-churn-rate': { type: 'string', default: '2' },
      serializer: { type: 'string', default: 'json' },
      'heap-snapshots': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const positive = (name, { integer = false } = {}) => positiveNumber(name, values[name], { integer });
  const minutes = positive('minutes');
  const options = {
    help: values.help,
    minutes,
    warmupMinutes: values['warmup-minutes'] === undefined ? minutes / 5 : Number(values['warmup-minutes']),
    intervalSeconds: values.interval === undefined ? Math.min(10, (minutes * 60) / 30) : positive('interval'),
    subscribers: positive('subscribers', { integer: true }),
    publishRate: positive('publish-rate'),
    callers: positive('callers', { integer: true }),
    callRate: positive('call-rate'),
    churnRate: positive('churn-rate'),
    doors: list('doors', values.doors, DOORS),
    doorSubscribers: positive('door-subscribers', { integer: true }),
    doorChurnRate: positive('door-churn-rate'),
    serializer: oneOf('serializer', values.serializer, ['json', 'msgpack', 'cbor']),
    heapSnapshotDir: values['heap-snapshots'] === undefined ? undefined : resolve(values['heap-snapshots']),
  };
  if (!(options.warmupMinutes >= 0 && options.warmupMinutes < minutes)) {
    throw new Error(`--warmup-minutes must be at least 0 and less than --minutes, got "${values['warmup-minutes']}"`);
  }
  return options;
}

function progress(text) {
  process.stderr.write(`[soak] ${text}\n`);
}

const mib = (bytes) => (bytes / BYTES_PER_MIB).toFixed(1);
const COLUMNS = ['minute', 'rss MiB', 'heap MiB', 'handles', 'sessions', 'conns', 'events/s', 'calls/s', 'churn/s', 'doors/s'];

function row(cells) {
  return cells.map((cell, i) => String(cell).padStart(i === 0 ? 6 : COLUMNS[i].length + 2)).join('');
}

/** GET `url`'s body on a connection of its own (no keep-alive socket to go stale between samples). */
function getText(url) {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${url}: ${response.statusCode}`))));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

async function clientSessions(server) {
  const info = JSON.parse(await getText(`${server.http}/info`));
  return info.realms.reduce((sum, realm) => sum + realm.sessions, 0);
}

/**
 * From the router's /metrics: `gauges`, GAUGES' values now, and `cut`, CUT_COUNTERS' that are not
 * 0; each summed over its label sets, unless it names one series (0 when the router has none).
 */
async function routerMetrics(server) {
  const text = await getText(`${server.http}/metrics`);
  const sums = new Map();
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match) continue;
    sums.set(match[1], (sums.get(match[1]) ?? 0) + Number(match[3]));
    if (match[2]) sums.set(match[1] + match[2], Number(match[3]));
  }
  return {
    gauges: Object.fromEntries(Object.entries(GAUGES).map(([name, { metric }]) => [name, sums.get(metric) ?? 0])),
    cut: Object.fromEntries(CUT_COUNTERS.filter((metric) => sums.get(metric) > 0).map((metric) => [metric, sums.get(metric)])),
  };
}

/**
 * One sample of the router. On a busy shared machine an answer can take seconds: a sample is
 * tried SAMPLE_ATTEMPTS times (each within SAMPLE_TIMEOUT_MS) before the soak gives up.
 */
async function sample(server) {
  for (let attempt = 1; ; attempt++) {
    try {
      const [probe, sessions, { gauges, cut }] = await withTimeout(Promise.all([server.probe(), clientSessions(server), routerMetrics(server)]), SAMPLE_TIMEOUT_MS, 'sampling the router');
      return { rss: probe.rss, heap: probe.heapUsed, handles: probe.handles, resources: probe.resources, sessions, gauges, cut, collected: probe.collected };
    } catch (error) {
      if (attempt === SAMPLE_ATTEMPTS) throw new Error(`the router did not answer ${SAMPLE_ATTEMPTS} samples in a row: ${error.message}`);
      progress(`sample attempt ${attempt} failed (${error.message}); trying again`);
    }
  }
}

/** Samples every interval until `endAt`, printing one line each; resolves to the samples. */
async function sampleUntil(server, load, options, startedAt, endAt) {
  const samples = [];
  const counted = () => ({ ...load.counts, doorsChurned: Object.values(load.counts.doors).reduce((sum, door) => sum + door.churned, 0), at: Date.now() });
  let previous = counted();
  process.stdout.write(`${row(COLUMNS)}\n`);
  for (let next = startedAt + options.intervalSeconds * 1000; next <= endAt; next += options.intervalSeconds * 1000) {
    await sleep(Math.max(0, next - Date.now()));
    const taken = { ...(await sample(server)), minute: (Date.now() - startedAt) / 60_000 };
    samples.push(taken);
    // Under load: at the first judged sample and at the last one.
    if (taken.minute >= options.warmupMinutes && samples.filter((s) => s.minute >= options.warmupMinutes).length === 1) await heapSnapshot(server, options, 'judged');
    if (next + options.intervalSeconds * 1000 > endAt) await heapSnapshot(server, options, 'loaded');
    const current = counted();
    const perSecond = (key) => ((current[key] - previous[key]) * 1000) / (current.at - previous.at);
    process.stdout.write(`${row([taken.minute.toFixed(2), mib(taken.rss), mib(taken.heap), taken.handles, taken.sessions, taken.gauges.connections,
      Math.round(perSecond('delivered')), Math.round(perSecond('calls')), perSecond('churned').toFixed(1), perSecond('doorsChurned').toFixed(1)])}\n`);
    previous = current;
  }
  return samples;
}

function judgeTrends(samples, options) {
  const judged = samples.filter((s) => s.minute >= options.warmupMinutes);
  const failures = [];
  const lines = [];
  if (judged.length < MIN_SAMPLES) {
    failures.push(`only ${judged.length} samples after the warm-up; the trend rule needs ${MIN_SAMPLES} (run longer or sample more often)`);
    return { failures, lines };
  }
  lines.push(`Trend over ${judged.length} samples after the ${options.warmupMinutes} min warm-up (median of the first third -> median of the last third, limit):`);
  const judge = (name, values, tolerance, show) => {
    const verdict = trend(values, tolerance);
    lines.push(`  ${name.padEnd(18)} ${show(verdict.early)} -> ${show(verdict.late)}  (limit ${show(verdict.limit)})  ${verdict.up ? 'TRENDS UP' : 'ok'}`);
    if (verdict.up) failures.push(`${name} trends up: ${show(verdict.early)} -> ${show(verdict.late)}, over the limit of ${show(verdict.limit)}`);
  };
  for (const [name, tolerance] of Object.entries(TOLERANCES)) {
    judge(name, judged.map((s) => s[name]), tolerance, name === 'rss' || name === 'heap' ? (v) => `${mib(v)} MiB` : (v) => v.toFixed(0));
  }
  for (const [name, { absolute }] of Object.entries(GAUGES)) {
    judge(name, judged.map((s) => s.gauges[name]), { relative: GAUGE_RELATIVE, absolute }, (v) => v.toFixed(0));
  }
  return { failures, lines };
}

function judgeLoad(load, behind) {
  const c = load.counts;
  const failures = [];
  if (c.publishErrors) failures.push(`${c.publishErrors} publications failed`);
  if (c.gaps) failures.push(`${c.gaps} events missing at subscribers`);
  if (c.repeats) failures.push(`${c.repeats} events repeated or out of order at subscribers`);
  failures.push(...behind);
  if (c.callErrors) failures.push(`${c.callErrors} calls failed`);
  if (c.churnErrors) failures.push(`${c.churnErrors} churn sessions failed`);
  const kinds = [['publications', c.publishSkipped, c.published + c.publishErrors], ['calls', c.callSkipped, c.calls + c.callErrors], ['churn sessions', c.churnSkipped, c.churned + c.churnErrors]];
  for (const [what, skipped, done] of kinds) {
    if (skipped > MAX_SKIPPED_SHARE * (skipped + done)) failures.push(`the load fell behind its rate: ${skipped} of ${skipped + done} ${what} skipped (over ${MAX_SKIPPED_SHARE * 100}%)`);
  }
  if (load.firstError) failures.push(`first error: ${load.firstError}`);
  for (const [door, counts] of Object.entries(c.doors)) {
    if (counts.errors) failures.push(`${counts.errors} ${door} churn clients failed; the first: ${counts.firstError}`);
    if (counts.skipped > MAX_SKIPPED_SHARE * (counts.skipped + counts.churned + counts.errors)) {
      failures.push(`the load fell behind its rate: ${counts.skipped} of ${counts.skipped + counts.churned + counts.errors} ${door} churn clients skipped (over ${MAX_SKIPPED_SHARE * 100}%)`);
    }
  }
  return failures;
}

/** Gauges of CLIENT_GAUGES above their value at start in `sample`: { name: [start, now] }. */
function gaugesLeft(sample, atStart) {
  return Object.fromEntries(CLIENT_GAUGES.filter((name) => sample.gauges[name] > atStart.gauges[name]).map((name) => [name, [atStart.gauges[name], sample.gauges[name]]]));
}

/**
 * Waits (bounded: `settleMs`) for the router to count no client session, to hold no more handles
 * than at start and to have its client gauges back where they started (closing handshakes take
 * a moment after the sessions end; an abandoned long-poll transport, its session_timeout);
 * resolves to the last sample.
 */
async function settledAfterClients(server, atStart, settleMs) {
  const settled = (s) => s.sessions === 0 && s.handles <= atStart.handles + HANDLES_LEFT_TOLERANCE && Object.keys(gaugesLeft(s, atStart)).length === 0;
  const deadline = Date.now() + settleMs;
  let last = await sample(server);
  while (!settled(last) && Date.now() < deadline) {
    await sleep(200);
    last = await sample(server);
  }
  return last;
}

/** With --heap-snapshots, the router writes a heap snapshot to DIR/`name`.heapsnapshot. */
async function heapSnapshot(server, options, name) {
  if (!options.heapSnapshotDir) return;
  mkdirSync(options.heapSnapshotDir, { recursive: true });
  const file = join(options.heapSnapshotDir, `${name}.heapsnapshot`);
  await server.probe(file);
  progress(`heap snapshot: ${file}`);
}

/** The router's default long-poll session_timeout: how long an abandoned long-poll transport lives on. */
async function longPollSessionTimeoutMs() {
  const { longPollDefaults } = await import(new URL('../dist/src/config/schema-http-transports.js', import.meta.url).href);
  return longPollDefaults.sessionTimeoutSeconds * 1000;
}

async function main() {
  const { options, exitCode } = readCommandLine(parseSoakOptions, USAGE);
  if (!options) return exitCode;
  stopEverythingAfter(options.minutes * 60_000 + SETUP_BUDGET_MS, progress, 'the soak ran past its time budget; stopping everything');

  const everyDoor = options.doors.some((door) => door !== 'wamp');
  const server = await startSystem('junction', { serializer: options.serializer, probe: true, everyDoor });
  try {
    const atStart = await sample(server);
    await heapSnapshot(server, options, 'start');
    if (!atStart.collected) progress('warning: the router has no gc(); heap samples include garbage');
    const load = new SoakLoad(targetFor(server, 'subscriber', options), options, server.doors);
    const steady = await load.open();
    progress(`router pid ${server.pid}; doors ${options.doors.join(',')}; ${steady} steady clients; ${options.minutes} min of load, a sample every ${options.intervalSeconds} s`);
    const startedAt = Date.now();
    load.start();
    const samples = await sampleUntil(server, load, options, startedAt, startedAt + options.minutes * 60_000);
    await load.stop();
    const behind = await load.behindSubscribers(SETTLE_MS);
    await load.close();
    const settleMs = SETTLE_MS + (options.doors.includes('longpoll') ? await longPollSessionTimeoutMs() : 0);
    const atEnd = await settledAfterClients(server, atStart, settleMs);
    await heapSnapshot(server, options, 'end');

    const c = load.counts;
    const { failures, lines } = judgeTrends(samples, options);
    failures.push(...judgeLoad(load, behind));
    if (atEnd.sessions > 0) failures.push(`${atEnd.sessions} client sessions still counted ${settleMs / 1000} s after every client left`);
    if (Object.keys(atEnd.cut).length > 0) failures.push(`the router cut clients: ${JSON.stringify(atEnd.cut)}`);
    const left = gaugesLeft(atEnd, atStart);
    if (Object.keys(left).length > 0) failures.push(`gauges above their start ${settleMs / 1000} s after every client left ({name: [start, end]}): ${JSON.stringify(left)}`);
    if (atEnd.handles > atStart.handles + HANDLES_LEFT_TOLERANCE) {
      failures.push(`${atEnd.handles} handles after every client left, ${atStart.handles} at start (${JSON.stringify(atEnd.resources)})`);
    }
    process.stdout.write(`\n${lines.join('\n')}\n`);
    process.stdout.write(`Load: ${c.published.toLocaleString('en-US')} publications, ${c.delivered.toLocaleString('en-US')} events delivered, ` +
      `${c.calls.toLocaleString('en-US')} calls, ${c.churned.toLocaleString('en-US')} churn sessions; skipped while too many were in flight: ` +
      `${c.publishSkipped} publications, ${c.callSkipped} calls, ${c.churnSkipped} churn sessions.\n`);
    for (const [door, counts] of Object.entries(c.doors)) {
      process.stdout.write(`  ${door}: ${counts.churned.toLocaleString('en-US')} churn clients, ${counts.errors} failed, ${counts.skipped} skipped\n`);
    }
    if (options.doors.includes('mqtt')) process.stdout.write(`  MQTT wills received: ${load.wills.toLocaleString('en-US')}\n`);
    process.stdout.write(`After every client left: ${atEnd.sessions} sessions, ${atEnd.handles} handles (${atStart.handles} at start), ` +
      `rss ${mib(atEnd.rss)} MiB (${mib(atStart.rss)} at start), heap ${mib(atEnd.heap)} MiB (${mib(atStart.heap)} at start); ` +
      `gauges ${JSON.stringify(atEnd.gauges)}.\n`);
    process.stdout.write(failures.length === 0 ? '\nPASS: nothing trends up, nothing was lost.\n' : `\nFAIL:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
    return failures.length === 0 ? 0 : 1;
  } finally {
    await server.stop();
  }
}

runEntryPoint(main, progress);
