#!/usr/bin/env node
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseOptions, readCommandLine, USAGE } from './lib/options.mjs';
import { formatGc, formatWorkload, hasFault, LEGEND, ratio } from './lib/report.mjs';
import { runEntryPoint, stopEverythingAfter } from './lib/children.mjs';
import { medianRounds, rotation } from './lib/rounds.mjs';
import { parseGcTrace, summarizeGc } from './lib/gc-trace.mjs';
import { describeSystem, runsWorkload, startSystem, unavailable } from './systems.mjs';
import { WORKLOADS } from './workloads/index.mjs';
import { formatIdleResults, measureIdle } from './idle.mjs';
import { largestIdleCount } from './lib/open-files.mjs';

/**
 * Entry point (`npm run bench`): for each workload, starts each system that can take part in it
 * (systems.mjs) in its own process, drives it from forked load-generator processes, stops it, and
 * finally prints one table per workload with the Junction/relay and Junction/Socket.IO ratios and
 * each Junction system against Junction on WebSocket. Three phases: the throughput workloads (all
 * rounds), then the latency workloads at a rate taken from the first phase (offeredRates), then
 * the idle workload once. Every child is stopped on any exit path.
 */

// Per system and workload: server start + client setup + warm-up + measurement + drains.
const PER_RUN_BUDGET_MS = 150_000;
const IDLE_SYSTEMS = ['relay', 'junction'];
// Idle: sessions per load-generator process and per source address (see bench/idle.mjs).
const IDLE_PER_PROCESS = 15_000;
const IDLE_PER_ADDRESS = 15_000;
const IDLE_BUDGET_MS = 400_000;
// The latency workloads offer this share of Junction's measured maximum.
const LATENCY_LOAD = 0.5;

function progress(text) {
  process.stderr.write(`[bench] ${text}\n`);
}

async function runOne(workload, system, options, round) {
  progress(`${workload} / ${system}: starting server`);
  const routerLogFile = options.routerLog ? join(options.routerLog, `${workload}.${system}.round${round}.log`) : undefined;
  const server = await startSystem(system, { ...options, routerLogFile });
  let result;
  try {
    progress(`${workload} / ${system}: running (${options.warmup} s warm-up + ${options.duration} s measured)`);
    result = await WORKLOADS[workload].run(server, options, workload);
  } finally {
    await server.stop();
  }
  return server.logFile ? { ...result, gc: gcInWindow(server, result.measured) } : result;
}

/** The router's GC during the measured window, from its log (null without a --trace-gc-nvp trace). */
function gcInWindow(server, measured) {
  const events = parseGcTrace(readFileSync(server.logFile, 'utf8'));
  if (events.length === 0 || !measured) return null;
  return summarizeGc(events, measured.from - server.startedAt, measured.to - server.startedAt);
}

/** Runs every (workload, system) of `plan` options.rounds times; resolves to every round's result. */
async function runRounds(plan, options) {
  const allRounds = [];
  for (let round = 0; round < options.rounds; round++) {
    if (options.rounds > 1) progress(`round ${round + 1} of ${options.rounds}`);
    for (const { workload, systems } of plan) {
      for (const system of rotation(systems, round)) {
        try {
          allRounds.push({ round: round + 1, ...(await runOne(workload, system, options, round + 1)) });
        } catch (error) {
          progress(`${workload} / ${system} failed: ${error.message}`);
          allRounds.push({ round: round + 1, system, workload, error: error.message });
        }
      }
    }
  }
  return allRounds;
}

/**
 * The latency workloads' offered rates: as given, or LATENCY_LOAD of Junction's median throughput
 * in this run's rpc and fan-out workloads (fan-out in publications/s). Undefined if neither.
 */
function offeredRates(options, results) {
  const junction = (workload) => results.find((r) => r.workload === workload && r.system === 'junction' && !r.error);
  return {
    rpcRate: options.rpcRate ?? (junction('rpc') ? LATENCY_LOAD * junction('rpc').throughput : undefined),
    fanoutRate: options.fanoutRate ?? (junction('fanout') ? LATENCY_LOAD * junction('fanout').publicationsPerSecond : undefined),
  };
}

async function runIdle(options) {
  const results = [];
  for (const system of options.systems.filter((s) => IDLE_SYSTEMS.includes(s))) {
    progress(`idle / ${system}: ${options.idleSessions} sessions, ${options.idleSeconds} s idle`);
    try {
      results.push(await measureIdle(system, options.idleSessions, { idleSeconds: options.idleSeconds, perAddress: IDLE_PER_ADDRESS, perProcess: IDLE_PER_PROCESS, baseline: options.baseline }));
    } catch (error) {
      progress(`idle / ${system} failed: ${error.message}`);
      results.push({ system, sessions: options.idleSessions, error: error.message });
    }
  }
  return results;
}

function planOf(workloads, options) {
  const available = options.systems.filter((system) => !unavailable(system));
  return workloads.map((workload) => ({ workload, systems: available.filter((system) => runsWorkload(system, workload)) }));
}

async function main() {
  const { options, exitCode } = readCommandLine(parseOptions, USAGE);
  if (!options) return exitCode;
  options.hardTimeoutMs = PER_RUN_BUDGET_MS;
  if (options.routerLog) mkdirSync(options.routerLog, { recursive: true });
  if (options.profile) {
    options.profileDir = fileURLToPath(new URL('./profiles/', import.meta.url));
    mkdirSync(options.profileDir, { recursive: true });
  }

  for (const system of options.systems) {
    const why = unavailable(system);
    if (why) progress(`${system}: skipped, ${why}`);
  }
  const throughputPlan = planOf(options.workloads.filter((w) => w !== 'idle' && !WORKLOADS[w].latency), options);
  const latencyPlan = planOf(options.workloads.filter((w) => w !== 'idle' && WORKLOADS[w].latency), options);
  const idle = options.workloads.includes('idle');
  for (const { workload, systems } of [...throughputPlan, ...latencyPlan]) {
    const skipped = options.systems.filter((system) => !systems.includes(system));
    if (skipped.length > 0) progress(`${workload}: not run on ${skipped.join(', ')} (not applicable or not available)`);
  }
  const runs = options.rounds * [...throughputPlan, ...latencyPlan].reduce((sum, { systems }) => sum + systems.length, 0);
  if (runs === 0 && !idle) {
    process.stderr.write('none of the chosen systems takes part in the chosen workloads\n');
    return 2;
  }
  const budgetMs = runs * PER_RUN_BUDGET_MS + (idle ? IDLE_BUDGET_MS * IDLE_SYSTEMS.length : 0);
  stopEverythingAfter(budgetMs, progress, `the whole run exceeded ${budgetMs / 1000} s; stopping everything`);
  const load = { before: loadavg() };

  const allRounds = await runRounds(throughputPlan, options);
  Object.assign(options, offeredRates(options, medianRounds(allRounds)));
  for (const { workload } of latencyPlan) {
    const rate = workload === 'rpc-latency' ? options.rpcRate : options.fanoutRate;
    if (rate === undefined) throw new Error(`${workload} needs an offered rate: give --${workload === 'rpc-latency' ? 'rpc' : 'fanout'}-rate, or run the ${workload.replace('-latency', '')} workload on junction in the same run`);
    progress(`${workload}: offering ${Math.round(rate)} ${workload === 'rpc-latency' ? 'calls' : 'publications'}/s`);
  }
  allRounds.push(...(await runRounds(latencyPlan, options)));
  const idleResults = idle ? await runIdle(options) : [];
  load.after = loadavg();
  const results = medianRounds(allRounds);

  const environment = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    platform: `${process.platform} ${process.arch}`,
    loadAverage: load,
  };
  const ran = [...throughputPlan, ...latencyPlan].map(({ workload }) => workload);
  if (options.json) {
    const ratios = {
      fanoutJunctionVsRelay: ratio(results, 'fanout', 'junction', 'relay'),
      fanoutJunctionVsSocketIo: ratio(results, 'fanout', 'junction', 'socketio'),
      rpcJunctionVsRelay: ratio(results, 'rpc', 'junction', 'relay'),
      rpcJunctionVsSocketIo: ratio(results, 'rpc', 'junction', 'socketio'),
      fanoutJunctionVsRelayCorked: ratio(results, 'fanout', 'junction', 'relay-corked'),
      rpcJunctionVsRelayCorked: ratio(results, 'rpc', 'junction', 'relay-corked'),
      // Each Junction system against Junction on WebSocket, per workload: throughput ratios.
      vsJunction: Object.fromEntries(ran.map((workload) => [
        workload,
        Object.fromEntries(options.systems.filter((s) => s.startsWith('junction-')).map((s) => [s, ratio(results, workload, s, 'junction')])),
      ])),
    };
    const { hardTimeoutMs, profileDir, help, json, ...settings } = options;
    process.stdout.write(`${JSON.stringify({ environment, settings, results, ratios, allRounds, idle: idleResults }, null, 2)}\n`);
  } else {
    const loads = (l) => l.map((x) => x.toFixed(2)).join(' ');
    const header = `Junction bench, ${environment.date}, node ${environment.node}, ${environment.cpus} CPUs, load average ${loads(load.before)} before / ${loads(load.after)} after, serializer ${options.serializer}, ${options.warmup} s warm-up + ${options.duration} s measured${options.rounds > 1 ? `, median of ${options.rounds} rounds` : ''}`;
    const tables = ran.map((w) => [formatWorkload(w, results, options), formatGc(w, allRounds)].filter(Boolean).join('\n\n'));
    const most = options.idleSessions === largestIdleCount() ? ' (the most one server process may hold here: ulimit -n less 200)' : '';
    if (idle) tables.push(`Idle: ${options.idleSessions} sessions${most}, each joined with 2 subscriptions, ${options.idleSeconds} s idle; memory per session = (joined - empty) / sessions, after a full GC for Junction; idle CPU is the server's during the idle time (keepalive pings: Junction every 25 s, the relay none)\n\n${formatIdleResults(idleResults)}`);
    process.stdout.write(`\n${header}\n\n${tables.join('\n\n')}\n`);
    const used = options.systems.filter((system) => [...throughputPlan, ...latencyPlan].some(({ systems }) => systems.includes(system)));
    if (used.length > 0) process.stdout.write(`\nSystems:\n${used.map((system) => `  ${system.padEnd(18)} ${describeSystem(system)}`).join('\n')}\n`);
    process.stdout.write(`\n${LEGEND}\n`);
    if (options.profileDir) process.stdout.write(`\nRouter CPU profiles: ${options.profileDir}\n`);
    if (options.routerLog) process.stdout.write(`\nRouter logs: ${options.routerLog}\n`);
  }
  // A run that lost events, calls or sessions measured a broken system: say so in the exit code too.
  return allRounds.some(hasFault) || idleResults.some((r) => r.error || r.open !== r.sessions) ? 1 : 0;
}

runEntryPoint(main, progress);
