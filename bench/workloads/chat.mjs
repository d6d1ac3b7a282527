import { forkBench, stopChild } from '../lib/children.mjs';
import { loadGeneratorResult, runWindowOn } from './window.mjs';
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
    return loadGeneratorResult(server, options, workload, await runWindowOn(child, server, options, { setupTimeoutMs: SETUP_TIMEOUT_MS, resultGraceMs: 2 * DRAIN_MS + 1000 }));
  } finally {
    await stopChild(child);
  }
}
