#!/usr/bin/env node
// Client-side RPC micro-benchmark: call round trips through one Junction router, made with the
// Junction client and with AutobahnJS in the same run. Each library gets its own caller and
// callee sessions (both in this process); the router runs as a child process started with the
// CLI, so it does not share this event loop. Rounds alternate between the libraries so that
// drift (JIT warm-up, CPU frequency) hits both alike.
//
//   node bench/client-rpc.mjs [--calls 5000] [--window 64] [--rounds 3] [--serializer json|msgpack|cbor]
//
// Measures, per library: sequential round trips (one call in flight: latency p50/p99 and calls/s)
// and windowed throughput (`window` calls kept in flight). Run `npm run build` first.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autobahn from 'autobahn';
import { connect } from '../dist/src/client/index.js';

const { values: flags } = parseArgs({
  options: {
    calls: { type: 'string', default: '5000' },
    window: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    serializer: { type: 'string', default: 'json' },
  },
});
const calls = Number(flags.calls);
const window = Number(flags.window);
const rounds = Number(flags.rounds);
const serializer = flags.serializer;
if (!['json', 'msgpack', 'cbor'].includes(serializer)) throw new Error(`--serializer must be json, msgpack or cbor, got ${serializer}`);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts `junction start` on a free port and resolves with its URL once it logs "listening". */
async function startRouter() {
  const port = await freePort();
  const bin = fileURLToPath(new URL('../bin/junction.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'start', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'info'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buffered = '';
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the router exited with code ${code} before listening`)));
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      for (const line of buffered.split('\n').slice(0, -1)) {
        try {
          const entry = JSON.parse(line);
          if (entry.msg === 'listening') resolve(entry.url);
        } catch {
          // Not a JSON log line: ignore.
        }
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    });
  });
  child.stdout.resume();
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** The Junction client: caller and callee sessions, and a call function. */
async function junctionPair(url) {
  const options = { url, realm: 'realm1', serializers: [serializer], reconnect: false };
  const callee = await connect(options);
  const caller = await connect(options);
  await callee.register('bench.echo.junction', (args) => args[0]);
  return {
    name: 'junction client',
    call: (value) => caller.call('bench.echo.junction', [value]),
    close: async () => {
      await caller.leave();
      await callee.leave();
    },
  };
}

function autobahnSerializer() {
  const { serializer: s } = autobahn;
  return { json: () => new s.JSONSerializer(), msgpack: () => new s.MsgpackSerializer(), cbor: () => new s.CBORSerializer() }[serializer]();
}

function openAutobahn(url) {
  const connection = new autobahn.Connection({ url, realm: 'realm1', serializers: [autobahnSerializer()], max_retries: 0 });
  return new Promise((resolve, reject) => {
    connection.onopen = (session) => resolve({ connection, session });
    connection.onclose = (reason, details) => reject(new Error(`AutobahnJS could not connect: ${reason} ${details?.message ?? ''}`));
    connection.open();
  });
}

/** AutobahnJS: caller and callee sessions, and a call function. */
async function autobahnPair(url) {
  const callee = await openAutobahn(url);
  const caller = await openAutobahn(url);
  await callee.session.register('bench.echo.autobahn', (args) => args[0]);
  const closeOne = ({ connection }) =>
    new Promise((resolve) => {
      connection.onclose = () => {
        resolve();
        return true; // stop AutobahnJS from retrying
      };
      connection.close();
    });
  return {
    name: 'AutobahnJS',
    call: (value) => caller.session.call('bench.echo.autobahn', [value]),
    close: async () => {
      await closeOne(caller);
      await closeOne(callee);
    },
  };
}

async function sequential(pair) {
  const latencies = new Float64Array(calls);
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    await pair.call(i);
    latencies[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort();
  const at = (q) => latencies[Math.min(calls - 1, Math.floor(q * calls))];
  return { rate: calls / seconds, p50: at(0.5), p99: at(0.99) };
}

async function windowed(pair) {
  let next = 0;
  const started = process.hrtime.bigint();
  const lane = async () => {
    while (next < calls) await pair.call(next++);
  };
  await Promise.all(Array.from({ length: window }, lane));
  return { rate: calls / (Number(process.hrtime.bigint() - started) / 1e9) };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const router = await startRouter();
try {
  const pairs = [await junctionPair(router.url), await autobahnPair(router.url)];
  const results = new Map(pairs.map((pair) => [pair.name, []]));
  for (const pair of pairs) {
    for (let i = 0; i < 500; i++) await pair.call(i); // warm-up
  }
  for (let round = 0; round < rounds; round++) {
    for (const pair of round % 2 === 0 ? pairs : [...pairs].reverse()) {
      results.get(pair.name).push({ ...(await sequential(pair)), windowed: (await windowed(pair)).rate });
    }
  }
  for (const pair of pairs) await pair.close();

  console.log(`call round trips through Junction (${serializer}), ${calls} calls per measurement, median of ${rounds} rounds, window ${window}`);
  console.log('client           | sequential calls/s | p50 µs | p99 µs | windowed calls/s');
  console.log('-----------------|--------------------|--------|--------|-----------------');
  for (const [name, runs] of results) {
    const cell = (key, width) => String(Math.round(median(runs.map((run) => run[key])))).padStart(width);
    console.log(`${name.padEnd(16)} | ${cell('rate', 18)} | ${cell('p50', 6)} | ${cell('p99', 6)} | ${cell('windowed', 16)}`);
  }
} finally {
  await router.stop();
}
