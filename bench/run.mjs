#!/usr/bin/env node
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseOptions, readCommandLine, USAGE } from './lib/options.mjs';
import { formatWorkload, LEGEND, ratio } from './lib/report.mjs';
import { runEntryPoint, stopEverythingAfter } from './lib/children.mjs';
import { medianRounds, rotation } from './lib/rounds.mjs';
import { describeSystem, runsWorkload, startSystem } from './systems.mjs';
import { runFanout, runPublish } from './workloads/fanout.mjs';
import { runRpc } from './workloads/rpc.mjs';

/**
 * Entry point (`npm run bench`): for each workload, starts each system that can take part in it
 * (systems.mjs) in its own process, drives it from forked load-generator processes, stops it, and
 * finally prints one table per workload with the Junction/relay and Junction/Socket.IO ratios and
 * each Junction transport against Junction on WebSocket. Every child is stopped on any exit path.
 */

const RUNNERS = { fanout: runFanout, rpc: runRpc, publish: runPublish };
// Per system and workload: server start + client setup + warm-up + measurement + drains.
const PER_RUN_BUDGET_MS = 150_000;

function progress(text) {
  process.stderr.write(`[bench] ${text}\n`);
}

async function runOne(workload, system, options) {
  progress(`${workload} / ${system}: starting server`);
  const server = await startSystem(system, options);
  try {
    progress(`${workload} / ${system}: running (${options.warmup} s warm-up + ${options.duration} s measured)`);
    return await RUNNERS[workload](server, options);
  } finally {
    await server.stop();
  }
}

async function main() {
  const { options, exitCode } = readCommandLine(parseOptions, USAGE);
  if (!options) return exitCode;
  options.hardTimeoutMs = PER_RUN_BUDGET_MS;
  if (options.profile) {
    options.profileDir = fileURLToPath(new URL('./profiles/', import.meta.url));
    mkdirSync(options.profileDir, { recursive: true });
  }

  const plan = options.workloads.map((workload) => ({ workload, systems: options.systems.filter((system) => runsWorkload(system, workload)) }));
  for (const { workload, systems } of plan) {
    const skipped = options.systems.filter((system) => !systems.includes(system));
    if (skipped.length > 0) progress(`${workload}: not run on ${skipped.join(', ')} (not applicable)`);
  }
  const runs = options.rounds * plan.reduce((sum, { systems }) => sum + systems.length, 0);
  if (runs === 0) {
    process.stderr.write('none of the chosen systems takes part in the chosen workloads\n');
    return 2;
  }
  stopEverythingAfter(runs * PER_RUN_BUDGET_MS, progress, `the whole run exceeded ${(runs * PER_RUN_BUDGET_MS) / 1000} s; stopping everything`);

  const allRounds = [];
  for (let round = 0; round < options.rounds; round++) {
    if (options.rounds > 1) progress(`round ${round + 1} of ${options.rounds}`);
    for (const { workload, systems } of plan) {
      for (const system of rotation(systems, round)) {
        try {
          allRounds.push({ round: round + 1, ...(await runOne(workload, system, options)) });
        } catch (error) {
          progress(`${workload} / ${system} failed: ${error.message}`);
          allRounds.push({ round: round + 1, system, workload, error: error.message });
        }
      }
    }
  }
  const results = medianRounds(allRounds);

  const environment = { date: new Date().toISOString(), node: process.version, cpus: availableParallelism(), platform: `${process.platform} ${process.arch}` };
  if (options.json) {
    const ratios = {
      fanoutJunctionVsRelay: ratio(results, 'fanout', 'junction', 'relay'),
      fanoutJunctionVsSocketIo: ratio(results, 'fanout', 'junction', 'socketio'),
      rpcJunctionVsRelay: ratio(results, 'rpc', 'junction', 'relay'),
      rpcJunctionVsSocketIo: ratio(results, 'rpc', 'junction', 'socketio'),
      fanoutJunctionVsRelayCorked: ratio(results, 'fanout', 'junction', 'relay-corked'),
      rpcJunctionVsRelayCorked: ratio(results, 'rpc', 'junction', 'relay-corked'),
      // Each Junction transport against Junction on WebSocket, per workload: throughput ratios.
      transportsVsWebSocket: Object.fromEntries(options.workloads.map((workload) => [
        workload,
        Object.fromEntries(options.systems.filter((s) => s.startsWith('junction-')).map((s) => [s, ratio(results, workload, s, 'junction')])),
      ])),
    };
    const { hardTimeoutMs, profileDir, help, json, ...settings } = options;
    process.stdout.write(`${JSON.stringify({ environment, settings, results, ratios, allRounds }, null, 2)}\n`);
  } else {
    const header = `Junction bench, ${environment.date}, node ${environment.node}, ${environment.cpus} CPUs, serializer ${options.serializer}, ${options.warmup} s warm-up + ${options.duration} s measured${options.rounds > 1 ? `, median of ${options.rounds} rounds` : ''}`;
    process.stdout.write(`\n${header}\n\n${options.workloads.map((w) => formatWorkload(w, results, options)).join('\n\n')}\n`);
    const used = options.systems.filter((system) => plan.some(({ systems }) => systems.includes(system)));
    process.stdout.write(`\nSystems:\n${used.map((system) => `  ${system.padEnd(18)} ${describeSystem(system)}`).join('\n')}\n`);
    process.stdout.write(`\n${LEGEND}\n`);
    if (options.profileDir) process.stdout.write(`\nRouter CPU profiles: ${options.profileDir}\n`);
  }
  // A run that lost events or calls measured a broken system: say so in the exit code too.
  return allRounds.some((r) => r.error || r.lost || r.duplicates || r.reordered || r.publishErrors || r.callErrors) ? 1 : 0;
}

runEntryPoint(main, progress);
