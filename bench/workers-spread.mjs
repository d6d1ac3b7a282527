#!/usr/bin/env node
// How `junction start --workers N` spreads clients over its workers, and what a connection costs
// the parent. For each build (this checkout, and --baseline DIR if given) and each worker count:
//   sequential:   K joins one after another (each waits for its WELCOME; all stay open);
//   simultaneous: K joins opened at once (all stay open);
//   churn:        J joins, C at a time, each closed after its WELCOME: joins/s, and CPU µs per
//                 join of the parent and of the workers (from /proc).
// Which worker answered is WELCOME.Details.x_junction_node. Prints the split and the largest share.
// Usage: npm run build && node bench/workers-spread.mjs [--workers 2,3] [--joins 200] [--churn 2000]
//          [--concurrency 20] [--repeat 3] [--baseline DIR] [--env NAME=VALUE] [--settle MS]
// (--env is given to the router's processes, e.g. --env UV_TCP_SINGLE_ACCEPT=1; --settle waits
// between closing the sequential joins and opening the simultaneous ones, default 0: at once.)
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { cpuSeconds } from './lib/cpu.mjs';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '2,3' },
    joins: { type: 'string', default: '200' },
    churn: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '20' },
    repeat: { type: 'string', default: '3' },
    baseline: { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
    settle: { type: 'string', default: '0' },
  },
});
const joins = Number(values.joins);
const churn = Number(values.churn);
const concurrency = Number(values.concurrency);
const repeat = Number(values.repeat);
const extraEnv = Object.fromEntries(values.env.map((pair) => pair.split('=', 2)));
const builds = [['this', resolve(new URL('..', import.meta.url).pathname)]];
if (values.baseline) builds.push(['baseline', resolve(values.baseline)]);
const joinTimeoutMs = 10_000;

async function freePort() {
  const server = createServer();
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

/** Starts `junction start --workers N` from `dir`; resolves once every worker serves. */
async function startRouter(dir, workers) {
  const port = await freePort();
  const child = spawn(process.execPath, [`${dir}/bin/junction.js`, 'start', '--host', '127.0.0.1', '--port', String(port), '--workers', String(workers)],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...extraEnv } });
  const workerPids = new Map();
  let buffered = '';
  await new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error('workers did not all serve within 30 s')), 30_000);
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          const entry = JSON.parse(line);
          if (entry.msg === 'worker serving') workerPids.set(entry.node, entry.pid);
        } catch { /* not a log line */ }
      }
      if (workerPids.size === workers) {
        clearTimeout(timer);
        done();
      }
    });
    child.once('exit', (code) => fail(new Error(`router exited with ${code}`)));
  });
  child.stdout.resume();
  return {
    port,
    parentPid: child.pid,
    workerPids: [...workerPids.values()],
    stop: () => new Promise((done) => {
      child.once('exit', done);
      child.kill('SIGTERM');
    }),
  };
}

/** Opens a WAMP session; resolves to { node, ws } on WELCOME. */
function join(port) {
  return new Promise((done, fail) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, 'wamp.2.json');
    const timer = setTimeout(() => {
      ws.terminate();
      fail(new Error('join unanswered'));
    }, joinTimeoutMs);
    ws.on('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
    ws.on('open', () => ws.send(JSON.stringify([1, 'realm1', { roles: { subscriber: {} } }])));
    ws.once('message', (data) => {
      clearTimeout(timer);
      const [type, , details] = JSON.parse(data.toString());
      if (type !== 2) return fail(new Error(`message ${type} instead of WELCOME`));
      done({ node: details.x_junction_node, ws });
    });
  });
}

function closeAll(sessions) {
  return Promise.all(sessions.map(({ ws }) => new Promise((done) => {
    ws.once('close', done);
    ws.close();
  })));
}

function split(sessions, workers) {
  const counts = {};
  for (let index = 1; index <= workers; index++) counts[`w${index}`] = 0;
  for (const { node } of sessions) counts[node] = (counts[node] ?? 0) + 1;
  const values = Object.values(counts);
  const largest = Math.max(...values) / sessions.length;
  return `${values.join('/')} (largest ${(100 * largest).toFixed(0)}%)`;
}

async function churnRun(router) {
  const pids = [router.parentPid, ...router.workerPids];
  const before = pids.map(cpuSeconds);
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < churn) {
      next++;
      const session = await join(router.port);
      await closeAll([session]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (performance.now() - started) / 1000;
  const used = pids.map((pid, index) => cpuSeconds(pid) - before[index]);
  const perJoin = (cpu) => ((cpu * 1e6) / churn).toFixed(0);
  const workersCpu = used.slice(1).reduce((sum, value) => sum + value, 0);
  return `${(churn / seconds).toFixed(0)} joins/s; CPU per join: parent ${perJoin(used[0])} µs, workers ${perJoin(workersCpu)} µs`;
}

async function measure(label, dir, workers) {
  const router = await startRouter(dir, workers);
  try {
    const sequential = [];
    for (let index = 0; index < joins; index++) sequential.push(await join(router.port));
    const sequentialSplit = split(sequential, workers);
    await closeAll(sequential);
    await new Promise((done) => setTimeout(done, Number(values.settle)));
    const simultaneous = await Promise.all(Array.from({ length: joins }, () => join(router.port)));
    const simultaneousSplit = split(simultaneous, workers);
    await closeAll(simultaneous);
    const churned = churn > 0 ? await churnRun(router) : 'no churn';
    const load = loadavg().map((value) => value.toFixed(2)).join(' ');
    console.log(`${label} --workers ${workers}: ${joins} sequential ${sequentialSplit}; ${joins} simultaneous ${simultaneousSplit}; churn ${churn} x${concurrency}: ${churned}  [load ${load}]`);
  } finally {
    await router.stop();
  }
}

console.log(`# ${new Date().toISOString()} env ${JSON.stringify(extraEnv)}`);
for (let round = 1; round <= repeat; round++) {
  for (const workers of values.workers.split(',').map(Number)) {
    for (const [label, dir] of round % 2 === 1 ? builds : [...builds].reverse()) await measure(`${label} r${round}`, dir, workers);
  }
}
