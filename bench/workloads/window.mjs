import { now, sleep } from '../lib/clock.mjs';
import { totalCpuSeconds } from '../lib/cpu.mjs';

/**
 * The shared timeline of one workload run, in cross-process milliseconds: load starts at
 * `startAt`, results count from `warmupEnd` to `measureEnd`. A short lead time lets every
 * child receive the 'go' message before `startAt`.
 */
export function planWindow(options) {
  const startAt = now() + 200;
  const warmupEnd = startAt + options.warmup * 1000;
  const measureEnd = warmupEnd + options.duration * 1000;
  return { startAt, warmupEnd, measureEnd };
}

/**
 * Samples CPU time of the server and of the load generators at the window's edges. Resolves to
 * { serverCores, clientCores }: average cores busy during the window (null without /proc).
 */
export async function sampleCpu(window, serverPid, clientPids) {
  await sleep(Math.max(0, window.warmupEnd - now()));
  const serverStart = totalCpuSeconds([serverPid]);
  const clientStart = totalCpuSeconds(clientPids);
  const startedAt = now();
  await sleep(Math.max(0, window.measureEnd - now()));
  const seconds = (now() - startedAt) / 1000;
  const serverEnd = totalCpuSeconds([serverPid]);
  const clientEnd = totalCpuSeconds(clientPids);
  const cores = (start, end) => (start === null || end === null ? null : (end - start) / seconds);
  return { serverCores: cores(serverStart, serverEnd), clientCores: cores(clientStart, clientEnd) };
}

/** Splits `total` into `parts` near-equal positive shares (fewer parts if total is small). */
export function split(total, parts) {
  const count = Math.max(1, Math.min(parts, total));
  return Array.from({ length: count }, (_, i) => Math.floor(total / count) + (i < total % count ? 1 : 0));
}
