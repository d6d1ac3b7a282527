import { forkBench, stopChild } from '../lib/children.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { commonFields, runWindowOn } from './window.mjs';
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
    const { result, cpu } = await runWindowOn(child, server, options, { setupTimeoutMs: SETUP_TIMEOUT_MS, resultGraceMs: 20_000 });
    const throughput = result.established / options.duration;
    return {
      system: server.name,
      workload,
      throughput,
      ...commonFields(server, Histogram.fromJSON(result.latency), cpu),
      connectErrors: result.failed,
      firstError: result.firstError,
      serverMicrosPerMessage: cpu.serverCores === null || result.established === 0 ? null : (cpu.serverCores * 1e6) / throughput,
    };
  } finally {
    await stopChild(child);
  }
}
