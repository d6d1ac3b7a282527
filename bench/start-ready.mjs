#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuSeconds } from './lib/cpu.mjs';

const usage = `Usage: node bench/start-ready.mjs [--root DIR] [--runs N] [--timeout SECONDS] [-- START OPTIONS...]

Times "junction start" from spawn to ready: until its log says the last service is "listening".
Each run starts the CLI of DIR (default: this checkout) in a new empty working folder with
--port 0 and any START OPTIONS (default: the embedded default config), reads the CPU time the
process used by then (/proc), stops it with SIGINT and waits for its exit. Prints each run and
min/median/max of wall and CPU milliseconds to ready.
`;

const { values, positionals } = parseArgs({
  options: {
    root: { type: 'string', default: '.' },
    runs: { type: 'string', default: '5' },
    timeout: { type: 'string', default: '30' },
    help: { type: 'boolean', short: 'h' },
  },
  allowPositionals: true,
});
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}
const runs = Number(values.runs);
const timeoutMs = Number(values.timeout) * 1000;
if (!Number.isInteger(runs) || runs < 1 || runs > 100) throw new Error(`--runs must be an integer from 1 to 100, got "${values.runs}"`);
if (!(timeoutMs > 0)) throw new Error(`--timeout must be a positive number of seconds, got "${values.timeout}"`);
const cli = join(resolve(values.root), 'bin/junction.js');

/** Starts the CLI, resolves with { wallMs, cpuMs } once the node serves, then stops it. */
async function oneRun() {
  const cwd = mkdtempSync(join(tmpdir(), 'start-ready-'));
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'start', '--port', '0', '--log-level', 'info', ...positionals], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  try {
    const ready = await new Promise((resolveReady, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready within ${timeoutMs} ms:\n${output.slice(-4000)}`)), timeoutMs);
      const read = (chunk) => {
        output += chunk;
        // The node logs "listening" per service, all at once, after everything has started.
        if (/"msg":"listening"/.test(output)) {
          clearTimeout(timer);
          resolveReady({ wallMs: performance.now() - started, cpuMs: (cpuSeconds(child.pid) ?? NaN) * 1000 });
        }
      };
      child.stdout.setEncoding('utf8').on('data', read);
      child.stderr.setEncoding('utf8').on('data', read);
      child.on('exit', (code, signal) => reject(new Error(`exited before ready (${signal ?? code}):\n${output.slice(-4000)}`)));
    });
    return ready;
  } finally {
    const exited = new Promise((done) => (child.exitCode !== null || child.signalCode !== null ? done() : child.once('exit', done)));
    child.kill('SIGINT');
    const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(forced);
    rmSync(cwd, { recursive: true, force: true });
  }
}

function summary(label, numbers) {
  const sorted = [...numbers].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return `${label}: min ${sorted[0].toFixed(0)}  median ${median.toFixed(0)}  max ${sorted.at(-1).toFixed(0)}`;
}

const results = [];
for (let run = 1; run <= runs; run++) {
  const result = await oneRun();
  results.push(result);
  process.stdout.write(`run ${run}: ready after ${result.wallMs.toFixed(0)} ms wall, ${result.cpuMs.toFixed(0)} ms CPU\n`);
}
process.stdout.write(`${summary('wall ms to ready', results.map((r) => r.wallMs))}\n${summary('CPU ms to ready', results.map((r) => r.cpuMs))}\n`);
