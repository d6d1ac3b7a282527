import { performance } from 'node:perf_hooks';

/**
 * Milliseconds since the Unix epoch with sub-millisecond resolution. Unlike performance.now()
 * alone it is comparable across processes, so a subscriber can subtract a publisher's timestamp.
 */
export function now() {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves `promise`, or rejects with `what` timed out after `ms`. The timer never outlives it. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Open-loop pacing (pace): timers fire 1 ms late or more, so the last FINE_MS before a send is
// waited in blocking slices of at most SLICE_MS, each after a pass through the event loop.
const FINE_MS = 2;
const SLICE_MS = 0.2;
const gate = new Int32Array(new SharedArrayBuffer(4));

/** How pace waits `aheadMs`: a timer for all but the last FINE_MS, then one blocking slice at a time. */
export function pacingStep(aheadMs) {
  return aheadMs > FINE_MS ? { sleepMs: aheadMs - FINE_MS } : { blockMs: Math.min(Math.max(aheadMs, 0), SLICE_MS) };
}

/**
 * Waits towards something due `aheadMs` from now, for an open-loop sender that calls it until
 * the time has come: Node's timers fire at 1 ms granularity at best (1.1 to 2 ms late is common),
 * which puts a load generator's sends up to 2 ms behind their schedule. Close to the due time it
 * lets the event loop read what arrived (setImmediate), then blocks the thread for at most
 * SLICE_MS (Atomics.wait: sleeping, not spinning). A reply arriving meanwhile is read up to
 * SLICE_MS later, which the latency measured from it includes.
 */
export function pace(aheadMs) {
  const step = pacingStep(aheadMs);
  if (step.sleepMs !== undefined) return sleep(step.sleepMs);
  return new Promise((resolve) => {
    setImmediate(() => {
      Atomics.wait(gate, 0, 0, step.blockMs);
      resolve();
    });
  });
}
