import { connectClient } from '../clients/index.mjs';
import { now, sleep } from '../lib/clock.mjs';
import { childSettings, fail, onParent, tell } from '../lib/worker-ipc.mjs';

/**
 * One publisher, publishing with acknowledgement as fast as two windows allow: at most
 * `ackWindow` publishes unacknowledged, and at most `deliveryWindow` publications ahead of the
 * slowest subscriber (the parent forwards the subscribers' progress). So nothing queues without
 * bound anywhere, however slow the system under test is.
 * Each event's args: [sequence number, publish timestamp (ms, cross-process clock), padding].
 */

const settings = childSettings();
const padding = 'x'.repeat(settings.payloadBytes);

let published = 0;
let acknowledged = 0;
let failed = 0;
let firstError = null;
let delivered = 0; // lowest sequence number every subscriber has reached
let stopAt = 0;
let wake = null;

function pump(client) {
  while (
    published - acknowledged - failed < settings.ackWindow &&
    published - delivered < settings.deliveryWindow &&
    published < settings.maxPublications
  ) {
    const sentAt = now();
    if (sentAt >= stopAt) break;
    published++;
    client.publish(settings.topic, [published, sentAt, padding]).then(
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
    stopAt = message.measureEnd;
    await sleep(Math.max(0, message.startAt - now()));
    while (now() < stopAt && published < settings.maxPublications && !client.closed) {
      pump(client);
      await nextChange(Math.max(1, Math.min(50, stopAt - now())));
    }
    // Let the last acknowledgements arrive, within a bound.
    const drainUntil = now() + settings.drainMs;
    while (published > acknowledged + failed && now() < drainUntil) await nextChange(50);
    if (client.closed) firstError ??= 'the publisher lost its connection';
    tell({ type: 'result', published, acknowledged, failed, firstError });
  });
  onParent('close', () => {
    client.close();
    setTimeout(() => process.exit(0), 200);
  });
  tell({ type: 'ready' });
}

main().catch(fail);
