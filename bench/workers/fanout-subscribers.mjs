import { connectMany } from '../clients/index.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { now } from '../lib/clock.mjs';
import { childSettings, fail, onParent, tell } from '../lib/worker-ipc.mjs';

/**
 * Holds `count` subscriber sessions on one topic. Events arriving inside the measurement window
 * are counted and their publish-to-delivery latency recorded. Every few milliseconds it reports
 * the lowest sequence number all its subscribers have reached: the publisher's delivery barrier.
 * Each subscriber checks the sequence numbers: events missing, duplicated or out of order.
 */

const settings = childSettings();
const PROGRESS_INTERVAL_MS = 2;

const histogram = new Histogram();
let windowStart = Infinity;
let windowEnd = -Infinity;
let delivered = 0; // inside the window
let untracked = 0; // events skipped in gaps too long to track: counted as missing for good
let reordered = 0; // events that arrived after a later one (they filled a gap)
let duplicates = 0;
// Publications may overtake each other when they are sent concurrently (the HTTP publisher's
// parallel POSTs), so a gap is remembered until its events arrive late or the run ends.
const MAX_TRACKED_GAP = 4096;

function makeSubscriber() {
  const subscriber = { lastSeq: 0, gaps: new Set() };
  subscriber.onEvent = (args) => {
    const arrived = now();
    const seq = args[0];
    if (seq === subscriber.lastSeq + 1) subscriber.lastSeq = seq;
    else if (seq > subscriber.lastSeq) {
      if (seq - subscriber.lastSeq - 1 > MAX_TRACKED_GAP) untracked += seq - subscriber.lastSeq - 1;
      else for (let skipped = subscriber.lastSeq + 1; skipped < seq; skipped++) subscriber.gaps.add(skipped);
      subscriber.lastSeq = seq;
    } else if (subscriber.gaps.delete(seq)) reordered++;
    else duplicates++;
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
    // Gaps never filled, and events published but never seen at the end of a stream, are missing.
    let missing = untracked;
    for (const subscriber of subscribers) missing += subscriber.gaps.size + Math.max(0, message.published - subscriber.lastSeq);
    tell({ type: 'result', delivered, missing, reordered, duplicates, latency: histogram.toJSON() });
  });
  onParent('close', () => {
    for (const client of clients) client.close();
    setTimeout(() => process.exit(0), 200);
  });
  tell({ type: 'ready' });
}

main().catch(fail);
