import { connectMany } from '../clients/index.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { now, sleep } from '../lib/clock.mjs';
import { SequenceCheck } from '../lib/sequence-check.mjs';
import { childSettings, fail, onParent, tell } from '../lib/worker-ipc.mjs';

/**
 * A chat room: `count` members in this one process, every one subscribed to `topic` and every one
 * publishing to it, each publication delivered to every member, its sender included (WAMP
 * exclude_me false; the relay and Socket.IO rooms do so anyway), so all systems do the same work.
 * Each member has one publication unacknowledged at most, and at most `window` of its
 * publications not yet delivered to every member, so nothing queues without bound.
 * Event args: [member index, member's sequence number, publish timestamp, padding]. Every member
 * checks every other member's sequence (lib/sequence-check.mjs).
 */

const settings = childSettings();
const padding = 'x'.repeat(settings.payloadBytes);
const histogram = new Histogram();
const count = settings.count;
let windowStart = Infinity;
let windowEnd = -Infinity;
let stopAt = 0;
let delivered = 0; // inside the window
let strays = 0; // events naming no member
let failed = 0;
let firstError = null;

async function main() {
  const clients = await connectMany(settings.target, count);
  const published = new Array(count).fill(0);
  const unacknowledged = new Array(count).fill(0);
  const undelivered = new Array(count).fill(0); // deliveries of member i's publications still due
  // checks[receiver * count + sender]
  const checks = Array.from({ length: count * count }, () => new SequenceCheck());

  function publishNext(member) {
    const client = clients[member];
    if (unacknowledged[member] > 0 || undelivered[member] > (settings.window - 1) * count || now() >= stopAt || client.closed) return;
    published[member]++;
    unacknowledged[member]++;
    undelivered[member] += count;
    client.publish(settings.topic, [member, published[member], now(), padding], { everyone: true }).then(
      () => {
        unacknowledged[member]--;
        publishNext(member);
      },
      (error) => {
        unacknowledged[member]--;
        undelivered[member] -= count;
        failed++;
        firstError ??= error.message;
      },
    );
  }

  const onEvent = (receiver) => (args) => {
    const arrived = now();
    const sender = args[0];
    if (!Number.isInteger(sender) || sender < 0 || sender >= count) {
      strays++;
      return;
    }
    checks[receiver * count + sender].see(args[1]);
    undelivered[sender]--;
    if (arrived >= windowStart && arrived < windowEnd) {
      delivered++;
      histogram.record((arrived - args[2]) * 1000);
    }
    if (undelivered[sender] === (settings.window - 1) * count) publishNext(sender);
  };
  await Promise.all(clients.map((client, i) => client.subscribe(settings.topic, onEvent(i))));

  onParent('go', async (message) => {
    windowStart = message.warmupEnd;
    windowEnd = message.measureEnd;
    stopAt = message.measureEnd;
    await sleep(Math.max(0, message.startAt - now()));
    for (let member = 0; member < count; member++) publishNext(member);
    await sleep(Math.max(0, stopAt - now()));
    // The tail: every delivery due, within a bound.
    const drainUntil = now() + settings.drainMs;
    while (now() < drainUntil && undelivered.some((n) => n > 0)) await sleep(10);
    let lost = 0;
    let reordered = 0;
    let duplicates = strays + clients.reduce((sum, client) => sum + (client.unexpectedAnswers ?? 0), 0);
    for (let receiver = 0; receiver < count; receiver++) {
      for (let sender = 0; sender < count; sender++) {
        const faults = checks[receiver * count + sender].faults(published[sender]);
        lost += faults.missing;
        reordered += faults.reordered;
        duplicates += faults.duplicates;
      }
    }
    const disconnected = clients.filter((client) => client.closed).length;
    if (disconnected > 0) firstError ??= `${disconnected} member(s) lost their connection`;
    tell({
      type: 'result',
      delivered,
      published: published.reduce((a, b) => a + b, 0),
      lost,
      reordered,
      duplicates,
      failed: failed + disconnected,
      firstError,
      latency: histogram.toJSON(),
    });
  });
  onParent('close', () => {
    for (const client of clients) client.close();
    setTimeout(() => process.exit(0), 200);
  });
  tell({ type: 'ready' });
}

main().catch(fail);
