import { Server } from 'node:net';
import { Stream } from 'node:stream';
import { getHeapSnapshot } from 'node:v8';

/**
 * A leak finder for tests that repeat a client's misstep: the size of every Map and Set, and the
 * length of every array, reachable through the properties of `roots`, summed per owner class and
 * property name ("Dealer.invocations"), so that the count of a table does not depend on which
 * session or realm holds it. Closures and `#private` fields are not reachable: the doors' own
 * tables are checked through their metrics, and the heap through `heapCensus`.
 */
export function census(roots: readonly unknown[], maxObjects = 400_000): Map<string, number> {
  const sizes = new Map<string, number>();
  const seen = new Set<object>();
  const queue: Array<[unknown, string]> = roots.map((root) => [root, 'root']);
  const add = (pattern: string, size: number) => sizes.set(pattern, (sizes.get(pattern) ?? 0) + size);
  for (let next = 0; next < queue.length && seen.size < maxObjects; next++) {
    const [value, pattern] = queue[next]!;
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    if (skipped(value)) continue;
    if (value instanceof Map) {
      add(pattern, value.size);
      for (const [key, entry] of value) {
        queue.push([key, `${pattern}<key>`]);
        queue.push([entry, `${pattern}[*]`]);
      }
    } else if (value instanceof Set) {
      add(pattern, value.size);
      for (const entry of value) queue.push([entry, `${pattern}[*]`]);
    } else if (Array.isArray(value)) {
      add(pattern, value.length);
      for (const entry of value) queue.push([entry, `${pattern}[]`]);
    } else {
      const owner = value.constructor?.name || 'Object';
      for (const key of Object.keys(value)) {
        if (key.startsWith('_')) continue; // Node's and ws's internals
        queue.push([(value as Record<string, unknown>)[key], owner === 'Object' ? `${pattern}.${key}` : `${owner}.${key}`]);
      }
    }
  }
  return sizes;
}

function skipped(value: object): boolean {
  return value instanceof Stream || value instanceof Server || ArrayBuffer.isView(value) || value instanceof ArrayBuffer
    || value instanceof Promise || value instanceof Date || value instanceof RegExp || value instanceof WeakMap || value instanceof WeakSet;
}

/** The tables of `after` larger than in `before` by at least `by` entries, as "pattern: before -> after". */
export function grown(before: Map<string, number>, after: Map<string, number>, by: number): string[] {
  const found: string[] = [];
  for (const [pattern, size] of after) {
    const was = before.get(pattern) ?? 0;
    if (size - was >= by) found.push(`${pattern}: ${was} -> ${size}`);
  }
  return found;
}

/** Node types of a heap snapshot that hold compiled code and its feedback: they grow as V8 optimizes hot functions, whatever clients leave behind. */
const compilerTypes = new Set(['code', 'hidden', 'object shape', 'synthetic']);

/**
 * Objects and closures on the heap by constructor or function name ("object:ChannelState",
 * "closure:onData"), strings of every kind as "string", from a heap snapshot (which collects
 * garbage first). Compiled code is left out: over a few hundred repeats of one step V8 optimizes
 * more of the code it runs, which grew the heap by 300 to 700 bytes a repeat with no object left
 * behind, so bytes say little and counts are what is compared. Kept as one string (not a Map of
 * some 6,000 names): a census alive at the next look must not count in it.
 */
export async function heapCensus(): Promise<string> {
  const chunks: string[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(String(chunk));
  const snapshot = JSON.parse(chunks.join('')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const fields = snapshot.snapshot.meta.node_fields;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const types = snapshot.snapshot.meta.node_types[0];
  const counts = new Map<string, number>();
  for (let node = 0; node < snapshot.nodes.length; node += fields.length) {
    const type = types[snapshot.nodes[node + typeAt]!]!;
    if (compilerTypes.has(type)) continue;
    const key = type.endsWith('string') ? 'string' : type === 'object' || type === 'closure' ? `${type}:${snapshot.strings[snapshot.nodes[node + nameAt]!]}` : undefined;
    if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return JSON.stringify([...counts]);
}

/** Objects of one kind a test process may hold more of at one look than at another, the node having left none (20 seen). */
const HEAP_NOISE = 40;

/**
 * The kinds of heap objects of `after` more numerous than in `before` by at least `by`; strings
 * by at least twice that (a test process makes and drops some a repeat: 99 more after 100
 * repeats that left no string in the node).
 */
function heapGrown(before: string, after: string, by: number): string[] {
  const was = new Map(JSON.parse(before) as Array<[string, number]>);
  return (JSON.parse(after) as Array<[string, number]>)
    .filter(([key, count]) => count - (was.get(key) ?? 0) >= (key === 'string' ? 2 * by : by))
    .map(([key, count]) => `${key}: ${was.get(key) ?? 0} -> ${count}`);
}

/**
 * Caches keyed by a client's URIs, bounded by design: they may grow with new names up to their
 * bound, summed over every instance (one per role).
 */
export const knownCaches: ReadonlyMap<string, number> = new Map([
  ['PermissionTable.decided', 4 * 4096],
]);

/** What the router shows of a node's state: its gauges (every series), its tables, and (when asked) its heap objects. */
export interface LeakBaseline {
  gauges: Map<string, number>;
  tables: Map<string, number>;
  heap: string | undefined;
}

/** Gauges that move by themselves (the process's own figures), not with what clients leave behind. */
const unsteadyGauge = /^(process_|nodejs_|junction_event_loop|junction_forwarder_oldest_age)/;

/**
 * Gauges of the bounded caches clients fill with distinct names (src/node/cache-metrics.ts): they
 * grow up to their bound by design, so they are not "back where they were" after a client's
 * distinct URIs; test/integration/cache-metrics.test.ts checks them.
 */
const cacheGauge = /^junction_(authorization_cached|mqtt_topic_names_cached|client_roles_shared)$/;

/** Every series of every gauge in a metrics exposition, but the process's own and the caches'. */
export function gaugeSeries(exposition: string): Map<string, number> {
  const names = new Set<string>();
  const series = new Map<string, number>();
  for (const line of exposition.split('\n')) {
    const typed = /^# TYPE (\S+) gauge$/.exec(line);
    if (typed) {
      if (!unsteadyGauge.test(typed[1]!) && !cacheGauge.test(typed[1]!)) names.add(typed[1]!);
      continue;
    }
    if (line.startsWith('#') || line === '') continue;
    const name = line.slice(0, Math.min(...[line.indexOf('{'), line.indexOf(' ')].filter((at) => at >= 0)));
    if (!names.has(name)) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

/**
 * A node's state before a client's misstep is repeated, and the check that it came back after:
 * every gauge back to its value (a series that appeared must be 0), and no table reachable from
 * `roots` grown by a quarter of the repeats or more. With `heap`, also no kind of object (by
 * constructor) nor the strings grown by most of the repeats: a leak the tables cannot see, one
 * held in a closure or a `#private` field (a door's own tables), shows too. A heap snapshot takes
 * seconds on a loaded machine: it is for the steps whose state the router's tables do not hold.
 */
export class LeakWatch {
  /** `caches`: tables that may grow with a client's distinct names up to their bound (pattern -> bound). */
  constructor(private readonly exposition: () => string, private readonly roots: () => readonly unknown[], private readonly caches: ReadonlyMap<string, number> = new Map()) {}

  /** The state once the gauges held still for `quietMs` (connections of a warm-up may still be closing), at most `timeoutMs`. */
  async baseline(heap: boolean, quietMs = 400, timeoutMs = 10_000): Promise<LeakBaseline> {
    const deadline = Date.now() + timeoutMs;
    let gauges = gaugeSeries(this.exposition());
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, quietMs));
      const now = gaugeSeries(this.exposition());
      const still = now.size === gauges.size && [...now].every(([series, value]) => gauges.get(series) === value);
      gauges = now;
      if (still || Date.now() > deadline) break;
    }
    return { gauges, tables: census(this.roots()), heap: heap ? await heapCensus() : undefined };
  }

  /** Waits (up to `timeoutMs`) for everything to come back, then fails naming what did not. */
  async assertBack(before: LeakBaseline, repeats: number, what: string, timeoutMs = 15_000): Promise<void> {
    const problems = async (): Promise<string[]> => {
      const found: string[] = [];
      const gauges = gaugeSeries(this.exposition());
      for (const [series, value] of gauges) {
        const was = before.gauges.get(series) ?? 0;
        if (value !== was) found.push(`gauge ${series}: ${was} -> ${value}`);
      }
      const tables = census(this.roots());
      for (const [pattern, bound] of this.caches) {
        if ((tables.get(pattern) ?? 0) > bound) found.push(`cache ${pattern}: ${tables.get(pattern)} entries, over its bound ${bound}`);
        tables.delete(pattern);
      }
      for (const table of grown(before.tables, tables, Math.max(1, Math.floor(repeats / 4)))) found.push(`table ${table}`);
      if (found.length === 0 && before.heap !== undefined) {
        for (const kind of heapGrown(before.heap, await heapCensus(), Math.max(HEAP_NOISE, Math.ceil(repeats * 0.8)))) found.push(`heap objects ${kind}`);
      }
      return found;
    };
    const deadline = Date.now() + timeoutMs;
    let found = await problems();
    while (found.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      found = await problems();
    }
    if (found.length > 0) throw new Error(`${what}, ${repeats} times: not back where it was:\n  ${found.join('\n  ')}`);
  }
}

/** Runs `step` `repeats` times, `parallel` at a time, each bounded by `timeoutMs`. */
export async function repeat(repeats: number, step: (index: number) => Promise<void>, parallel = 8): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < repeats) await step(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, repeats) }, lane));
}

/**
 * Repeats a client's misstep `repeats` times (`step` is given its index, which also picks how the
 * client goes), then checks with `watch` that everything came back. A few rounds come first: what
 * a door makes once (its internal session, a cache of a code path) is not a leak; the baseline is
 * taken once the gauges held still for `quietMs` (longer than anything the warm-up left expires in);
 * `heap`: the heap's objects are compared too (LeakWatch).
 */
export async function leaves(watch: LeakWatch, what: string, step: (index: number) => Promise<void>, { parallel = 8, repeats = 200, warmUp = 12, quietMs = 400, heap = false } = {}): Promise<void> {
  await repeat(warmUp, (index) => step(repeats + index), parallel);
  const before = await watch.baseline(heap, quietMs);
  await repeat(repeats, step, parallel);
  await watch.assertBack(before, repeats, what);
}
