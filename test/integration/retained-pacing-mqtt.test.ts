/**
 * An MQTT SUBSCRIBE on a filter covering many large retained messages (60 of 500 KB, 30 MB): the
 * router sends them as the client's connection takes them (max_buffered_bytes, 4 MiB by default),
 * and at QoS 1 as its queue takes them (max_queued_bytes), so its own burst neither drops a client
 * that reads nor pushes retained messages out of its queue; when a persistent session's client
 * leaves mid-burst the rest goes by the offline queue's rules; a client that stops reading is
 * still dropped by the slow-consumer rule once more is meant for it than it can hold.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import type { RunningNode } from '../../src/node/node.js';
import { connectMqtt, mqttTestConfig, RawMqtt, testMqtt, type Received, type RecordingClient } from '../support/mqtt.js';
import { startTestNode, webSocketPath } from '../support/node.js';
import { RawClient } from '../support/raw-client.js';
import { waitFor } from '../support/wait.js';

const RETAINED = 60;
const EVENT_CHARS = 500_000;
const SLOW_CONSUMERS = 'junction_mqtt_slow_consumer_closed_total{';

/** The first argument of a native-format MQTT payload: the retained message's index, or "live". */
const indexOf = (payload: string): unknown => (JSON.parse(payload) as { args: unknown[] }).args[0];

describe('retained messages paced by an MQTT subscriber\'s connection', { timeout: 120_000 }, () => {
  let node: RunningNode & { url: string };
  let port: number;
  let publisher: RawClient;
  let mqttPublisher: RecordingClient;
  /** Slow-consumer drops of both MQTT doors (the TCP transport and the web listener's /mqtt path). */
  const slowConsumers = (): number => node.metrics.exposition().split('\n').filter((line) => line.startsWith(SLOW_CONSUMERS))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);

  before(async () => {
    const config = mqttTestConfig();
    webSocketPath(config).options.maxMessageSize = 1_048_576;
    config.listeners[0]!.paths['/mqtt'] = { type: 'mqtt', ...testMqtt() };
    node = await startTestNode(config);
    port = node.ports.get('mqtt')!;
    // Retained at QoS 1 from MQTT: a QoS 1 subscription gets them at QoS 1, a QoS 0 one at QoS 0.
    mqttPublisher = await connectMqtt(port);
    for (let index = 0; index < RETAINED; index++) {
      await mqttPublisher.client.publishAsync(`big/t${String(index).padStart(2, '0')}`, JSON.stringify({ args: [index, 'x'.repeat(EVENT_CHARS)] }), { qos: 1, retain: true });
    }
    publisher = await RawClient.open(node.url);
    assert.equal((await publisher.hello())[0], 2);
  });

  after(async () => {
    publisher?.close();
    await mqttPublisher?.end();
    await node?.stop();
  });

  const doors = [
    { door: 'TCP', url: () => `mqtt://127.0.0.1:${port}` },
    { door: 'WebSocket', url: () => node.url.replace(/\/ws$/, '/mqtt') },
  ];
  for (const { door, url } of doors) for (const qos of [0, 1] as const) {
    it(`delivers all 60 retained messages of 500 KB over ${door} at QoS ${qos}, in order and flagged retained, then a live one`, async () => {
      const before = slowConsumers();
      const client = await mqtt.connectAsync(url(), { reconnectPeriod: 0 });
      const subscriber = { client, messages: [] as Received[], end: () => client.endAsync() };
      client.on('message', (topic, payload, packet) => subscriber.messages.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain }));
      await client.subscribeAsync('big/#', { qos });
      // A live publication while retained ones are still on their way comes after all of them
      // (at QoS 1 too: MQTT keeps the order of one QoS level, and QoS 0 may overtake QoS 1).
      await mqttPublisher.client.publishAsync('big/t00', JSON.stringify({ args: ['live'] }), { qos: 1 });
      await waitFor(() => subscriber.messages.length === RETAINED + 1 || !subscriber.client.connected, 'every retained message and the live one', 60_000)
        .finally(() => subscriber.end());
      assert.equal(subscriber.messages.length, RETAINED + 1, `the connection closed after ${subscriber.messages.length} messages`);
      const retained = subscriber.messages.slice(0, RETAINED);
      assert.deepEqual(retained.map((message) => indexOf(message.payload)), [...Array(RETAINED).keys()]);
      assert.ok(retained.every((message) => message.retain && message.qos === qos && message.topic.startsWith('big/t')));
      assert.equal(indexOf(subscriber.messages[RETAINED]!.payload), 'live');
      assert.equal(subscriber.messages[RETAINED]!.retain, false);
      assert.equal(slowConsumers(), before, 'not dropped as a slow consumer');
    });
  }

  it('goes on by the offline queue\'s rules when a persistent session\'s client leaves mid-burst', async () => {
    const realm = node.router.realm('realm1')!;
    const dropped = (): number => node.metrics.exposition().split('\n').filter((line) => line.startsWith('junction_mqtt_queue_dropped_total{') && line.includes('limit="client"'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    const droppedBefore = dropped();
    const clientId = 'retained-pacing-away';
    // A client that never acknowledges: the burst waits for its QoS 1 window and queue.
    const away = await RawMqtt.open(port, 4);
    await away.connect({ clientId, clean: false });
    away.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'big/#', qos: 1 }] });
    await away.next('suback');
    await away.until((packets) => packets.some((packet) => packet.cmd === 'publish'), 'the first retained message');
    assert.equal(realm.broker.retainedReplaysPending, 1, 'the burst waits for room');
    away.end();
    // Once the client is away the rest goes to its queue, the oldest dropped past max_queued_bytes.
    await waitFor(() => realm.broker.retainedReplaysPending === 0, 'the burst finished', 10_000);
    assert.ok(dropped() > droppedBefore, 'the oldest queued messages dropped, counted');
    const back = await connectMqtt(port, { clientId, clean: false });
    try {
      await waitFor(() => back.messages.some((message) => indexOf(message.payload) === RETAINED - 1), 'the newest retained message', 10_000);
      const indexes = back.messages.map((message) => indexOf(message.payload) as number);
      assert.ok(indexes.length < RETAINED, `only what the queue holds: got ${indexes.length}`);
      assert.deepEqual(indexes, [...indexes].sort((a, b) => a - b), 'in order');
    } finally {
      await back.end();
    }
  });

  it('still drops a client that stops reading once more is meant for it than it can hold', async () => {
    const before = slowConsumers();
    const realm = node.router.realm('realm1')!;
    const sessions = realm.sessions.size;
    const client = await RawMqtt.open(port, 4);
    await client.connect();
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'big/#', qos: 0 }] });
    await client.next('suback');
    client.pauseReading();
    // Live publications wait behind the retained ones; past what the router holds for the
    // subscription, everything goes to the connection, whose slow-consumer limit then drops it.
    for (let index = 0; index < 20 && slowConsumers() === before; index++) {
      publisher.send([16, 1000 + index, { acknowledge: true }, 'big.t01', [index, 'y'.repeat(EVENT_CHARS)]]);
      await publisher.next((message) => message[1] === 1000 + index, 10_000);
    }
    await waitFor(() => slowConsumers() === before + 1, 'the slow-consumer drop', 10_000);
    await waitFor(() => realm.sessions.size === sessions, 'its session gone (only the publishers left)', 10_000);
    assert.equal(realm.broker.retainedReplaysPending, 0, 'nothing held for it any more');
    client.end();
  });
});
