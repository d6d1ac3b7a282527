import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expectMessage, forkBench, spawnTracked, stopChild, terminateChild } from './lib/children.mjs';
import { freePort, retryUntil } from './lib/net.mjs';
import { connectWamp } from './clients/wamp-client.mjs';

/**
 * The systems under test, each started in its own process:
 *   relay         the floor: a plain ws relay (servers/relay-server.mjs), same serializer as Junction
 *   socketio      Socket.IO 4 (servers/socketio-server.mjs), its own JSON encoding
 *   junction      the router, through its real CLI
 *   relay-corked  not run by default: the relay with writes coalesced per event-loop turn, to show
 *                 what write batching would be worth
 * startSystem resolves to { name, url, pid, stop() } once the server accepts clients.
 */

export const SYSTEMS = ['relay', 'socketio', 'junction', 'relay-corked'];
export const DEFAULT_SYSTEMS = ['relay', 'socketio', 'junction'];

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const SERVER_START_TIMEOUT_MS = 20_000;

export async function startSystem(name, options) {
  switch (name) {
    case 'relay':
      return startForked(name, 'servers/relay-server.mjs', options);
    case 'relay-corked':
      return startForked(name, 'servers/relay-server.mjs', { ...options, corked: true });
    case 'socketio':
      return startForked(name, 'servers/socketio-server.mjs', options);
    case 'junction':
      return startJunction(options);
    default:
      throw new Error(`unknown system "${name}" (expected one of ${SYSTEMS.join(', ')})`);
  }
}

async function startForked(name, modulePath, options) {
  const settings = { serializer: options.serializer, corked: options.corked === true, hardTimeoutMs: options.hardTimeoutMs };
  const child = forkBench(modulePath, settings, `${name} server`);
  try {
    const { url } = await expectMessage(child, 'listening', SERVER_START_TIMEOUT_MS);
    return { name, url, pid: child.pid, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

function junctionIsBuilt() {
  return existsSync(`${repoRoot}/dist/src/cli/main.js`) && existsSync(`${repoRoot}/bin/junction.js`);
}

async function startJunction(options) {
  if (!junctionIsBuilt()) throw new Error('Junction is not built: dist/src/cli/main.js or bin/junction.js is missing (run `npm run build`)');
  const port = await freePort();
  const nodeFlags = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : [];
  const child = spawnTracked(
    process.execPath,
    [...nodeFlags, 'bin/junction.js', 'start', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn'],
    { cwd: repoRoot },
    'junction router',
  );
  const url = `ws://127.0.0.1:${port}/ws`;
  try {
    // Ready means a WAMP session can be opened, not merely that the port is bound.
    await retryUntil(
      async () => (await connectWamp({ url, serializer: options.serializer })).close(),
      {
        timeoutMs: SERVER_START_TIMEOUT_MS,
        what: 'junction router',
        giveUp: () => (child.exitInfo ? new Error(`junction router exited (${child.exitInfo})${child.describeFailure()}`) : null),
      },
    );
  } catch (error) {
    await terminateChild(child);
    throw error;
  }
  // SIGTERM, not a kill: the router shuts down cleanly and node writes the --cpu-prof profile.
  return { name: 'junction', url, pid: child.pid, stop: () => terminateChild(child, 10_000) };
}
