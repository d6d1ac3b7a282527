import { expectMessage, forkBench, sendTo, stopChild } from '../lib/children.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { commonFields, msOrNull, planWindow, sampleCpu, split } from './window.mjs';
import { targetFor } from '../systems.mjs';

/**
 * RPC: one callee process, `callers` caller sessions spread over a few processes. Closed loop by
 * default (each caller one call in flight; throughput is calls completed per second, latency the
 * round trip); with `shape.rate` an open loop at that many calls/s (workers/rpc-callers.mjs), for
 * latency at a fixed offered load. `shape` also sets the payload and caller count of the large
 * payload workloads.
 */

const PROCEDURE = 'bench.echo';
const SETUP_TIMEOUT_MS = 60_000;
const FINISH_GRACE_MS = 10_000;
// Open loop: calls in flight at once over all callers, a bound should the system stall.
const MAX_IN_FLIGHT = 10_000;

export async function runRpc(server, options, shape = {}) {
  const { workload = 'rpc', rate, payloadBytes = options.payloadBytes, callers = options.callers } = shape;
  const calleeTarget = targetFor(server, 'callee', options);
  const callerTarget = targetFor(server, 'caller', options);
  const hardTimeoutMs = SETUP_TIMEOUT_MS + (options.warmup + options.duration) * 1000 + 2 * FINISH_GRACE_MS;
  const children = [];
  try {
    const callee = forkBench('workers/rpc-callee.mjs', { target: calleeTarget, procedure: PROCEDURE, hardTimeoutMs }, `${server.name} callee`);
    children.push(callee);
    await expectMessage(callee, 'ready', SETUP_TIMEOUT_MS);

    const shares = split(callers, options.clientProcs);
    const callerProcs = shares.map((count, i) => {
      const child = forkBench(
        'workers/rpc-callers.mjs',
        {
          target: callerTarget,
          count,
          procedure: PROCEDURE,
          hardTimeoutMs,
          payloadBytes,
          maxCalls: 50_000_000,
          // Each process offers its callers' share of the rate.
          rate: rate ? (rate * count) / callers : undefined,
          maxInFlight: Math.ceil((MAX_IN_FLIGHT * count) / callers),
        },
        `${server.name} callers #${i + 1}`,
      );
      children.push(child);
      return child;
    });
    await Promise.all(callerProcs.map((child) => expectMessage(child, 'ready', SETUP_TIMEOUT_MS)));

    const window = planWindow(options);
    const cpuSample = sampleCpu(window, server, children.map((child) => child.pid));
    if (rate) sendTo(callee, { type: 'go', ...window });
    for (const child of callerProcs) sendTo(child, { type: 'go', ...window });
    const waitMs = window.measureEnd - window.startAt + FINISH_GRACE_MS + 1000;
    const results = await Promise.all(callerProcs.map((child) => expectMessage(child, 'result', waitMs)));

    const latency = new Histogram();
    const sendLag = new Histogram();
    const fromSend = new Histogram();
    let completed = 0;
    let failed = 0;
    let duplicates = 0;
    let firstError = null;
    for (const result of results) {
      latency.add(result.latency);
      sendLag.add(result.sendLag);
      fromSend.add(result.fromSend);
      completed += result.completed;
      failed += result.failed;
      duplicates += result.duplicates;
      firstError ??= result.firstError;
    }
    // Open loop: the forward leg (from each call's schedule to its arrival at the callee).
    const toCallee = rate ? await askCalleeForwardLeg(callee) : null;
    const cpu = await cpuSample;
    const { serverCores } = cpu;
    const throughput = completed / options.duration;
    return {
      system: server.name,
      workload,
      throughput,
      offeredRate: rate ?? null,
      megabytesPerSecond: (throughput * payloadBytes) / 1e6,
      ...commonFields(server, latency, cpu),
      sendLagP99Ms: rate ? msOrNull(sendLag.quantile(0.99)) : null,
      p99FromSendMs: rate ? msOrNull(fromSend.quantile(0.99)) : null,
      p99ToCalleeMs: toCallee ? msOrNull(toCallee.quantile(0.99)) : null,
      callErrors: failed,
      duplicates,
      firstError,
      serverMicrosPerMessage: serverCores === null || completed === 0 ? null : (serverCores * 1e6) / throughput,
    };
  } finally {
    await Promise.all(children.map((child) => stopChild(child)));
  }
}

async function askCalleeForwardLeg(callee) {
  sendTo(callee, { type: 'report' });
  const report = await expectMessage(callee, 'report', SETUP_TIMEOUT_MS);
  return Histogram.fromJSON(report.toCallee);
}
