import { connect, type Socket } from 'node:net';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { generate, parser as createParser, type Packet } from 'mqtt-packet';
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
  /** The PUBLISH packets themselves, in the same order (MQTT 5 properties included). */
  packets: IPublishPacket[];
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
  const packets: IPublishPacket[] = [];
  let ended: string | undefined;
  const arrivals = new Arrivals({ stopped: () => ended, received: () => `received ${JSON.stringify(messages)}` });
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString('utf8'), qos: packet.qos, retain: packet.retain });
    packets.push(packet);
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
    packets,
    until: (condition, what, timeoutMs = 5_000) => arrivals.until(() => condition(messages), what, timeoutMs),
    end: () => client.endAsync(),
  };
}

/** The SUBACK codes of a SUBSCRIBE (MQTT.js rejects when one is a failure, with the SUBACK attached). */
export async function subackCodes(client: MqttClient, filters: Record<string, { qos: 0 | 1 | 2 }>): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters)).map((grant) => grant.qos);
  } catch (error) {
    const packet = (error as { packet?: { granted?: number[] } }).packet;
    if (!packet?.granted) throw error;
    return packet.granted;
  }
}

/** A bare MQTT client on a socket: writes packets as given, records every packet it gets. */
export class RawMqtt {
  readonly packets: Packet[] = [];
  closed = false;
  private readonly arrivals = new Arrivals({ stopped: () => (this.closed ? 'the connection closed' : undefined), received: () => `received ${this.packets.map((p) => p.cmd).join(', ')}` });
  private constructor(private readonly socket: Socket, readonly version: 4 | 5, onPacket?: (packet: Packet) => void) {
    const parser = createParser({ protocolVersion: version });
    parser.on('packet', (packet: Packet) => {
      this.packets.push(packet);
      onPacket?.(packet);
      this.arrivals.wake();
    });
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.arrivals.wake();
    });
    socket.on('error', () => undefined);
  }

  /** `onPacket` sees each packet as it arrives (to answer it at once, as a client would). */
  static async open(port: number, version: 4 | 5 = 5, onPacket?: (packet: Packet) => void): Promise<RawMqtt> {
    const socket = connect({ port, host: '127.0.0.1' });
    await new Promise((resolve) => socket.once('connect', resolve));
    return new RawMqtt(socket, version, onPacket);
  }

  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Stops reading: what the server writes piles up in the kernel's buffers, then in the server's. */
  pauseReading(): void {
    this.socket.pause();
  }

  send(packet: Record<string, unknown>): void {
    this.socket.write(generate(packet as unknown as Packet, { protocolVersion: this.version }));
  }

  /** CONNECT, and the CONNACK that answers it. */
  async connect(extra: Record<string, unknown> = {}): Promise<Packet & { cmd: 'connack' }> {
    this.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: this.version, clientId: '', clean: true, keepalive: 0, ...extra });
    return (await this.next('connack')) as Packet & { cmd: 'connack' };
  }

  /** Waits until `condition` holds over the packets received so far. */
  until(condition: (packets: Packet[]) => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    return this.arrivals.until(() => condition(this.packets), what, timeoutMs);
  }

  /** The packets of one kind received so far. */
  received(cmd: string): Packet[] {
    return this.packets.filter((packet) => packet.cmd === cmd);
  }

  /** PINGREQ, and its PINGRESP: every packet the server wrote before answering it has arrived by then. */
  async sync(): Promise<void> {
    const answers = this.received('pingresp').length + 1;
    this.send({ cmd: 'pingreq' });
    await this.until(() => this.received('pingresp').length >= answers, 'PINGRESP');
  }

  async next(cmd: string): Promise<Packet> {
    await this.arrivals.until(() => this.packets.some((packet) => packet.cmd === cmd), cmd.toUpperCase(), 5_000);
    return this.packets.find((packet) => packet.cmd === cmd)!;
  }

  whenClosed(timeoutMs = 5_000): Promise<void> {
    return this.arrivals.until(() => false, 'never', timeoutMs).catch((error: Error) => {
      if (!this.closed) throw error;
    });
  }

  end(): void {
    this.socket.destroy();
  }
}

/** A counter's value in a metrics exposition (its first line; 0 when absent). */
export const metric = (text: string, name: string): number => {
  const line = text.split('\n').find((entry) => entry.startsWith(name));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
};

/**
 * A QoS 1 MQTT 5 PUBLISH whose User Properties are these pairs in this order, written by hand:
 * mqtt-packet's generate takes them as an object, so it writes a name's values together.
 */
export function publishWithUserProperties(topic: string, messageId: number, pairs: readonly [string, string][], payload = '{}'): Buffer {
  const string = (text: string) => Buffer.concat([Buffer.from([0, Buffer.byteLength(text)]), Buffer.from(text)]);
  const properties = Buffer.concat(pairs.map(([name, value]) => Buffer.concat([Buffer.from([0x26]), string(name), string(value)])));
  const body = Buffer.concat([string(topic), Buffer.from([messageId >> 8, messageId & 0xff, properties.length]), properties, Buffer.from(payload)]);
  if (properties.length > 127 || body.length > 127) throw new Error('publishWithUserProperties writes one-byte lengths only');
  return Buffer.concat([Buffer.from([0x32, body.length]), body]);
}
