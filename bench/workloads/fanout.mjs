import { expectMessage, forkBench, sendTo, stopChild } from '../lib/children.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { now, sleep } from '../lib/clock.mjs';
import { planWindow, sampleCpu, split } from './window.mjs';

/**
 * Fan-out: one publisher, `subscribers` sessions on one topic spread over a few processes.
 * Throughput is events delivered per second summed over subscribers; latency is publish to
 * delivery. The publisher is held back by its ack window and by the subscribers' progress.
 */

const TOPIC = 'bench.fanout';
const SETUP_TIMEOUT_MS = 90_000;
const DRAIN_MS = 5_000;

export async function runFanout(server, options) {
  const target = { system: server.name, url: server.url, serializer: options.serializer };
  const hardTimeoutMs = SETUP_TIMEOUT_MS + (options.warmup + options.duration) * 1000 + 4 * DRAIN_MS;
  const children = [];
  try {
    const subscriberProcs = split(options.subscribers, options.clientProcs).map((count, i) => {
      const child = forkBench('workers/fanout-subscribers.mjs', { target, count, topic: TOPIC, hardTimeoutMs }, `${server.name} subscribers #${i + 1}`);
      children.push(child);
      return child;
    });
    await Promise.all(subscriberProcs.map((child) => expectMessage(child, 'ready', SETUP_TIMEOUT_MS)));

    const publisher = forkBench(
      'workers/fanout-publisher.mjs',
      {
        target,
        topic: TOPIC,
        hardTimeoutMs,
        payloadBytes: options.payloadBytes,
        ackWindow: options.window,
        // In publications: however many subscribers, at most maxQueued events are in transit.
        deliveryWindow: Math.max(1, Math.floor(options.maxQueued / options.subscribers)),
        maxPublications: 10_000_000,
        drainMs: DRAIN_MS,
      },
      `${server.name} publisher`,
    );
    children.push(publisher);
    await expectMessage(publisher, 'ready', SETUP_TIMEOUT_MS);

    // Delivery barrier: forward the lowest sequence number every subscriber has reached.
    const reached = new Map(subscriberProcs.map((child) => [child, 0]));
    let lowestReached = 0;
    for (const child of subscriberProcs) {
      child.on('message', (message) => {
        if (message?.type !== 'progress') return;
        reached.set(child, message.seq);
        const lowest = Math.min(...reached.values());
        if (lowest > lowestReached) {
          lowestReached = lowest;
          sendTo(publisher, { type: 'delivered', seq: lowest });
        }
      });
    }

    const window = planWindow(options);
    const cpu = sampleCpu(window, server.pid, children.map((child) => child.pid));
    for (const child of children) sendTo(child, { type: 'go', ...window });
    const published = await expectMessage(publisher, 'result', hardTimeoutMs);

    // Give subscribers a bounded moment to receive the tail before asking for their counts.
    const drainUntil = now() + DRAIN_MS;
    while (lowestReached < published.published && now() < drainUntil) await sleep(20);
    const results = await Promise.all(
      subscriberProcs.map((child) => {
        sendTo(child, { type: 'report', published: published.published });
        return expectMessage(child, 'result', DRAIN_MS * 2);
      }),
    );

    const latency = new Histogram();
    let delivered = 0;
    let lost = 0;
    let reordered = 0;
    for (const result of results) {
      latency.add(result.latency);
      delivered += result.delivered;
      lost += result.missing;
      reordered += result.reordered;
    }
    const { serverCores, clientCores, idleCores } = await cpu;
    return {
      system: server.name,
      workload: 'fanout',
      throughput: delivered / options.duration,
      p50Ms: msOrNull(latency.quantile(0.5)),
      p99Ms: msOrNull(latency.quantile(0.99)),
      samples: latency.total,
      published: published.published,
      publishErrors: published.failed,
      firstError: published.firstError,
      lost,
      reordered,
      serverCores,
      clientCores,
      idleCores,
      serverMicrosPerMessage: serverCores === null || delivered === 0 ? null : (serverCores * 1e6) / (delivered / options.duration),
    };
  } finally {
    await Promise.all(children.map((child) => stopChild(child)));
  }
}

export function msOrNull(micros) {
  return micros === null ? null : micros / 1000;
}
