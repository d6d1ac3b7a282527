#!/usr/bin/env node
import { numberOption, readHeapSnapshot } from './lib/heap-snapshot.mjs';

/**
 * Who holds the objects of one constructor in a heap snapshot: every instance's retainers (the
 * objects with an edge to it, and that edge's name), `--depth` levels up, grouped by that chain
 * and counted, most frequent first. Answers "6.6 Buffers per connection: whose are they?", which
 * heap-summary.mjs (what) and heap-owners.mjs (dominators) do not.
 *
 *   node bench/heap-retainers.mjs FILE.heapsnapshot NAME [--depth N] [--top N] [--per COUNT]
 *
 * NAME is a constructor ("Buffer") or, in parentheses, a node type ("(string)", "(closure)").
 * Weak edges are left out; a chain stops at a retainer that is not an object, closure or array
 * after one more step, and at the roots.
 */

const args = process.argv.slice(2);
const [file, wanted] = args.filter((arg) => !arg.startsWith('--') && !/^\d+$/.test(arg));
if (!file || !wanted) {
  process.stderr.write('usage: node bench/heap-retainers.mjs FILE.heapsnapshot NAME [--depth N] [--top N] [--per COUNT]\n');
  process.exit(2);
}
const option = (name, fallback) => numberOption(args, name, fallback);
const depth = option('--depth', 2);
const top = option('--top', 20);
const per = option('--per', 1);

const {
  nodes, edges, strings, nodeWidth, edgeWidth, nodeTypes, edgeTypes, TYPE, NAME, SIZE, EDGES, EDGE_TYPE, EDGE_NAME, EDGE_TO, WEAK,
} = readHeapSnapshot(file);
const count = nodes.length / nodeWidth;

const typeOf = (n) => nodeTypes[nodes[n * nodeWidth + TYPE]];
const nameOf = (n) => strings[nodes[n * nodeWidth + NAME]];
const matches = wanted.startsWith('(') ? (n) => `(${typeOf(n)})` === wanted : (n) => typeOf(n) === 'object' && nameOf(n) === wanted;
const label = (n) => {
  const type = typeOf(n);
  if (type === 'object' || type === 'closure') return `${type === 'closure' ? 'closure ' : ''}${nameOf(n).slice(0, 40) || '(anonymous)'}`;
  if (type === 'synthetic') return nameOf(n).slice(0, 40);
  return `(${type})`;
};
const edgeName = (e) => {
  const type = edgeTypes[edges[e + EDGE_TYPE]];
  const name = edges[e + EDGE_NAME];
  return type === 'element' || type === 'hidden' ? `[${type === 'hidden' ? 'hidden' : 'i'}]` : String(strings[name]).slice(0, 30);
};

// Retainers of every node: reverse strong edges.
const retainerCount = new Uint32Array(count + 1);
for (let n = 0, e = 0; n < count; n++) {
  for (const end = e + nodes[n * nodeWidth + EDGES] * edgeWidth; e < end; e += edgeWidth) {
    if (edges[e + EDGE_TYPE] !== WEAK) retainerCount[edges[e + EDGE_TO] / nodeWidth + 1]++;
  }
}
for (let i = 0; i < count; i++) retainerCount[i + 1] += retainerCount[i];
const retainerNode = new Uint32Array(retainerCount[count]);
const retainerEdge = new Uint32Array(retainerCount[count]);
const fill = retainerCount.slice(0, count);
for (let n = 0, e = 0; n < count; n++) {
  for (const end = e + nodes[n * nodeWidth + EDGES] * edgeWidth; e < end; e += edgeWidth) {
    if (edges[e + EDGE_TYPE] === WEAK) continue;
    const slot = fill[edges[e + EDGE_TO] / nodeWidth]++;
    retainerNode[slot] = n;
    retainerEdge[slot] = e;
  }
}

/** Chains of `levels` retainers above n, as text ("Parser.buffer <- Connection.parser"); only the first retainer per level past the first. */
function chains(n, levels) {
  const found = [];
  for (let r = retainerCount[n]; r < retainerCount[n + 1]; r++) {
    const holder = retainerNode[r];
    const step = `${label(holder)}.${edgeName(retainerEdge[r])}`;
    const type = typeOf(holder);
    const goOn = levels > 1 && holder !== 0 && (type === 'object' || type === 'closure' || type === 'array' || type === 'hidden');
    const above = goOn ? firstChain(holder, levels - 1) : '';
    found.push(above ? `${step} <- ${above}` : step);
  }
  return found;
}

function firstChain(n, levels) {
  const [first] = chains(n, levels);
  return first ?? '';
}

const groups = new Map();
let instances = 0;
let bytes = 0;
for (let n = 0; n < count; n++) {
  if (!matches(n)) continue;
  instances++;
  bytes += nodes[n * nodeWidth + SIZE];
  for (const chain of chains(n, depth)) groups.set(chain, (groups.get(chain) ?? 0) + 1);
}
process.stdout.write(`${instances} ${wanted} (${(bytes / 2 ** 20).toFixed(1)} MiB self)${per > 1 ? `, ${(instances / per).toFixed(2)} per ${per}` : ''}; retainers:\n`);
for (const [chain, times] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  process.stdout.write(`${String(times).padStart(9)}  ${per > 1 ? `${(times / per).toFixed(2).padStart(6)}  ` : ''}${chain}\n`);
}
