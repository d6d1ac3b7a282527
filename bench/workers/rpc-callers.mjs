import { inspect } from 'node:util';
import { connectMany } from '../clients/index.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { now, sleep } from '../lib/clock.mjs';
import { childSettings, fail, onParent, tell } from '../lib/worker-ipc.mjs';

/**
 * `count` caller sessions, each with exactly one call in flight (a closed loop), so the system
 * under test never holds more than the total number of callers' calls. Calls completing inside
 * the measurement window are counted with their round-trip time. Each call's args are
 * [send timestamp, padding]; a result that does not echo them counts as an error.
 */

const settings = childSettings();
const padding = 'x'.repeat(settings.payloadBytes);
const histogram = new Histogram();
let completed = 0; // inside the window
let failed = 0;
let firstError = null;
let totalCalls = 0;

async function callLoop(client, windowStart, windowEnd) {
  while (totalCalls < settings.maxCalls && !client.closed) {
    const sentAt = now();
    if (sentAt >= windowEnd) return;
    totalCalls++;
    try {
      const result = await client.call(settings.procedure, [sentAt, padding]);
      if (!Array.isArray(result) || result[0] !== sentAt) throw new Error(`unexpected result ${inspect(result)} for [${sentAt}, ...]`);
      const returnedAt = now();
      if (returnedAt >= windowStart && returnedAt < windowEnd) {
        completed++;
        histogram.record((returnedAt - sentAt) * 1000);
      }
    } catch (error) {
      failed++;
      firstError ??= error.message;
      if (failed > 1000) return; // a broken system: stop hammering it
    }
  }
}

async function main() {
  const clients = await connectMany(settings.target, settings.count);
  onParent('go', async (message) => {
    await sleep(Math.max(0, message.startAt - now()));
    await Promise.all(clients.map((client) => callLoop(client, message.warmupEnd, message.measureEnd)));
    const disconnected = clients.filter((client) => client.closed).length;
    if (disconnected > 0) {
      failed += disconnected;
      firstError ??= `${disconnected} caller(s) lost their connection`;
    }
    tell({ type: 'result', completed, failed, firstError, totalCalls, latency: histogram.toJSON() });
  });
  onParent('close', () => {
    for (const client of clients) client.close();
    setTimeout(() => process.exit(0), 200);
  });
  tell({ type: 'ready' });
}

main().catch(fail);
