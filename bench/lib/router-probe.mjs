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

/** Resident bytes of the C heap (malloc's brk area: node's and libuv's own objects, not V8's pages). */
function mallocHeapRss() {
  try {
    const smaps = readFileSync('/proc/self/smaps', 'utf8');
    const start = smaps.search(/ \[heap\]\n/);
    if (start < 0) return null;
    const rss = /\nRss:\s+(\d+) kB/.exec(smaps.slice(start));
    return rss ? Number(rss[1]) * 1024 : null;
  } catch {
    return null;
  }
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
      mallocHeap: mallocHeapRss(),
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
