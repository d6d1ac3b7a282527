#!/usr/bin/env node
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectClient } from './clients/index.mjs';
import { httpPublisherTarget } from './clients/http-publisher.mjs';
import { runEntryPoint, stopEverythingAfter } from './lib/children.mjs';
import { cpuSeconds } from './lib/cpu.mjs';
import { oneOf, positiveNumber, readCommandLine } from './lib/options.mjs';
import { table } from './lib/report.mjs';
import { rotation } from './lib/rounds.mjs';
import { startSystem } from './systems.mjs';

const USAGE = `Usage: node bench/http-arrival.mjs [options]

Server CPU per publication by how the publications arrive, 16 in flight, one WebSocket subscriber:
  wamp         junction, junction-baseline: one WAMP session, 16 publications unacknowledged
  connections  the HTTP systems: 16 keep-alive connections, one POST in flight on each (undici)
  pipelined    the HTTP systems: one connection, 16 POSTs pipelined on it (undici, pipelining 16)
  burst        the HTTP systems: one connection; 16 POSTs written in ONE socket write, the next 16
               once all 16 are answered (a client that batches, as a WAMP client's sends do)
Each publication is checked (200 and an id; the subscriber gets every event).

  --systems LIST        default junction,junction-http,relay-http (also relay-http-raw, and
                        junction-baseline, junction-baseline-http with --baseline DIR)
  --publications N      measured per system, mode and round (default 40000; a fifth more before,
                        unmeasured, as warm-up)
  --rounds R            default 3, rotating the order of the systems; the median is reported
  --baseline DIR        a built checkout of Junction for the junction-baseline* systems
  --modes LIST          only these of the modes above (default: all that apply)
  --profile             run the routers under node --cpu-prof; profiles go to bench/profiles/
  -h, --help            this text
`;

const MODES = ['wamp', 'connections', 'pipelined', 'burst'];
const IN_FLIGHT = 16;
const TOPIC = 'bench.arrival';
const PAYLOAD = 'x'.repeat(64);
const RUN_BUDGET_MS = 120_000;
const DELIVERY_WAIT_MS = 10_000;
const ANSWER_TIMEOUT_MS = 15_000;

function progress(text) {
  process.stderr.write(`[http-arrival] ${text}\n`);
}

function parse(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      systems: { type: 'string', default: 'junction,junction-http,relay-http' },
      publications: { type: 'string', default: '40000' },
      rounds: { type: 'string', default: '3' },
      baseline: { type: 'string' },
      modes: { type: 'string', default: MODES.join(',') },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  return {
    help: values.help,
    systems: values.systems.split(',').map((s) => s.trim()),
    publications: positiveNumber('publications', values.publications),
    rounds: positiveNumber('rounds', values.rounds),
    modes: values.modes.split(',').map((mode) => oneOf('modes', mode.trim(), MODES)),
    baseline: values.baseline === undefined ? undefined : resolvePath(values.baseline),
    profileDir: values.profile ? fileURLToPath(new URL('./profiles/', import.meta.url)) : undefined,
  };
}

/** The chosen modes a system takes part in: WAMP systems publish over WAMP, HTTP systems over POSTs. */
function modesOf(system, options) {
  const http = /-http(-raw)?$/.test(system);
  return options.modes.filter((mode) => (mode === 'wamp') !== http);
}

/** Keeps IN_FLIGHT publications outstanding through `publish` until `count` are acknowledged. */
async function windowed(count, publish) {
  let started = 0;
  const lane = async () => {
    while (started < count) {
      started++;
      await publish();
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

/** A publisher whose `publishMany(count)` keeps 16 publications in flight, as `mode` sends them. */
async function openPublisher(server, mode) {
  if (mode === 'burst') return openBurstPublisher(server.clients.publisher.url);
  const target = mode === 'wamp' ? server.clients.publisher
    : httpPublisherTarget(server.clients.publisher.url, { window: IN_FLIGHT, httpPipelining: mode === 'pipelined' ? IN_FLIGHT : 1 });
  const client = await connectClient(target);
  return {
    publishMany: (count) => windowed(count, () => client.publish(TOPIC, [PAYLOAD])),
    close: () => client.close(),
  };
}

/**
 * One connection; IN_FLIGHT POSTs written with one socket write, the next batch once every answer
 * of this one is read. Each answer must be 200 with a publication id.
 */
async function openBurstPublisher(url) {
  const { port, pathname } = new URL(url);
  const body = JSON.stringify({ topic: TOPIC, args: [PAYLOAD] });
  const request = `POST ${pathname} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const batch = Buffer.from(request.repeat(IN_FLIGHT));
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let pending = Buffer.alloc(0);
  let onAnswer = () => {};
  let failure;
  const fail = (error) => {
    failure ??= error;
    onAnswer();
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('the server closed the connection')));
  socket.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = pending.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
      if (!Number.isInteger(length)) return fail(new Error(`an answer without Content-Length: ${head.slice(0, 200)}`));
      if (pending.length < end + 4 + length) return;
      const text = pending.subarray(end + 4, end + 4 + length).toString('utf8');
      pending = pending.subarray(end + 4 + length);
      if (!head.startsWith('HTTP/1.1 200') || !/^\{"id":\d+\}$/.test(text)) return fail(new Error(`a POST answered ${head.split('\r\n')[0]}: ${text.slice(0, 200)}`));
      onAnswer();
    }
  });
  const sendBatch = () => new Promise((resolve, reject) => {
    if (failure) return reject(failure);
    let answered = 0;
    const timer = setTimeout(() => fail(new Error(`${answered} of ${IN_FLIGHT} POSTs answered in ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS);
    onAnswer = () => {
      if (failure) {
        clearTimeout(timer);
        reject(failure);
      } else if (++answered === IN_FLIGHT) {
        clearTimeout(timer);
        resolve();
      }
    };
    socket.write(batch);
  });
  return {
    async publishMany(count) {
      for (let sent = 0; sent < count; sent += IN_FLIGHT) await sendBatch();
    },
    close: () => socket.destroy(),
  };
}

/** One mode on a started system: warm-up, then `publications` measured; every event must arrive. */
async function measure(server, mode, publications) {
  const subscriber = await connectClient(server.clients.subscriber);
  let delivered = 0;
  await subscriber.subscribe(TOPIC, () => delivered++);
  const publisher = await openPublisher(server, mode);
  try {
    const warmup = Math.ceil(publications / 5 / IN_FLIGHT) * IN_FLIGHT;
    const measured = Math.ceil(publications / IN_FLIGHT) * IN_FLIGHT;
    await publisher.publishMany(warmup);
    const cpuBefore = cpuSeconds(server.pid);
    const started = performance.now();
    await publisher.publishMany(measured);
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    const deadline = Date.now() + DELIVERY_WAIT_MS;
    while (delivered < warmup + measured && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    if (delivered !== warmup + measured) throw new Error(`the subscriber got ${delivered} of ${warmup + measured} events`);
    return { perSecond: measured / seconds, serverMicros: (cpu / measured) * 1e6, load: loadavg()[0] };
  } finally {
    publisher.close();
    subscriber.close();
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

async function main() {
  const { options, exitCode } = readCommandLine(parse, USAGE);
  if (!options) return exitCode;
  const runs = options.rounds * options.systems.reduce((sum, system) => sum + modesOf(system, options).length, 0);
  stopEverythingAfter(runs * RUN_BUDGET_MS, progress, 'the run took too long; stopping everything');
  if (options.profileDir) mkdirSync(options.profileDir, { recursive: true });
  const settings = { window: IN_FLIGHT, serializer: 'json', hardTimeoutMs: RUN_BUDGET_MS, baseline: options.baseline, profileDir: options.profileDir };
  const results = new Map();
  let failed = false;
  const loadBefore = loadavg();
  for (let round = 0; round < options.rounds; round++) {
    for (const system of rotation(options.systems, round)) {
      const server = await startSystem(system, settings);
      try {
        for (const mode of modesOf(system, options)) {
          progress(`round ${round + 1}: ${system} / ${mode}`);
          const key = `${system}\t${mode}`;
          if (!results.has(key)) results.set(key, []);
          try {
            results.get(key).push(await measure(server, mode, options.publications));
          } catch (error) {
            failed = true;
            progress(`${system} / ${mode} failed: ${error.message}`);
          }
        }
      } finally {
        await server.stop();
      }
    }
  }
  const wamp = results.get('junction\twamp');
  const wampMicros = wamp ? median(wamp.map((r) => r.serverMicros)) : undefined;
  const rows = [...results].filter(([, rounds]) => rounds.length > 0).map(([key, rounds]) => {
    const micros = median(rounds.map((r) => r.serverMicros));
    return [...key.split('\t'), Math.round(median(rounds.map((r) => r.perSecond))).toLocaleString('en-US'),
      micros.toFixed(2), rounds.map((r) => r.serverMicros.toFixed(1)).join(' '),
      wampMicros ? `${(micros / wampMicros).toFixed(2)}x` : '-', rounds.map((r) => r.load.toFixed(1)).join(' ')];
  });
  const loads = (l) => l.map((x) => x.toFixed(2)).join(' ');
  process.stdout.write(`\nHTTP arrival, ${new Date().toISOString()}, node ${process.version}, load average ${loads(loadBefore)} before / ${loads(loadavg())} after, ${options.publications} publications measured per round, median of ${options.rounds}\n\n`);
  process.stdout.write(`${table(['system', 'mode', 'pub/s', 'server µs/pub', 'rounds µs/pub', 'vs junction wamp', 'load (1 min) per round'], rows)}\n`);
  return failed ? 1 : 0;
}

runEntryPoint(main, progress);
