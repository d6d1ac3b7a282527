/**
 * Preloaded into the router by the soak test (`node --expose-gc --import bench/lib/router-probe.mjs
 * bin/junction.js start ...`): answers the parent's { type: 'probe' } over the IPC channel with
 * what only the process itself can see: its memory after a full garbage collection (when node runs
 * with --expose-gc) and its active libuv handles and requests, by kind. The router's own code is
 * unchanged; without an IPC channel this module does nothing. With `snapshot: PATH` in the probe
 * message it first writes a V8 heap snapshot there (bench/idle.mjs --heap-snapshot).
 */

import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

const ARENA_ALIGN = 64 * 2 ** 20;

/**
 * Resident bytes of this process by kind of mapping, from /proc/self/smaps: `mallocHeap` the C
 * heap's main arena (brk: node's and libuv's own objects), `mallocArenas` glibc's arenas of other
 * threads (64 MiB-aligned anonymous mappings: V8's GC and compiler threads), `otherAnon` the rest
 * of the anonymous memory (V8's heap pages, code, stacks). Null where /proc is not readable.
 */
function residentByKind() {
  let smaps;
  try {
    smaps = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return { mallocHeap: null, mallocArenas: null, otherAnon: null };
  }
  const kinds = { mallocHeap: 0, mallocArenas: 0, otherAnon: 0 };
  let kind = null;
  for (const line of smaps.split('\n')) {
    const mapping = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      const start = Number.parseInt(mapping[1], 16);
      const size = Number.parseInt(mapping[2], 16) - start;
      const name = mapping[3];
      if (name === '[heap]') kind = 'mallocHeap';
      else if (name !== '') kind = null;
      else kind = start % ARENA_ALIGN === 0 && size <= ARENA_ALIGN ? 'mallocArenas' : 'otherAnon';
      continue;
    }
    if (kind && line.startsWith('Rss:')) kinds[kind] += Number(line.split(/\s+/)[1]) * 1024;
  }
  return kinds;
}

if (process.send) {
  process.on('message', (message) => {
    if (message?.type !== 'probe') return;
    // Live memory, not garbage waiting for the next collection: the trend test compares samples.
    globalThis.gc?.();
    if (typeof message.snapshot === 'string') writeHeapSnapshot(message.snapshot);
    const memory = process.memoryUsage();
    const resources = {};
    for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1;
    process.send({
      type: 'probe',
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      external: memory.external,
      ...residentByKind(),
      // The young generation grows (to 16 MiB or more) under a burst of allocation, such as
      // thousands of handshakes, and stays committed: RSS that is not per session.
      newSpace: getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? null,
      handles: Object.values(resources).reduce((sum, count) => sum + count, 0),
      resources,
      collected: typeof globalThis.gc === 'function',
    });
  });
  // The channel must not keep the router alive: SIGTERM still ends it as it would without us.
  process.channel?.unref();
}
