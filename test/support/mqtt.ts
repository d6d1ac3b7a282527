import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { JunctionConfig, MqttService } from '../../src/config/model.js';
import { mqttDefaults } from '../../src/config/schema-mqtt.js';
import { testConfig } from './node.js';
import { Arrivals } from './wait.js';

/** An MQTT transport's settings with the config defaults; `overrides` tunes them per test. */
export function testMqtt(overrides: Partial<MqttService> = {}): MqttService {
  return {
    realm: 'realm1',
    payloadMapping: { '': { type: 'native', serializer: 'json' } },
    auth: { anonymous: { type: 'static', role: 'anonymous' } },
    ...mqttDefaults,
    ...overrides,
  };
}

/** testConfig() (realm1, anonymous may do everything, a WebSocket on /ws) plus an MQTT listener "mqtt" on a free port. */
export function mqttTestConfig(overrides: Partial<MqttService> = {}): JunctionConfig {
  const config = testConfig();
  config.listeners.push({ id: 'mqtt', kind: 'mqtt', endpoint: { port: 0, interface: '127.0.0.1' }, paths: {}, mqtt: testMqtt(overrides), trustedProxies: [] });
  return config;
}

export interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

/** An MQTT.js client that records what it receives; `until` waits for a condition on it. */
export interface RecordingClient {
  client: MqttClient;
  messages: Received[];
  until(condition: (messages: Received[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  end(): Promise<void>;
}

/**
 * Connects MQTT.js (no reconnects) and records every message, from the first: a resumed session's
 * messages may arrive in the same read as CONNACK. Rejects if CONNECT is refused.
 */
export async function connectMqtt(port: number, options: IClientOptions = {}): Promise<RecordingClient> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
  const messages: Received[] = [];
  let ended: string | undefined;
  const arrivals = new Arrivals({ stopped: () => ended, received: () => `received ${JSON.stringify(messages)}` });
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString('utf8'), qos: packet.qos, retain: packet.retain });
    arrivals.wake();
  });
  client.on('close', () => {
    ended ??= 'the MQTT connection closed';
    arrivals.wake();
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
    client.once('close', () => reject(new Error('the MQTT connection closed before CONNACK')));
  });
  return {
    client,
    messages,
    until: (condition, what, timeoutMs = 5_000) => arrivals.until(() => condition(messages), what, timeoutMs),
    end: () => client.endAsync(),
  };
}
