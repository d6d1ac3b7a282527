import { connectClient } from '../clients/index.mjs';
import { childSettings, fail, onParent, tell } from '../lib/worker-ipc.mjs';

/**
 * Holds `count` idle sessions, each subscribed to two topics: one shared by about `count / 1000`
 * sessions (a room) and one of its own (a per-user topic); with `subscriptions: 1` (the MQTT
 * idle measurement: one subscription per device) only the per-user topic. Session i connects from
 * localAddresses[i % n] (127.0.0.x), so more connections fit than one source address has
 * ephemeral ports. Nothing is sent after the subscriptions: the router only keeps them alive.
 */

const settings = childSettings();
const PARALLEL_HANDSHAKES = 64;
/** A line on stderr every this many sessions: a join of 100,000 on an emulated CPU takes many minutes. */
const PROGRESS_EVERY = 5000;

async function openSession(index) {
  const target = { ...settings.target, localAddress: settings.localAddresses[index % settings.localAddresses.length] };
  const client = await connectClient(target);
  const global = settings.firstIndex + index;
  const ignore = () => {};
  if (settings.subscriptions !== 1) await client.subscribe(`bench.idle.room.${global % 1000}`, ignore);
  await client.subscribe(`bench.idle.user.${global}`, ignore);
  return client;
}

async function main() {
  const clients = new Array(settings.count);
  let next = 0;
  async function lane() {
    while (next < settings.count) {
      const index = next++;
      clients[index] = await openSession(index);
      if ((index + 1) % PROGRESS_EVERY === 0) process.stderr.write(`[idle-sessions ${settings.firstIndex}+] ${index + 1} of ${settings.count} joined\n`);
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL_HANDSHAKES, settings.count) }, lane));

  onParent('check', () => {
    tell({ type: 'checked', open: clients.filter((client) => !client.closed).length });
  });
  // Leaving 50,000 sessions one GOODBYE at a time takes long; dropping the connections is what matters.
  onParent('close', () => process.exit(0));
  tell({ type: 'ready' });
}

main().catch(fail);
