import { expectMessage, forkBench, sendTo, stopChild } from '../lib/children.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { msOrNull, planWindow, sampleCpu, serverPeakRssMiB } from './window.mjs';
import { targetFor } from '../systems.mjs';

/**
 * Chat room: `members` sessions that all subscribe to one topic and all publish to it
 * (workers/chat-members.mjs, one load-generator process). Throughput is events delivered per
 * second summed over members; latency is publish to delivery.
 */

const TOPIC = 'bench.chat';
const SETUP_TIMEOUT_MS = 60_000;
const DRAIN_MS = 5_000;
// Publications per member not yet delivered to every member.
const WINDOW = 2;

export async function runChat(server, options, { workload, members }) {
  const target = targetFor(server, 'subscriber', options);
  const hardTimeoutMs = SETUP_TIMEOUT_MS + (options.warmup + options.duration) * 1000 + 4 * DRAIN_MS;
  const child = forkBench(
    'workers/chat-members.mjs',
    { target, count: members, topic: TOPIC, window: WINDOW, payloadBytes: options.payloadBytes, drainMs: DRAIN_MS, hardTimeoutMs },
    `${server.name} chat members`,
  );
  try {
    await expectMessage(child, 'ready', SETUP_TIMEOUT_MS);
    const window = planWindow(options);
    const cpu = sampleCpu(window, server.pid, [child.pid]);
    sendTo(child, { type: 'go', ...window });
    const result = await expectMessage(child, 'result', window.measureEnd - window.startAt + 2 * DRAIN_MS + 1000);
    const latency = Histogram.fromJSON(result.latency);
    const { serverCores, clientCores, idleCores } = await cpu;
    const throughput = result.delivered / options.duration;
    return {
      system: server.name,
      workload,
      throughput,
      p50Ms: msOrNull(latency.quantile(0.5)),
      p99Ms: msOrNull(latency.quantile(0.99)),
      p999Ms: msOrNull(latency.quantile(0.999)),
      samples: latency.total,
      published: result.published,
      publishErrors: result.failed,
      firstError: result.firstError,
      lost: result.lost,
      reordered: result.reordered,
      duplicates: result.duplicates,
      serverCores,
      clientCores,
      idleCores,
      peakRssMiB: serverPeakRssMiB(server),
      serverMicrosPerMessage: serverCores === null || result.delivered === 0 ? null : (serverCores * 1e6) / throughput,
    };
  } finally {
    await stopChild(child);
  }
}
