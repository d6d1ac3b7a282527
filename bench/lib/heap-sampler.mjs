/**
 * Preloaded into a router (`--router-node-flags="--import /abs/path/bench/lib/heap-sampler.mjs"`):
 * V8's sampling heap profiler over a stretch of the run, written to
 * $HEAP_SAMPLE_DIR/heap-<pid>.heapprofile for bench/heap-sample-summary.mjs. Does nothing
 * without HEAP_SAMPLE_DIR. The environment sets the rest:
 *   HEAP_SAMPLE_START_MS  when sampling starts, after the router's start (default 2500: past a
 *                         workload's setup, inside its 1 s warm-up + 3 s window)
 *   HEAP_SAMPLE_MS        how long it samples (default 2500)
 *   HEAP_SAMPLE_INTERVAL  average bytes between samples (default 4096)
 *   HEAP_SAMPLE_ALL       1: every allocation, also what the GC has collected since (where the
 *                         allocation is); otherwise only what is still alive at the end (what
 *                         survives scavenges: with no mark-compact in the stretch, that is what
 *                         was live or promoted)
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

const dir = process.env.HEAP_SAMPLE_DIR;
if (dir) {
  const startMs = Number(process.env.HEAP_SAMPLE_START_MS ?? 2500);
  const forMs = Number(process.env.HEAP_SAMPLE_MS ?? 2500);
  const all = process.env.HEAP_SAMPLE_ALL === '1';
  const session = new Session();
  session.connect();
  const sample = async () => {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: Number(process.env.HEAP_SAMPLE_INTERVAL ?? 4096),
      includeObjectsCollectedByMinorGC: all,
      includeObjectsCollectedByMajorGC: all,
    });
    setTimeout(async () => {
      const { profile } = await session.post('HeapProfiler.getSamplingProfile');
      await session.post('HeapProfiler.stopSampling');
      writeFileSync(join(dir, `heap-${process.pid}.heapprofile`), JSON.stringify(profile));
    }, forMs).unref();
  };
  setTimeout(() => void sample(), startMs).unref();
}
