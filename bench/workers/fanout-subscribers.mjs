import { connectMany } from '../clients/index.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { now } from '../lib/clock.mjs';
import { childSettings, fail, onParent, tell } from '../lib/worker-ipc.mjs';

/**
 * Holds `count` subscriber sessions on one topic. Events arriving inside the measurement window
 * are counted and their publish-to-delivery latency recorded. Every few milliseconds it reports
 * the lowest sequence number all its subscribers have reached: the publisher's delivery barrier.
 */

const settings = childSettings();
const PROGRESS_INTERVAL_MS = 2;

const histogram = new Histogram();
let windowStart = Infinity;
let windowEnd = -Infinity;
let delivered = 0; // inside the window
let missing = 0; // sequence gaps: events a subscriber never saw
let reordered = 0;

function makeSubscriber() {
  const subscriber = { lastSeq: 0 };
  subscriber.onEvent = (args) => {
    const arrived = now();
    const seq = args[0];
    if (seq === subscriber.lastSeq + 1) subscriber.lastSeq = seq;
    else if (seq > subscriber.lastSeq) {
      missing += seq - subscriber.lastSeq - 1;
      subscriber.lastSeq = seq;
    } else reordered++;
    if (arrived >= windowStart && arrived < windowEnd) {
      delivered++;
      histogram.record((arrived - args[1]) * 1000);
    }
  };
  return subscriber;
}

async function main() {
  const clients = await connectMany(settings.target, settings.count);
  const subscribers = clients.map(() => makeSubscriber());
  await Promise.all(clients.map((client, i) => client.subscribe(settings.topic, subscribers[i].onEvent)));

  let reportedSeq = 0;
  const progress = setInterval(() => {
    let lowest = Infinity;
    for (const subscriber of subscribers) if (subscriber.lastSeq < lowest) lowest = subscriber.lastSeq;
    if (lowest > reportedSeq) {
      reportedSeq = lowest;
      tell({ type: 'progress', seq: lowest });
    }
  }, PROGRESS_INTERVAL_MS);

  onParent('go', (message) => {
    windowStart = message.warmupEnd;
    windowEnd = message.measureEnd;
  });
  onParent('report', (message) => {
    clearInterval(progress);
    // Events published but never seen at the end of a subscriber's stream count as missing too.
    let neverArrived = 0;
    for (const subscriber of subscribers) neverArrived += Math.max(0, message.published - subscriber.lastSeq);
    tell({ type: 'result', delivered, missing: missing + neverArrived, reordered, latency: histogram.toJSON() });
  });
  onParent('close', () => {
    for (const client of clients) client.close();
    setTimeout(() => process.exit(0), 200);
  });
  tell({ type: 'ready' });
}

main().catch(fail);
