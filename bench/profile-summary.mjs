#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/**
 * Summarizes a V8 .cpuprofile (from `node bench/run.mjs --profile`): the functions with the most
 * self time, and the share of time spent in our code (dist/src), in dependencies, in node
 * internals and in native/GC/idle frames.
 * Usage: node bench/profile-summary.mjs FILE.cpuprofile [--top N]
 */

const args = process.argv.slice(2);
const file = args.find((arg) => !arg.startsWith('--'));
const topIndex = args.indexOf('--top');
const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 25;
if (!file) {
  process.stderr.write('Usage: node bench/profile-summary.mjs FILE.cpuprofile [--top N]\n');
  process.exit(2);
}

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodesById = new Map(profile.nodes.map((node) => [node.id, node]));

// Self time per node: each sample charges the interval until the next sample to its node.
const selfMicros = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const delta = profile.timeDeltas[i + 1] ?? 0;
  selfMicros.set(profile.samples[i], (selfMicros.get(profile.samples[i]) ?? 0) + delta);
}

function where(frame) {
  if (!frame.url) return '';
  const path = frame.url.startsWith('file://') ? relative(process.cwd(), new URL(frame.url).pathname) : frame.url;
  return `${path}:${frame.lineNumber + 1}`;
}

function category(frame) {
  const url = frame.url ?? '';
  if (frame.functionName === '(idle)') return 'idle';
  if (!url) return 'native, GC and runtime';
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/node_modules/')) return 'dependencies';
  if (url.includes('/dist/src/')) return 'junction (dist/src)';
  return 'other';
}

const byFunction = new Map();
const byCategory = new Map();
let total = 0;
for (const [id, micros] of selfMicros) {
  const frame = nodesById.get(id).callFrame;
  const key = `${frame.functionName || '(anonymous)'}  ${where(frame)}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
  const group = category(frame);
  byCategory.set(group, (byCategory.get(group) ?? 0) + micros);
  total += micros;
}

const percent = (micros) => `${((micros / total) * 100).toFixed(1).padStart(5)}%`;
process.stdout.write(`${file}: ${(total / 1e6).toFixed(2)} s sampled\n\nBy origin (self time):\n`);
for (const [group, micros] of [...byCategory].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${percent(micros)}  ${group}\n`);
process.stdout.write(`\nTop ${top} functions by self time:\n`);
for (const [key, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`  ${percent(micros)}  ${key}\n`);
