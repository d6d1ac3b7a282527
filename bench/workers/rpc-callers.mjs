import { inspect } from 'node:util';
import { connectMany } from '../clients/index.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { now, pace, sleep } from '../lib/clock.mjs';
import { childSettings, fail, onParent, tell } from '../lib/worker-ipc.mjs';

/**
 * `count` caller sessions. Calls completing inside the measurement window are counted with their
 * latency. Each call's args are [timestamp, padding]; a result that does not echo them counts as
 * an error.
 *
 * Closed loop (no `rate`): each caller has exactly one call in flight, so the system under test
 * never holds more calls than there are callers; latency is the round trip.
 * Open loop (`rate` calls/s over all callers here): call n is due at startAt + (n - 1) / rate,
 * sent on caller n % count whatever is still in flight there (at most `maxInFlight` in all), and
 * its latency is measured from when it was due, so a stall of the system (or of this process)
 * that delays sending shows instead of hiding (coordinated omission). `sendLag` records how late
 * calls left this process (its timers fire at 1 ms granularity at best): the load generator's
 * own share of that latency; `fromSend` is the latency from the actual send, the system's share.
 * Sends are paced to within about 0.2 ms of their schedule (clock.mjs pace), not by 1 ms timers.
 */

const settings = childSettings();
const padding = 'x'.repeat(settings.payloadBytes);
const histogram = new Histogram();
const sendLag = new Histogram();
const fromSend = new Histogram();
let completed = 0; // inside the window
let failed = 0;
let firstError = null;
let totalCalls = 0;
let inFlight = 0;

/**
 * One call timed from `due` (and from `sentAt`). It counts toward throughput if it returns inside
 * the window. Its latency is recorded if it returns inside the window (closed loop), or if it was
 * due inside the window (open loop: however late it returns, so a stall cannot push the slowest
 * calls out of the sample).
 */
async function timedCall(client, due, windowStart, windowEnd, sentAt = due) {
  totalCalls++;
  inFlight++;
  try {
    const result = await client.call(settings.procedure, [due, padding]);
    if (!Array.isArray(result) || result[0] !== due) throw new Error(`unexpected result ${inspect(result).slice(0, 200)} for [${due}, ...]`);
    const returnedAt = now();
    const returnedInWindow = returnedAt >= windowStart && returnedAt < windowEnd;
    if (returnedInWindow) completed++;
    if (settings.rate ? due >= windowStart && due < windowEnd : returnedInWindow) {
      histogram.record((returnedAt - due) * 1000);
      fromSend.record((returnedAt - sentAt) * 1000);
    }
  } catch (error) {
    failed++;
    firstError ??= error.message;
  } finally {
    inFlight--;
  }
}

async function closedLoop(client, windowStart, windowEnd) {
  while (totalCalls < settings.maxCalls && !client.closed && failed <= 1000) {
    const sentAt = now();
    if (sentAt >= windowEnd) return;
    await timedCall(client, sentAt, windowStart, windowEnd);
  }
}

const OPEN_LOOP_DRAIN_MS = 5_000;

async function openLoop(clients, startAt, windowStart, windowEnd) {
  let n = 0;
  while (n < settings.maxCalls && failed <= 1000) {
    const due = startAt + (n * 1000) / settings.rate;
    if (due >= windowEnd) break;
    const at = now();
    if (due > at) {
      await pace(due - at);
      continue;
    }
    if (inFlight >= settings.maxInFlight) {
      await sleep(1);
      continue;
    }
    const client = clients[n % clients.length];
    n++;
    if (client.closed) continue;
    if (due >= windowStart) sendLag.record((at - due) * 1000);
    void timedCall(client, due, windowStart, windowEnd, at); // settles on its own: never rejects
  }
  const drainUntil = now() + OPEN_LOOP_DRAIN_MS;
  while (inFlight > 0 && now() < drainUntil) await sleep(5);
  if (inFlight > 0) {
    failed += inFlight;
    firstError ??= `${inFlight} call(s) unanswered ${OPEN_LOOP_DRAIN_MS} ms after the last was sent`;
  }
}

async function main() {
  const clients = await connectMany(settings.target, settings.count);
  onParent('go', async (message) => {
    await sleep(Math.max(0, message.startAt - now()));
    if (settings.rate) await openLoop(clients, message.startAt, message.warmupEnd, message.measureEnd);
    else await Promise.all(clients.map((client) => closedLoop(client, message.warmupEnd, message.measureEnd)));
    const disconnected = clients.filter((client) => client.closed).length;
    if (disconnected > 0) {
      failed += disconnected;
      firstError ??= `${disconnected} caller(s) lost their connection`;
    }
    const duplicates = clients.reduce((sum, client) => sum + (client.unexpectedAnswers ?? 0), 0);
    tell({ type: 'result', completed, failed, duplicates, firstError, totalCalls, latency: histogram.toJSON(), sendLag: sendLag.toJSON(), fromSend: fromSend.toJSON() });
  });
  onParent('close', () => {
    for (const client of clients) client.close();
    setTimeout(() => process.exit(0), 200);
  });
  tell({ type: 'ready' });
}

main().catch(fail);
