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
