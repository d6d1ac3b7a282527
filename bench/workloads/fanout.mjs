import { expectMessage, forkBench, sendTo, stopChild } from '../lib/children.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { now, sleep } from '../lib/clock.mjs';
import { commonFields, planWindow, sampleCpu, split } from './window.mjs';
import { targetFor } from '../systems.mjs';

/**
 * Fan-out: one publisher, `subscribers` sessions spread over a few processes. Throughput is events
 * delivered per second summed over subscribers; latency is publish to delivery. The publisher is
 * held back by its ack window and by the subscribers' progress (the delivery barrier).
 *
 * `shape` makes the variants of workloads/index.mjs out of it: several topics with `perSession`
 * subscriptions per session (many topics), an open-loop publisher at `rate` publications/s
 * (latency at a fixed load), a payload size with a bound on bytes in transit to each subscriber
 * (large payloads),
 * and `publish`: few subscribers, so the cost of each publication decides; its throughput is
 * publications per second, and it is where the HTTP publisher is compared with a WAMP publisher.
 * The MQTT variants give the clients' `qos`, and mqtt-from-wamp the publisher's role
 * (`wampPublisher`: a WAMP publisher to MQTT subscribers).
 */

const TOPIC = 'bench.fanout';
const SETUP_TIMEOUT_MS = 90_000;
const DRAIN_MS = 5_000;
// Open loop: publications sent but not acknowledged, a bound should the system stall.
const OPEN_LOOP_ACK_WINDOW = 10_000;

/**
 * With --lean-subscribers, WAMP-on-WebSocket subscribers of a closed-loop run become lean ones
 * (clients/lean-subscriber.mjs); an open-loop run measures latency, which needs every event parsed.
 */
function leanWhereAsked(target, options, rate) {
  if (!options.leanSubscribers || rate !== undefined || target.kind !== 'wamp') return target;
  return { ...target, kind: 'wamp-lean', readIntervalMs: options.leanReadIntervalMs };
}

/** An MQTT target at the workload's QoS; other clients have no QoS. */
function atQos(target, qos) {
  return target.kind === 'mqtt' && qos !== undefined ? { ...target, qos } : target;
}

export async function runFanout(server, options, shape = {}) {
  const {
    workload = 'fanout',
    publisherRole = 'publisher',
    qos,
    subscribers = options.subscribers,
    topics = 1,
    perSession = 1,
    rate,
    payloadBytes = options.payloadBytes,
    queuedBytesPerSubscriber,
  } = shape;
  const subscriberTarget = leanWhereAsked(atQos(targetFor(server, 'subscriber', options), qos), options, rate);
  const publisherTarget = atQos(targetFor(server, publisherRole, options), qos);
  const publisherOrdered = publisherTarget.kind !== 'http-publisher';
  const hardTimeoutMs = SETUP_TIMEOUT_MS + (options.warmup + options.duration) * 1000 + 4 * DRAIN_MS;
  const deliveriesPerPublication = (subscribers * perSession) / topics;
  // In publications: at most maxQueued events in transit, or queuedBytesPerSubscriber of payload
  // per subscriber (the events each subscriber has yet to receive).
  const deliveryWindow = Math.max(1, queuedBytesPerSubscriber
    ? Math.floor(queuedBytesPerSubscriber / Math.max(1, payloadBytes))
    : Math.floor(options.maxQueued / deliveriesPerPublication));
  const children = [];
  try {
    let firstSession = 0;
    const subscriberProcs = split(subscribers, options.clientProcs).map((count, i) => {
      const child = forkBench(
        'workers/fanout-subscribers.mjs',
        { target: subscriberTarget, count, firstSession, topics, perSession, topic: TOPIC, byDueTime: rate !== undefined, hardTimeoutMs },
        `${server.name} subscribers #${i + 1}`,
      );
      firstSession += count;
      children.push(child);
      return child;
    });
    await Promise.all(subscriberProcs.map((child) => expectMessage(child, 'ready', SETUP_TIMEOUT_MS)));

    const publisher = forkBench(
      'workers/fanout-publisher.mjs',
      {
        target: publisherTarget,
        topic: TOPIC,
        topics,
        rate,
        hardTimeoutMs,
        payloadBytes,
        ackWindow: rate ? OPEN_LOOP_ACK_WINDOW : Math.min(options.window, deliveryWindow),
        deliveryWindow,
        maxPublications: 10_000_000,
        drainMs: DRAIN_MS,
      },
      `${server.name} publisher`,
    );
    children.push(publisher);
    await expectMessage(publisher, 'ready', SETUP_TIMEOUT_MS);

    // Delivery barrier: forward the last publication every subscriber has accounted for.
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
    const cpuSample = sampleCpu(window, server, children.map((child) => child.pid));
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
    let duplicates = published.duplicateAcks;
    const subscribersPerNode = {};
    for (const result of results) {
      for (const [node, count] of Object.entries(result.sessionsPerNode)) subscribersPerNode[node] = (subscribersPerNode[node] ?? 0) + count;
      latency.add(result.latency);
      delivered += result.delivered;
      lost += result.missing;
      reordered += result.reordered;
      duplicates += result.duplicates;
    }
    const cpu = await cpuSample;
    const { serverCores } = cpu;
    const eventsPerSecond = delivered / options.duration;
    const publicationsPerSecond = eventsPerSecond / deliveriesPerPublication;
    const throughput = workload === 'publish' ? publicationsPerSecond : eventsPerSecond;
    return {
      system: server.name,
      workload,
      throughput,
      eventsPerSecond,
      publicationsPerSecond,
      offeredRate: rate ?? null,
      megabytesPerSecond: (eventsPerSecond * payloadBytes) / 1e6,
      ...commonFields(server, latency, cpu),
      subscriberClient: subscriberTarget.kind === 'wamp-lean' ? 'lean' : 'full',
      subscribersPerNode,
      published: published.published,
      publishErrors: published.failed,
      firstError: published.firstError,
      lost,
      duplicates,
      // Concurrent HTTP POSTs reach the router in any order: there it is no fault of the router.
      reordered: publisherOrdered ? reordered : 0,
      outOfPublishOrder: publisherOrdered ? 0 : reordered,
      // Per event for fan-out, per publication for publish: the unit of `throughput`.
      serverMicrosPerMessage: serverCores === null || delivered === 0 ? null : (serverCores * 1e6) / throughput,
      serverMicrosPerEvent: serverCores === null || delivered === 0 ? null : (serverCores * 1e6) / eventsPerSecond,
      // What the load generators spent per delivered event: a lean subscriber's share of a core.
      clientMicrosPerEvent: cpu.clientCores === null || delivered === 0 ? null : (cpu.clientCores * 1e6) / eventsPerSecond,
    };
  } finally {
    await Promise.all(children.map((child) => stopChild(child)));
  }
}
