#!/usr/bin/env node
import { readFileSync } from 'node:fs';

/**
 * Where a heap snapshot's bytes are: self size and count per constructor (objects), or per node
 * type for the rest (strings, closures' contexts, arrays, code), biggest first.
 *
 *   node bench/heap-summary.mjs FILE.heapsnapshot [--top N] [--per COUNT]
 *
 * --per COUNT divides by COUNT too (e.g. the number of sessions, for bytes per session).
 */

const args = process.argv.slice(2);
const file = args.find((arg) => !arg.startsWith('--'));
if (!file) {
  process.stderr.write('usage: node bench/heap-summary.mjs FILE.heapsnapshot [--top N] [--per COUNT]\n');
  process.exit(2);
}
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const top = option('--top', 40);
const per = option('--per', 0);

const snapshot = JSON.parse(readFileSync(file, 'utf8'));
const meta = snapshot.snapshot.meta;
const fields = meta.node_fields;
const types = meta.node_types[0];
const width = fields.length;
const typeAt = fields.indexOf('type');
const nameAt = fields.indexOf('name');
const sizeAt = fields.indexOf('self_size');
const { nodes, strings } = snapshot;

const groups = new Map();
let total = 0;
for (let i = 0; i < nodes.length; i += width) {
  const type = types[nodes[i + typeAt]];
  const size = nodes[i + sizeAt];
  total += size;
  const key = type === 'object' || type === 'closure' ? `${type} ${strings[nodes[i + nameAt]]}` : `(${type})`;
  const group = groups.get(key) ?? { size: 0, count: 0 };
  group.size += size;
  group.count += 1;
  groups.set(key, group);
}
const rows = [...groups].sort((a, b) => b[1].size - a[1].size).slice(0, top);
const perText = (value) => (per > 0 ? `  ${(value / per).toFixed(1).padStart(8)}` : '');
process.stdout.write(`total ${(total / 2 ** 20).toFixed(1)} MiB${per > 0 ? `, ${(total / per).toFixed(0)} bytes per ${per}` : ''}\n`);
process.stdout.write(`${'bytes'.padStart(12)}  ${'count'.padStart(9)}${per > 0 ? `  ${'B/each'.padStart(8)}  ${'n/each'.padStart(8)}` : ''}  what\n`);
for (const [key, { size, count }] of rows) {
  process.stdout.write(`${String(size).padStart(12)}  ${String(count).padStart(9)}${perText(size)}${per > 0 ? `  ${(count / per).toFixed(2).padStart(8)}` : ''}  ${key}\n`);
}
