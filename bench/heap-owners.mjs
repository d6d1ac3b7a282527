#!/usr/bin/env node
import { numberOption, readHeapSnapshot } from './lib/heap-snapshot.mjs';

/**
 * Who owns the bytes of a heap snapshot: each node is charged to its nearest dominator that is
 * an object of a named constructor (the one object through which every path from the roots to
 * it passes), so "Receiver" counts the Receiver and everything only it keeps alive. Prints, per
 * owner, the retained bytes and, with --detail, what they are made of (type and name of the
 * owned nodes).
 *
 *   node bench/heap-owners.mjs FILE.heapsnapshot [--per COUNT] [--top N] [--detail N]
 *
 * --per COUNT divides by COUNT (e.g. the number of sessions, for bytes per session).
 * Owners that are plain objects ("Object", "Array") are not owners: their bytes go further up.
 */

const args = process.argv.slice(2);
const file = args.find((arg) => !arg.startsWith('--') && !/^\d+$/.test(arg));
if (!file) {
  process.stderr.write('usage: node bench/heap-owners.mjs FILE.heapsnapshot [--per COUNT] [--top N] [--detail N]\n');
  process.exit(2);
}
const option = (name, fallback) => numberOption(args, name, fallback);
const per = option('--per', 1);
const top = option('--top', 40);
const detail = option('--detail', 0);

const {
  nodes, edges, strings, nodeWidth, edgeWidth, nodeTypes, edgeTypes, TYPE, NAME, SIZE, EDGES, EDGE_TYPE, EDGE_NAME, EDGE_TO, WEAK, SHORTCUT,
} = readHeapSnapshot(file);
const count = nodes.length / nodeWidth;

// Forward edges (strong only) in CSR form.
const firstEdge = new Uint32Array(count + 1);
for (let n = 0, e = 0; n < count; n++) {
  firstEdge[n] = e;
  e += nodes[n * nodeWidth + EDGES] * edgeWidth;
}
firstEdge[count] = edges.length;
const strong = (e) => edges[e + EDGE_TYPE] !== WEAK && edges[e + EDGE_TYPE] !== SHORTCUT;

// Depth-first postorder from the root (node 0), iteratively.
const order = new Int32Array(count).fill(-1); // postorder number
const byOrder = new Uint32Array(count);
const visited = new Uint8Array(count);
const stack = new Uint32Array(count);
const cursor = new Uint32Array(count);
let top_ = 0;
let next = 0;
stack[top_++] = 0;
visited[0] = 1;
cursor[0] = firstEdge[0];
while (top_ > 0) {
  const n = stack[top_ - 1];
  let pushed = false;
  while (cursor[n] < firstEdge[n + 1]) {
    const e = cursor[n];
    cursor[n] += edgeWidth;
    if (!strong(e)) continue;
    const to = edges[e + EDGE_TO] / nodeWidth;
    if (visited[to]) continue;
    visited[to] = 1;
    cursor[to] = firstEdge[to];
    stack[top_++] = to;
    pushed = true;
    break;
  }
  if (!pushed) {
    top_--;
    order[n] = next;
    byOrder[next++] = n;
  }
}

// Predecessors (strong edges among reachable nodes).
const predCount = new Uint32Array(count + 1);
for (let n = 0; n < count; n++) {
  if (!visited[n]) continue;
  for (let e = firstEdge[n]; e < firstEdge[n + 1]; e += edgeWidth) if (strong(e)) predCount[edges[e + EDGE_TO] / nodeWidth + 1]++;
}
for (let i = 0; i < count; i++) predCount[i + 1] += predCount[i];
const preds = new Uint32Array(predCount[count]);
const fill = predCount.slice(0, count);
for (let n = 0; n < count; n++) {
  if (!visited[n]) continue;
  for (let e = firstEdge[n]; e < firstEdge[n + 1]; e += edgeWidth) if (strong(e)) preds[fill[edges[e + EDGE_TO] / nodeWidth]++] = n;
}

// Dominators: Cooper, Harvey and Kennedy's iterative algorithm over reverse postorder.
const UNDEFINED = 0xffffffff;
const idom = new Uint32Array(count).fill(UNDEFINED);
idom[0] = 0;
const intersect = (a, b) => {
  while (a !== b) {
    while (order[a] < order[b]) a = idom[a];
    while (order[b] < order[a]) b = idom[b];
  }
  return a;
};
for (let changed = true; changed;) {
  changed = false;
  for (let i = next - 2; i >= 0; i--) {
    const n = byOrder[i];
    let dom = UNDEFINED;
    for (let p = predCount[n]; p < predCount[n + 1]; p++) {
      const pred = preds[p];
      if (idom[pred] === UNDEFINED) continue;
      dom = dom === UNDEFINED ? pred : intersect(pred, dom);
    }
    if (dom !== idom[n]) {
      idom[n] = dom;
      changed = true;
    }
  }
}

const typeOf = (n) => nodeTypes[nodes[n * nodeWidth + TYPE]];
const nameOf = (n) => strings[nodes[n * nodeWidth + NAME]];
const NOT_OWNERS = new Set(['Object', 'Array', 'system / Context', '(object properties)', '(object elements)', 'Map', 'Set']);
const isOwner = (n) => n === 0 || (typeOf(n) === 'object' && !NOT_OWNERS.has(nameOf(n)) && !nameOf(n).startsWith('system /'));
const label = (n) => (n === 0 ? '(roots)' : nameOf(n));
const what = (n) => {
  const type = typeOf(n);
  if (type === 'object' || type === 'closure') return `${type} ${nameOf(n).slice(0, 40)}`;
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string') return '(string)';
  return `(${type})`;
};

// Owner of each node: itself if it is an owner, else its dominator's owner (dominators come
// earlier in reverse postorder, so one pass in that order suffices).
const owner = new Uint32Array(count);
const owners = new Map();
for (let i = next - 1; i >= 0; i--) {
  const n = byOrder[i];
  owner[n] = isOwner(n) ? n : owner[idom[n]];
  const key = label(owner[n]);
  let entry = owners.get(key);
  if (!entry) owners.set(key, (entry = { size: 0, owners: new Set(), parts: new Map() }));
  const size = nodes[n * nodeWidth + SIZE];
  entry.size += size;
  entry.owners.add(owner[n]);
  if (detail > 0) {
    const part = what(n);
    const p = entry.parts.get(part) ?? { size: 0, count: 0 };
    p.size += size;
    p.count++;
    entry.parts.set(part, p);
  }
}

let total = 0;
for (const entry of owners.values()) total += entry.size;
process.stdout.write(`reachable ${(total / 2 ** 20).toFixed(1)} MiB${per > 1 ? `, ${(total / per).toFixed(0)} bytes per ${per}` : ''}\n`);
process.stdout.write(`${'bytes'.padStart(11)}  ${'B/each'.padStart(8)}  ${'owners'.padStart(7)}  owner\n`);
for (const [key, entry] of [...owners].sort((a, b) => b[1].size - a[1].size).slice(0, top)) {
  process.stdout.write(`${String(entry.size).padStart(11)}  ${(entry.size / per).toFixed(1).padStart(8)}  ${String(entry.owners.size).padStart(7)}  ${key}\n`);
  if (detail > 0) {
    for (const [part, p] of [...entry.parts].sort((a, b) => b[1].size - a[1].size).slice(0, detail)) {
      process.stdout.write(`${''.padStart(11)}  ${(p.size / per).toFixed(1).padStart(8)}  ${(p.count / per).toFixed(2).padStart(7)}    ${part}\n`);
    }
  }
}
