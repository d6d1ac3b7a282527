import { expectMessage, sendTo } from '../lib/children.mjs';
import { now, sleep } from '../lib/clock.mjs';
import { machineIdleSeconds, peakRssBytes, totalCpuSeconds } from '../lib/cpu.mjs';
import { Histogram } from '../lib/histogram.mjs';

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
 * Samples CPU time at the window's edges. Resolves to average cores used during the window by
 * the server (serverCores: all its processes, see serverProcesses; with more than one,
 * serverCoresEach lists them, the first process first), the load generators (clientCores), and
 * cores left idle on the whole machine (idleCores): a run with idle cores was not CPU-bound, so
 * something else (the pipeline, or the host) limited it. Each is null where /proc is not available.
 * `measured` is the sampled window, { from, to } in epoch ms.
 */
export async function sampleCpu(window, server, clientPids) {
  await sleep(Math.max(0, window.warmupEnd - now()));
  const serverPids = serverProcesses(server);
  const take = () => ({
    server: totalCpuSeconds(serverPids),
    each: serverPids.map((pid) => totalCpuSeconds([pid])),
    clients: totalCpuSeconds(clientPids),
    idle: machineIdleSeconds(),
  });
  const start = take();
  const startedAt = now();
  await sleep(Math.max(0, window.measureEnd - now()));
  const seconds = (now() - startedAt) / 1000;
  const end = take();
  const used = (before, after) => (before === null || after === null ? null : (after - before) / seconds);
  const cores = (key) => used(start[key], end[key]);
  return {
    serverCores: cores('server'),
    ...(serverPids.length > 1 ? { serverCoresEach: start.each.map((before, i) => used(before, end.each[i])) } : {}),
    clientCores: cores('clients'),
    idleCores: cores('idle'),
    measured: { from: startedAt, to: startedAt + seconds * 1000 },
  };
}

/** Splits `total` into `parts` near-equal positive shares (fewer parts if total is small). */
export function split(total, parts) {
  const count = Math.max(1, Math.min(parts, total));
  return Array.from({ length: count }, (_, i) => Math.floor(total / count) + (i < total % count ? 1 : 0));
}

/** Every process of a started system: its process tree where it has one (--workers), else its pid. */
function serverProcesses(server) {
  return server.pids ? server.pids() : [server.pid];
}

/**
 * The server's peak RSS so far (it is started for one workload run), MiB, summed over its
 * processes (each one's own peak); null without /proc.
 */
export function serverPeakRssMiB(server) {
  let bytes = 0;
  for (const pid of serverProcesses(server)) {
    const peak = peakRssBytes(pid);
    if (peak === null) return null;
    bytes += peak;
  }
  return bytes / 2 ** 20;
}

/** A histogram's microseconds as milliseconds (null stays null). */
export function msOrNull(micros) {
  return micros === null ? null : micros / 1000;
}

/**
 * Drives a workload with one load-generator process (chat, connect): waits for its 'ready', tells
 * it to 'go' on a fresh window, samples CPU around it, and resolves to its 'result' and the CPU
 * figures (sampleCpu). `resultGraceMs`: how long after the window the result may take.
 */
export async function runWindowOn(child, server, options, { setupTimeoutMs, resultGraceMs }) {
  await expectMessage(child, 'ready', setupTimeoutMs);
  const window = planWindow(options);
  const cpu = sampleCpu(window, server, [child.pid]);
  sendTo(child, { type: 'go', ...window });
  const result = await expectMessage(child, 'result', window.measureEnd - window.startAt + resultGraceMs);
  return { result, cpu: await cpu };
}

/** What every workload's result has: latency quantiles (ms), the cores used, the server's peak RSS. */
export function commonFields(server, latency, { serverCores, serverCoresEach, clientCores, idleCores, measured }) {
  return {
    serverCoresEach,
    p50Ms: msOrNull(latency.quantile(0.5)),
    p99Ms: msOrNull(latency.quantile(0.99)),
    p999Ms: msOrNull(latency.quantile(0.999)),
    samples: latency.total,
    serverCores,
    clientCores,
    idleCores,
    peakRssMiB: serverPeakRssMiB(server),
    measured,
  };
}

/**
 * The result of a workload driven by one load generator (runWindowOn) that reports what it
 * delivered in the window, its latency histogram, what it published and the faults it found:
 * throughput is deliveries per measured second, server CPU per delivery.
 */
export function loadGeneratorResult(server, options, workload, { result, cpu }) {
  const throughput = result.delivered / options.duration;
  return {
    system: server.name,
    workload,
    throughput,
    ...commonFields(server, Histogram.fromJSON(result.latency), cpu),
    published: result.published,
    publishErrors: result.failed,
    firstError: result.firstError,
    lost: result.lost,
    reordered: result.reordered,
    duplicates: result.duplicates,
    serverMicrosPerMessage: cpu.serverCores === null || result.delivered === 0 ? null : (cpu.serverCores * 1e6) / throughput,
  };
}
