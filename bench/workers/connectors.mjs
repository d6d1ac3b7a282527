import { connectClient } from '../clients/index.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { now, sleep, withTimeout } from '../lib/clock.mjs';
import { childSettings, fail, onParent, tell } from '../lib/worker-ipc.mjs';

/**
 * Session establishment: `lanes` loops, each opening a connection (for WAMP: the WebSocket
 * handshake, HELLO, the authentication's CHALLENGE/AUTHENTICATE if any, WELCOME; for the relay the
 * WebSocket handshake alone; for Socket.IO its handshake and namespace CONNECT), then closing it
 * and waiting until it is closed, so no more than `lanes` connections are ever open. Connections
 * established inside the measurement window are counted with the time it took.
 */

const settings = childSettings();
const CLOSE_TIMEOUT_MS = 5_000;
const histogram = new Histogram();
let established = 0; // inside the window
let attempts = 0;
let failed = 0;
let firstError = null;

async function lane(windowStart, windowEnd) {
  while (now() < windowEnd && attempts < settings.maxConnections && failed <= 100) {
    attempts++;
    const startedAt = now();
    try {
      const client = await connectClient(settings.target);
      const openedAt = now();
      if (openedAt >= windowStart && openedAt < windowEnd) {
        established++;
        histogram.record((openedAt - startedAt) * 1000);
      }
      client.close();
      await withTimeout(client.ended, CLOSE_TIMEOUT_MS, 'closing a connection');
    } catch (error) {
      failed++;
      firstError ??= error.message;
    }
  }
}

onParent('go', async (message) => {
  await sleep(Math.max(0, message.startAt - now()));
  await Promise.all(Array.from({ length: settings.lanes }, () => lane(message.warmupEnd, message.measureEnd)));
  tell({ type: 'result', established, attempts, failed, firstError, latency: histogram.toJSON() });
});
onParent('close', () => setTimeout(() => process.exit(0), 100));
tell({ type: 'ready' });
process.on('uncaughtException', fail);
