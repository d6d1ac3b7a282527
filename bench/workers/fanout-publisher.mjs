import { connectClient } from '../clients/index.mjs';
import { now, sleep } from '../lib/clock.mjs';
import { placeOf, topicName } from '../lib/topics.mjs';
import { childSettings, fail, onParent, tell } from '../lib/worker-ipc.mjs';

/**
 * One publisher, publishing with acknowledgement, held by two windows: at most `ackWindow`
 * publishes unacknowledged, and at most `deliveryWindow` publications ahead of the slowest
 * subscriber (the parent forwards the subscribers' progress). So nothing queues without bound
 * anywhere, however slow the system under test is.
 *
 * Closed loop (no `rate`): as fast as the windows allow; each event carries its send time.
 * Open loop (`rate` publications/s): publication n is due at startAt + (n - 1) / rate and carries
 * that due time, not the time it was actually sent, so a stall that holds publications back shows
 * in their latency instead of hiding it (coordinated omission).
 *
 * Publications are spread over `topics` topics (lib/topics.mjs). Each event's args:
 * [topic sequence number, timestamp (ms, cross-process clock), padding, topic index].
 */

const settings = childSettings();
const padding = 'x'.repeat(settings.payloadBytes);
const topics = settings.topics ?? 1;

let published = 0;
let acknowledged = 0;
let failed = 0;
let firstError = null;
let delivered = 0; // the delivery barrier: publications every subscriber has accounted for
let startAt = 0;
let stopAt = 0;
let wake = null;

/** When publication n is due: now for the closed loop, on the schedule for the open loop. */
function dueAt(n) {
  return settings.rate ? startAt + ((n - 1) * 1000) / settings.rate : now();
}

function pump(client) {
  while (
    published - acknowledged - failed < settings.ackWindow &&
    published - delivered < settings.deliveryWindow &&
    published < settings.maxPublications
  ) {
    const due = dueAt(published + 1);
    const sentAt = now();
    if (due >= stopAt || due > sentAt) break;
    published++;
    const { topic, seq } = placeOf(published, topics);
    client.publish(topicName(settings.topic, topics, topic), [seq, due, padding, topic]).then(
      () => {
        acknowledged++;
        wake?.();
      },
      (error) => {
        failed++;
        firstError ??= error.message;
        wake?.();
      },
    );
  }
}

/** Resolves at the next ack, delivery progress, or after `ms`, whichever comes first. */
function nextChange(ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(timer);
      wake = null;
      resolve();
    };
  });
}

async function main() {
  const client = await connectClient(settings.target);
  onParent('delivered', (message) => {
    if (message.seq > delivered) delivered = message.seq;
    wake?.();
  });
  onParent('go', async (message) => {
    startAt = message.startAt;
    stopAt = message.measureEnd;
    await sleep(Math.max(0, startAt - now()));
    while (now() < stopAt && published < settings.maxPublications && !client.closed) {
      pump(client);
      const untilDue = settings.rate ? dueAt(published + 1) - now() : 50;
      await nextChange(Math.max(1, Math.min(50, untilDue, stopAt - now())));
    }
    // Let the last acknowledgements arrive, within a bound.
    const drainUntil = now() + settings.drainMs;
    while (published > acknowledged + failed && now() < drainUntil) await nextChange(50);
    if (client.closed) firstError ??= 'the publisher lost its connection';
    tell({ type: 'result', published, acknowledged, failed, duplicateAcks: client.unexpectedAnswers ?? 0, firstError });
  });
  onParent('close', () => {
    client.close();
    setTimeout(() => process.exit(0), 200);
  });
  tell({ type: 'ready' });
}

main().catch(fail);
