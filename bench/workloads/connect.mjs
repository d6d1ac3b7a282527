import { expectMessage, forkBench, sendTo, stopChild } from '../lib/children.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { msOrNull, planWindow, sampleCpu, serverPeakRssMiB } from './window.mjs';
import { targetFor } from '../systems.mjs';

/**
 * Session establishment (workers/connectors.mjs): connections opened, joined and closed per
 * second, `LANES` at a time. The relay's row is raw WebSocket handshakes; Junction's rows are WAMP
 * joins, anonymous (junction), with a ticket (junction-ticket) or WAMP-CRA (junction-wampcra).
 */

const SETUP_TIMEOUT_MS = 30_000;
const LANES = 16;

export async function runConnect(server, options, { workload }) {
  const target = targetFor(server, 'connector', options);
  const hardTimeoutMs = SETUP_TIMEOUT_MS + (options.warmup + options.duration) * 1000 + 30_000;
  const child = forkBench('workers/connectors.mjs', { target, lanes: LANES, maxConnections: 1_000_000, hardTimeoutMs }, `${server.name} connectors`);
  try {
    await expectMessage(child, 'ready', SETUP_TIMEOUT_MS);
    const window = planWindow(options);
    const cpu = sampleCpu(window, server.pid, [child.pid]);
    sendTo(child, { type: 'go', ...window });
    const result = await expectMessage(child, 'result', window.measureEnd - window.startAt + 20_000);
    const latency = Histogram.fromJSON(result.latency);
    const { serverCores, clientCores, idleCores } = await cpu;
    const throughput = result.established / options.duration;
    return {
      system: server.name,
      workload,
      throughput,
      p50Ms: msOrNull(latency.quantile(0.5)),
      p99Ms: msOrNull(latency.quantile(0.99)),
      p999Ms: msOrNull(latency.quantile(0.999)),
      samples: latency.total,
      connectErrors: result.failed,
      firstError: result.firstError,
      serverCores,
      clientCores,
      idleCores,
      peakRssMiB: serverPeakRssMiB(server),
      serverMicrosPerMessage: serverCores === null || result.established === 0 ? null : (serverCores * 1e6) / throughput,
    };
  } finally {
    await stopChild(child);
  }
}
