import { forkBench, stopChild } from '../lib/children.mjs';
import { loadGeneratorResult, runWindowOn } from './window.mjs';
import { targetFor } from '../systems.mjs';

/**
 * The MQTT workloads that are not a fan-out (those run through fanout.mjs at a QoS): many
 * publishers to one subscriber (workers/mqtt-inbound.mjs) and retained messages for a joining
 * subscriber (workers/mqtt-retained.mjs). One load-generator process each; server CPU and peak
 * RSS as for every workload, throughput in messages received per second.
 */

const SETUP_TIMEOUT_MS = 60_000;
const DRAIN_MS = 5_000;
// mqtt-inbound: messages published but not yet received, over all publishers: under the
// 1,000 messages both brokers queue for one client before dropping.
const INBOUND_IN_FLIGHT = 500;
// mqtt-retained: joins per run at most (each gets every retained message).
const RETAINED_MAX_JOINS = 1000;

function hardTimeout(options) {
  return SETUP_TIMEOUT_MS + (options.warmup + options.duration) * 1000 + 8 * DRAIN_MS;
}

async function runWorker(server, options, workload, modulePath, settings) {
  const { payloadBytes } = settings;
  const child = forkBench(modulePath, { ...settings, hardTimeoutMs: hardTimeout(options) }, `${server.name} ${workload}`);
  try {
    const run = await runWindowOn(child, server, options, { setupTimeoutMs: SETUP_TIMEOUT_MS, resultGraceMs: 8 * DRAIN_MS });
    const common = loadGeneratorResult(server, options, workload, run);
    const { joins, others } = run.result;
    return {
      ...common,
      megabytesPerSecond: (common.throughput * payloadBytes) / 1e6,
      ...(joins === undefined ? {} : { joins, otherTopics: others }),
    };
  } finally {
    await stopChild(child);
  }
}

export function runMqttInbound(server, options, { workload, publishers, qos }) {
  const target = { ...targetFor(server, 'publisher', options), qos };
  return runWorker(server, options, workload, 'workers/mqtt-inbound.mjs', { target, publishers, payloadBytes: options.payloadBytes, inFlight: INBOUND_IN_FLIGHT });
}

/** `joinTimeoutMs`: how long one join may take to get every retained message (default 30 s). */
export function runMqttRetained(server, options, { workload, topics, payloadBytes, qos, joinTimeoutMs = 30_000 }) {
  const target = { ...targetFor(server, 'subscriber', options), qos };
  return runWorker(server, options, workload, 'workers/mqtt-retained.mjs', { target, topics, payloadBytes, maxJoins: RETAINED_MAX_JOINS, joinTimeoutMs });
}
