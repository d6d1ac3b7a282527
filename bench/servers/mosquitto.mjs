import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTracked, terminateChild } from '../lib/children.mjs';
import { freePort, retryUntil } from '../lib/net.mjs';
import { withTimeout } from '../lib/clock.mjs';
import { TIME_SCALE } from '../lib/time-scale.mjs';
import { connectMqtt } from '../clients/mqtt-client.mjs';

/**
 * The mosquitto system: Debian's broker (C, one thread) on a free loopback port with a generated
 * config, started per run and stopped after, so Junction's MQTT listener has a native broker to
 * be compared with on the same clients and payloads. Not a test dependency: a machine without the
 * binary skips the system with a message (`apt-get install mosquitto`).
 *
 * Its limits are set to Junction's MQTT defaults where mosquitto has the same knob (docs/mqtt.md):
 * 100 QoS 1/2 messages in flight and 1,000 (or 4 MiB) queued per client, 1 MiB packets. It keeps
 * nothing on disk, and like Junction it sets TCP_NODELAY on its sockets.
 */

export const MOSQUITTO_BINARY = process.env.MOSQUITTO ?? '/usr/sbin/mosquitto';
const START_TIMEOUT_MS = 10_000 * TIME_SCALE;
const CONNECT_TIMEOUT_MS = 5_000;

/** Why mosquitto cannot run here, or null. */
export function mosquittoMissing() {
  return existsSync(MOSQUITTO_BINARY) ? null : `${MOSQUITTO_BINARY} not found (install Debian's mosquitto package, or set MOSQUITTO to the binary)`;
}

export function mosquittoConfig(port) {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    'set_tcp_nodelay true',
    'max_inflight_messages 100',
    'max_queued_messages 1000',
    'max_queued_bytes 4194304',
    'max_packet_size 1048576',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    '',
  ].join('\n');
}

export async function startMosquitto(name, options) {
  const missing = mosquittoMissing();
  if (missing) throw new Error(`${name} skipped: ${missing}`);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-bench-'));
  const file = join(dir, 'mosquitto.conf');
  writeFileSync(file, mosquittoConfig(port));
  const child = spawnTracked(MOSQUITTO_BINARY, ['-c', file], {}, `${name} broker`, { logFile: options.routerLogFile });
  const removeConfig = () => rmSync(dir, { recursive: true, force: true });
  const mqtt = { kind: 'mqtt', host: '127.0.0.1', port };
  try {
    await retryUntil(async () => (await withTimeout(connectMqtt(mqtt), CONNECT_TIMEOUT_MS, 'an MQTT connect')).close(), {
      timeoutMs: START_TIMEOUT_MS,
      what: 'mosquitto',
      giveUp: () => (child.exitInfo ? new Error(`mosquitto exited (${child.exitInfo})${child.describeFailure()}`) : null),
    });
  } catch (error) {
    await terminateChild(child);
    removeConfig();
    throw error;
  }
  const stop = async () => {
    await terminateChild(child);
    removeConfig();
  };
  return { name, url: `mqtt://127.0.0.1:${port}`, pid: child.pid, clients: { publisher: mqtt, subscriber: mqtt }, stop };
}
