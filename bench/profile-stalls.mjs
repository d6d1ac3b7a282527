#!/usr/bin/env node
import { readFileSync } from 'node:fs';

/**
 * Finds the long busy stretches in a V8 .cpuprofile (from `node bench/run.mjs --profile`): runs
 * of consecutive samples outside "(idle)" longer than --min-ms (default 2), each with the
 * functions that took most of it. For finding what holds the event loop when a latency tail
 * appears (a long turn delays every reply queued behind it).
 * (--after-ms T skips the first T ms of the profile: the router's start and the clients' joins).
 * Usage: node bench/profile-stalls.mjs FILE.cpuprofile [--min-ms M] [--top N] [--after-ms T]
 */

const args = process.argv.slice(2);
const file = args.find((arg) => !arg.startsWith('--') && !/^\d/.test(arg));
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const minMs = option('--min-ms', 2);
const top = option('--top', 5);
const afterMs = option('--after-ms', 0);
if (!file) {
  process.stderr.write('Usage: node bench/profile-stalls.mjs FILE.cpuprofile [--min-ms M] [--top N]\n');
  process.exit(2);
}

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodesById = new Map(profile.nodes.map((node) => [node.id, node]));
const nameOf = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
};

const stretches = [];
let current = null;
let busyMicros = 0;
let elapsedMicros = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const delta = profile.timeDeltas[i + 1] ?? 0;
  elapsedMicros += delta;
  const node = nodesById.get(profile.samples[i]);
  const idle = node.callFrame.functionName === '(idle)' || node.callFrame.functionName === '(program)';
  if (elapsedMicros < afterMs * 1000) continue;
  if (idle) {
    if (current) stretches.push(current);
    current = null;
    continue;
  }
  busyMicros += delta;
  current ??= { startMs: elapsedMicros / 1000, micros: 0, self: new Map() };
  current.micros += delta;
  const name = nameOf(node);
  current.self.set(name, (current.self.get(name) ?? 0) + delta);
}
if (current) stretches.push(current);

const long = stretches.filter((stretch) => stretch.micros >= minMs * 1000);
const histogram = [1, 2, 5, 10, 20].map((ms) => `>=${ms} ms: ${stretches.filter((s) => s.micros >= ms * 1000).length}`);
process.stdout.write(
  `${file}: ${(elapsedMicros / 1e6).toFixed(2)} s profiled, ${((100 * busyMicros) / elapsedMicros).toFixed(1)}% busy, ` +
    `${stretches.length} busy stretches (${histogram.join(', ')})\n`,
);
for (const stretch of long) {
  const heaviest = [...stretch.self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  process.stdout.write(`at ${stretch.startMs.toFixed(1)} ms: ${(stretch.micros / 1000).toFixed(2)} ms busy\n`);
  for (const [name, micros] of heaviest) process.stdout.write(`    ${(micros / 1000).toFixed(2)} ms  ${name}\n`);
}
