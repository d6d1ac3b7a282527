#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { allocationSites } from './lib/heap-sites.mjs';

/**
 * Where a sampling heap profile's bytes were allocated (from bench/lib/heap-sampler.mjs): the
 * biggest allocation sites, each the innermost --depth frames of its stack.
 * Usage: node bench/heap-sample-summary.mjs FILE.heapprofile [--depth N] [--top N]
 */

const args = process.argv.slice(2);
const file = args.find((arg) => !arg.startsWith('--'));
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
if (!file) {
  process.stderr.write('Usage: node bench/heap-sample-summary.mjs FILE.heapprofile [--depth N] [--top N]\n');
  process.exit(2);
}
const { total, sites } = allocationSites(JSON.parse(readFileSync(file, 'utf8')), option('--depth', 2));
process.stdout.write(`${(total / 1e6).toFixed(2)} MB sampled\n`);
for (const { site, bytes } of sites.slice(0, option('--top', 30))) {
  process.stdout.write(`${((bytes / total) * 100).toFixed(1).padStart(5)}%  ${(bytes / 1e3).toFixed(0).padStart(7)} KB  ${site}\n`);
}
