import { connectClient, connectMany } from '../clients/index.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { now, sleep } from '../lib/clock.mjs';
import { SequenceCheck } from '../lib/sequence-check.mjs';
import { childSettings, fail, onParent, tell } from '../lib/worker-ipc.mjs';

/**
 * Many MQTT publishers to one subscriber (workloads/mqtt.mjs, mqtt-inbound): `publishers` clients,
 * each publishing QoS 1 on its own topic `bench.inbound.<i>` with one PUBLISH awaiting its PUBACK
 * at a time, and one subscriber on `bench.inbound.#`, all in this process. The publishers together
 * stay within `inFlight` messages of what the subscriber has received, so no broker queue for
 * the subscriber overflows (both brokers drop past 1,000 queued): the run measures delivery, not
 * a drop policy. Each publisher's topic is checked for loss, duplicates and order.
 * Event args: [sequence number on its topic, publish timestamp, padding, publisher index].
 */

const settings = childSettings();
const padding = 'x'.repeat(settings.payloadBytes);
const DRAIN_MS = 5_000;

const histogram = new Histogram();
const checks = Array.from({ length: settings.publishers }, () => new SequenceCheck());
const publishedOn = new Array(settings.publishers).fill(0);
let published = 0;
let received = 0;
let delivered = 0; // inside the window
let strays = 0; // events of no publisher here
let failed = 0;
let firstError = null;
let windowStart = Infinity;
let windowEnd = -Infinity;
const waiting = new Set(); // publishers' resolves, waiting for room

function onEvent(args) {
  const arrived = now();
  const [seq, sentAt, , index] = args;
  const check = checks[index];
  if (!check) {
    strays++;
    return;
  }
  check.see(seq);
  received++;
  if (arrived >= windowStart && arrived < windowEnd) {
    delivered++;
    histogram.record((arrived - sentAt) * 1000);
  }
  if (waiting.size > 0) wakeAll();
}

/** Wakes every publisher waiting for room: each checks again. */
function wakeAll() {
  for (const resolve of waiting) resolve();
  waiting.clear();
}

/** Resolves once the subscriber has caught up enough for one more publication (or after 50 ms). */
function room() {
  if (published - received < settings.inFlight) return Promise.resolve();
  return new Promise((resolve) => {
    waiting.add(resolve);
    setTimeout(resolve, 50);
  });
}

async function publishUntil(client, index, stopAt) {
  while (now() < stopAt && !client.closed) {
    await room();
    if (published - received >= settings.inFlight) continue;
    published++;
    const seq = ++publishedOn[index];
    try {
      await client.publish(`bench.inbound.${index}`, [seq, now(), padding, index]);
    } catch (error) {
      failed++;
      firstError ??= error.message;
      return;
    }
  }
}

async function main() {
  const subscriber = await connectClient(settings.target);
  await subscriber.subscribe('bench.inbound.#', onEvent);
  const publishers = await connectMany(settings.target, settings.publishers);
  onParent('go', async (message) => {
    windowStart = message.warmupEnd;
    windowEnd = message.measureEnd;
    await sleep(Math.max(0, message.startAt - now()));
    await Promise.all(publishers.map((client, index) => publishUntil(client, index, message.measureEnd)));
    const drainUntil = now() + DRAIN_MS;
    while (received < published && now() < drainUntil) await sleep(10);
    let lost = 0;
    let reordered = 0;
    let duplicates = strays + subscriber.unexpectedEvents + publishers.reduce((sum, client) => sum + client.unexpectedAnswers, 0);
    checks.forEach((check, index) => {
      const faults = check.faults(publishedOn[index]);
      lost += faults.missing;
      reordered += faults.reordered;
      duplicates += faults.duplicates;
    });
    if (subscriber.closed) firstError ??= 'the subscriber lost its connection';
    tell({ type: 'result', published, delivered, lost, reordered, duplicates, failed, firstError, latency: histogram.toJSON() });
  });
  onParent('close', () => {
    for (const client of [subscriber, ...publishers]) client.close();
    setTimeout(() => process.exit(0), 200);
  });
  tell({ type: 'ready' });
}

main().catch(fail);
