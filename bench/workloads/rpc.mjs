import { expectMessage, forkBench, sendTo, stopChild } from '../lib/children.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { planWindow, sampleCpu, split } from './window.mjs';
import { msOrNull } from './fanout.mjs';
import { targetFor } from '../systems.mjs';

/**
 * RPC: one callee process, `callers` caller sessions spread over a few processes, each caller
 * with one call in flight. Throughput is calls completed per second; latency is round trip.
 */

const PROCEDURE = 'bench.echo';
const SETUP_TIMEOUT_MS = 60_000;
const FINISH_GRACE_MS = 10_000;

export async function runRpc(server, options) {
  const calleeTarget = targetFor(server, 'callee', options);
  const callerTarget = targetFor(server, 'caller', options);
  const hardTimeoutMs = SETUP_TIMEOUT_MS + (options.warmup + options.duration) * 1000 + 2 * FINISH_GRACE_MS;
  const children = [];
  try {
    const callee = forkBench('workers/rpc-callee.mjs', { target: calleeTarget, procedure: PROCEDURE, hardTimeoutMs }, `${server.name} callee`);
    children.push(callee);
    await expectMessage(callee, 'ready', SETUP_TIMEOUT_MS);

    const callerProcs = split(options.callers, options.clientProcs).map((count, i) => {
      const child = forkBench(
        'workers/rpc-callers.mjs',
        { target: callerTarget, count, procedure: PROCEDURE, hardTimeoutMs, payloadBytes: options.payloadBytes, maxCalls: 50_000_000 },
        `${server.name} callers #${i + 1}`,
      );
      children.push(child);
      return child;
    });
    await Promise.all(callerProcs.map((child) => expectMessage(child, 'ready', SETUP_TIMEOUT_MS)));

    const window = planWindow(options);
    const cpu = sampleCpu(window, server.pid, children.map((child) => child.pid));
    for (const child of callerProcs) sendTo(child, { type: 'go', ...window });
    const waitMs = window.measureEnd - window.startAt + FINISH_GRACE_MS + 1000;
    const results = await Promise.all(callerProcs.map((child) => expectMessage(child, 'result', waitMs)));

    const latency = new Histogram();
    let completed = 0;
    let failed = 0;
    let firstError = null;
    for (const result of results) {
      latency.add(result.latency);
      completed += result.completed;
      failed += result.failed;
      firstError ??= result.firstError;
    }
    const { serverCores, clientCores, idleCores } = await cpu;
    return {
      system: server.name,
      workload: 'rpc',
      throughput: completed / options.duration,
      p50Ms: msOrNull(latency.quantile(0.5)),
      p99Ms: msOrNull(latency.quantile(0.99)),
      samples: latency.total,
      callErrors: failed,
      firstError,
      serverCores,
      clientCores,
      idleCores,
      serverMicrosPerMessage: serverCores === null || completed === 0 ? null : (serverCores * 1e6) / (completed / options.duration),
    };
  } finally {
    await Promise.all(children.map((child) => stopChild(child)));
  }
}
