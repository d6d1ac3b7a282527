#!/usr/bin/env node
import { readFileSync } from 'node:fs';

/**
 * Inclusive time in a V8 .cpuprofile (from `node bench/run.mjs --profile`): for each regular
 * expression given, the share of the busy (non-idle) samples whose stack has a frame matching it
 * (frames written `function@url:line`, url shortened to dist/... or node_modules/...). Where a
 * cost is spread over many small functions (Node's IPC, the relay) this says what the whole path
 * costs; bench/profile-summary.mjs gives self time per function. `--skip S` leaves out the first
 * S seconds (the router's start and the bench's warm-up).
 * V8 samples wall time: a native call (a pipe write) includes time the process waited for a core.
 * Usage: node bench/profile-stacks.mjs FILE.cpuprofile [--skip S] REGEX...
 */

const args = process.argv.slice(2);
const skipIndex = args.indexOf('--skip');
const skipMicros = skipIndex >= 0 ? Number(args[skipIndex + 1]) * 1e6 : 0;
const [file, ...patterns] = args.filter((_, i) => i !== skipIndex && i !== skipIndex + 1);
if (!file || patterns.length === 0) {
  process.stderr.write('Usage: node bench/profile-stacks.mjs FILE.cpuprofile [--skip S] REGEX...\n');
  process.exit(2);
}

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodesById = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const frame = ({ callFrame }) => `${callFrame.functionName}@${callFrame.url.replace(/.*\/(dist|node_modules)\//, '$1/')}:${callFrame.lineNumber}`;
const stackOf = (id) => {
  const frames = [];
  for (let at = id; at !== undefined; at = parentOf.get(at)) frames.push(frame(nodesById.get(at)));
  return frames.join(' < ');
};

const expressions = patterns.map((pattern) => new RegExp(pattern));
const matched = new Array(patterns.length).fill(0);
let busy = 0;
let sampled = 0;
let at = 0;
for (let i = 0; i < profile.samples.length; i++) {
  at += profile.timeDeltas[i];
  const micros = profile.timeDeltas[i + 1] ?? 0;
  if (at < skipMicros) continue;
  sampled += micros;
  const node = nodesById.get(profile.samples[i]);
  if (node.callFrame.functionName === '(idle)') continue;
  busy += micros;
  const stack = stackOf(node.id);
  expressions.forEach((expression, index) => {
    if (expression.test(stack)) matched[index] += micros;
  });
}

process.stdout.write(`${file}: ${(sampled / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(3)} s busy\n`);
patterns.forEach((pattern, index) => {
  const share = busy > 0 ? (100 * matched[index]) / busy : 0;
  process.stdout.write(`${(matched[index] / 1e3).toFixed(0).padStart(8)} ms ${share.toFixed(1).padStart(6)}% of busy  ${pattern}\n`);
});
