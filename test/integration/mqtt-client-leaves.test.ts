import type { Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { generate, type Packet } from 'mqtt-packet';
import { WebSocket } from 'ws';
import { connectMqtt, metric, mqttTestConfig, RawMqtt, testMqtt } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';

/**
 * An MQTT client that ends its side of the connection (TCP FIN; over WebSocket, its close frame)
 * without DISCONNECT is gone: its session ends at once and its will goes, even while it reads
 * nothing more and the router's last bytes wait for it (before, the session stayed until those
 * were read, or ws's close timeout of 30 s).
 */

const MiB = 1024 * 1024;
// Room to queue what the client does not read without dropping it as a slow consumer.
const config = mqttTestConfig({ maxBufferedBytes: 64 * MiB });
config.listeners[0]!.paths['/mqtt'] = { type: 'mqtt', ...testMqtt({ maxBufferedBytes: 64 * MiB }) };
const node = await startTestNode(config);
after(() => node.stop());
const scrape = (name: string): number => metric(node.metrics.exposition(), name);

const connectPacket = (will: string): Packet => ({
  cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: '', clean: true, keepalive: 0,
  will: { topic: will, payload: Buffer.from('{"args": ["gone"]}'), qos: 0, retain: false },
} as unknown as Packet);

/** Publishes `bytes` of events to `topic`, each published once the router took the previous (QoS 1). */
async function flood(topic: string, bytes: number): Promise<void> {
  const publisher = await connectMqtt(node.ports.get('mqtt')!);
  const payload = JSON.stringify({ args: ['a'.repeat(256 * 1024)] }); // the native json mapping
  for (let sent = 0; sent < bytes; sent += payload.length) await publisher.client.publishAsync(topic, payload, { qos: 1 });
  await publisher.client.endAsync();
}

describe('an MQTT client that ends its side of the connection', () => {
  it('over TCP: its will goes at its FIN, though our last bytes wait for it to read', async () => {
    const watcher = await connectMqtt(node.ports.get('mqtt')!);
    await watcher.client.subscribeAsync('leaves/tcp/will');
    const connections = scrape('junction_mqtt_connections{transport="mqtt"}');
    const leaver = await RawMqtt.open(node.ports.get('mqtt')!, 5);
    leaver.send(connectPacket('leaves/tcp/will') as unknown as Record<string, unknown>);
    await leaver.next('connack');
    leaver.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'leaves/tcp/fill', qos: 0 }] });
    await leaver.next('suback');
    leaver.pauseReading();
    await flood('leaves/tcp/fill', 24 * MiB); // more than loopback's buffers hold
    (leaver as unknown as { socket: Socket }).socket.end();
    await watcher.until((messages) => messages.some((m) => m.topic === 'leaves/tcp/will'), 'the will', 5_000);
    // The connection too, a second later: what it has not read by then it never will.
    await waitFor(() => scrape('junction_mqtt_connections{transport="mqtt"}') === connections, 'the connection closed', 5_000);
    leaver.end();
    await watcher.client.endAsync();
  });

  it('over WebSocket: its will goes at its close frame, though it never reads again', async () => {
    const watcher = await connectMqtt(node.ports.get('mqtt')!);
    await watcher.client.subscribeAsync('leaves/ws/will');
    const ws = new WebSocket(node.url.replace(/\/ws$/, '/mqtt'), 'mqtt');
    ws.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const connack = new Promise<void>((resolve) => ws.once('message', () => resolve()));
    ws.send(generate(connectPacket('leaves/ws/will'), { protocolVersion: 5 }));
    await connack;
    (ws as unknown as { _socket: Socket })._socket.pause();
    ws.close(1000);
    await watcher.until((messages) => messages.some((m) => m.topic === 'leaves/ws/will'), 'the will', 5_000);
    ws.terminate();
    await watcher.client.endAsync();
  });
});
