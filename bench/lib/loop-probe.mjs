/**
 * A preload for a Junction router under the bench (diagnosis only, never in the product):
 *   node bench/run.mjs ... '--router-node-flags=--import ./bench/lib/loop-probe.mjs' --router-log DIR
 * or in every process of the bench (callee and callers too) with NODE_OPTIONS='--import /abs/path'.
 * Every second it writes one line to stderr: the event loop's delay (monitorEventLoopDelay, 1 ms
 * resolution), its utilization, and the "burst" of each loop iteration — the socket 'data' events
 * handled before the next check phase (one poll phase's inbound reads), with that burst's
 * wall time from its first read to the check phase (the time a write corked by the first read
 * waits, since write-coalescing uncorks on setImmediate), and the share of reads in bursts of
 * 0.5 ms and 1 ms or more; and its garbage collection pauses.
 */
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import net from 'node:net';
import { basename } from 'node:path';

// Which process wrote the line (the probe can be loaded into every process through NODE_OPTIONS).
const label = `${basename(process.argv[1] ?? 'node')}[${process.pid}]`;

const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();

let reads = 0;
let burstStartedAt = 0;
const burstSizes = [];
const burstMicros = [];
// Reads whose burst lasted at least 0.5 ms and 1 ms: their replies waited that long in the cork.
let readsTotal = 0;
let readsInHalfMsBursts = 0;
let readsInMsBursts = 0;

function endBurst() {
  burstSizes.push(reads);
  const micros = (performance.now() - burstStartedAt) * 1000;
  burstMicros.push(micros);
  readsTotal += reads;
  if (micros >= 500) readsInHalfMsBursts += reads;
  if (micros >= 1000) readsInMsBursts += reads;
  reads = 0;
}

const emit = net.Socket.prototype.emit;
net.Socket.prototype.emit = function emitCountingReads(event, ...args) {
  if (event === 'data') {
    if (reads === 0) {
      burstStartedAt = performance.now();
      setImmediate(endBurst);
    }
    reads += 1;
  }
  return emit.call(this, event, ...args);
};

function quantile(sorted, q) {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const percent = (count) => `${((100 * count) / Math.max(readsTotal, 1)).toFixed(2)}%`;

// Garbage collection pauses (count, total and longest) per line.
let gcPauses = 0;
let gcMillis = 0;
let gcMaxMillis = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcPauses += 1;
    gcMillis += entry.duration;
    gcMaxMillis = Math.max(gcMaxMillis, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

let lastUtilization = performance.eventLoopUtilization();
const timer = setInterval(() => {
  const utilization = performance.eventLoopUtilization(lastUtilization);
  lastUtilization = performance.eventLoopUtilization();
  const sizes = burstSizes.splice(0).sort((a, b) => a - b);
  const micros = burstMicros.splice(0).sort((a, b) => a - b);
  const ms = (ns) => (ns / 1e6).toFixed(2);
  process.stderr.write(
    `loop-probe ${label} delay p50 ${ms(delay.percentile(50))} p99 ${ms(delay.percentile(99))} max ${ms(delay.max)} ms` +
      ` | elu ${utilization.utilization.toFixed(2)}` +
      ` | bursts ${sizes.length} reads/burst p50 ${quantile(sizes, 0.5)} p99 ${quantile(sizes, 0.99)} max ${sizes.at(-1) ?? 0}` +
      ` | burst us p50 ${quantile(micros, 0.5).toFixed(0)} p99 ${quantile(micros, 0.99).toFixed(0)} max ${(micros.at(-1) ?? 0).toFixed(0)}` +
      ` | reads in bursts >=0.5 ms ${percent(readsInHalfMsBursts)} >=1 ms ${percent(readsInMsBursts)} of ${readsTotal}` +
      ` | gc ${gcPauses} pauses ${gcMillis.toFixed(2)} ms max ${gcMaxMillis.toFixed(2)} ms\n`,
  );
  gcPauses = gcMillis = gcMaxMillis = 0;
  readsTotal = readsInHalfMsBursts = readsInMsBursts = 0;
  delay.reset();
}, 1000);
timer.unref();
