import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { generate, type Packet } from 'mqtt-packet';
import type { MqttService } from '../../src/config/model.js';
import { defaultRealmLimits } from '../../src/config/schema-router.js';
import { openAutobahn } from '../support/autobahn.js';
import { connectMqtt, metric, mqttTestConfig, RawMqtt } from '../support/mqtt.js';
import { CaptureLog } from '../auth/support/capture-log.js';
import { startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';

/** A native-format MQTT payload of `size` bytes whose one argument starts with `n`. */
const payload = (n: number, size = 1_000) => JSON.stringify({ args: [String(n).padEnd(size - 12, '.')] });

async function nodeWith(overrides: Partial<MqttService>, log = new CaptureLog()) {
  const node = await startTestNode(mqttTestConfig(overrides), { log });
  return { node, port: node.ports.get('mqtt')! };
}

describe('MQTT limits', () => {
  const nodes: { stop(): Promise<void> }[] = [];
  after(async () => {
    for (const node of nodes) await node.stop();
  });

  it('closes a connection that sends no CONNECT in time, and one silent for 1.5 keepalive intervals', async () => {
    const hasty = await nodeWith({ openHandshakeTimeout: 200 });
    nodes.push(hasty.node);
    const silent = await RawMqtt.open(hasty.port);
    await silent.whenClosed();
    // The keepalive on a node with the default time limit for CONNECT: a loaded machine can take
    // more than 200 ms between opening a connection and reading the CONNECT sent right behind it.
    const { node, port } = await nodeWith({});
    nodes.push(node);
    const idle = await RawMqtt.open(port, 4);
    assert.equal((await idle.connect({ keepalive: 1 })).returnCode, 0);
    await idle.whenClosed();
    assert.equal(metric(node.metrics.exposition(), 'junction_mqtt_keepalive_timeouts_total'), 1);
  });

  it('keeps a connection whose packets come within 1.5 keepalive intervals, however long, and closes it once they stop', async () => {
    const { node, port } = await nodeWith({});
    nodes.push(node);
    const client = await RawMqtt.open(port, 4);
    assert.equal((await client.connect({ keepalive: 2 })).returnCode, 0);
    const openedAt = Date.now();
    // 4 s of a PINGREQ each 500 ms: past 1.5 x 2 s since CONNECT, pushed back by every packet.
    while (Date.now() - openedAt < 4_000) {
      client.send({ cmd: 'pingreq' });
      await client.next('pingresp');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.equal(metric(node.metrics.exposition(), 'junction_mqtt_keepalive_timeouts_total'), 0);
    await client.whenClosed();
    assert.equal(metric(node.metrics.exposition(), 'junction_mqtt_keepalive_timeouts_total'), 1);
  });

  it('announces max_packet_size and receive_maximum in an MQTT 5 CONNACK, and holds clients to them', async () => {
    const { node, port } = await nodeWith({ maxPacketSize: 1024, receiveMaximum: 2 });
    nodes.push(node);
    const big = await RawMqtt.open(port);
    const connack = await big.connect();
    assert.equal(connack.properties?.maximumPacketSize, 1024);
    assert.equal(connack.properties?.receiveMaximum, 2);
    big.send({ cmd: 'publish', topic: 'big/one', payload: Buffer.alloc(2000, 32), qos: 0, retain: false, dup: false });
    assert.equal((await big.next('disconnect') as { reasonCode?: number }).reasonCode, 0x95);
    await big.whenClosed();

    const greedy = await RawMqtt.open(port);
    await greedy.connect();
    for (const messageId of [1, 2, 3]) {
      greedy.send({ cmd: 'publish', topic: 'greedy/x', payload: Buffer.from('{"args": []}'), qos: 2, messageId, retain: false, dup: false });
    }
    assert.equal((await greedy.next('disconnect') as { reasonCode?: number }).reasonCode, 0x93);
    await greedy.whenClosed();
    assert.match(node.metrics.exposition(), /junction_mqtt_protocol_errors_total\{kind="too_large",transport="mqtt"\} 1/);
  });

  it('closes a connection that uses packet identifier 0 (MQTT 5: DISCONNECT 0x82), counted', async () => {
    const { node, port } = await nodeWith({});
    nodes.push(node);
    for (const version of [4, 5] as const) {
      const client = await RawMqtt.open(port, version);
      await client.connect();
      // PUBLISH QoS 1 to "a", packet identifier 0 (MQTT 5: an empty property block), payload "x".
      client.sendRaw(Buffer.from(version === 5 ? [0x32, 0x07, 0x00, 0x01, 0x61, 0x00, 0x00, 0x00, 0x78] : [0x32, 0x06, 0x00, 0x01, 0x61, 0x00, 0x00, 0x78]));
      if (version === 5) assert.equal((await client.next('disconnect') as { reasonCode?: number }).reasonCode, 0x82);
      await client.whenClosed();
      assert.deepEqual(client.received('puback'), [], 'no PUBACK for packet identifier 0');
    }
    assert.match(node.metrics.exposition(), /junction_mqtt_protocol_errors_total\{kind="packet_id",transport="mqtt"\} 2/);
  });

  it('refuses topic filters past max_subscriptions and connections past max_per_address', async () => {
    const { node, port } = await nodeWith({ maxSubscriptions: 2, maxPerAddress: 1 });
    nodes.push(node);
    const client = await RawMqtt.open(port);
    await client.connect();
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 1 }, { topic: 'b', qos: 0 }, { topic: 'c', qos: 1 }] });
    assert.deepEqual((await client.next('suback') as { granted: number[] }).granted, [1, 0, 0x97]);
    const second = await RawMqtt.open(port, 4);
    assert.equal((await second.connect()).returnCode, 3);
    await second.whenClosed();
    client.end();
  });

  it("clips the client id, which the client chose, in every log line: its session's and its connection's", async () => {
    const log = new CaptureLog();
    const { node, port } = await nodeWith({ maxSubscriptions: 1 }, log);
    nodes.push(node);
    const clientId = `device-${'x'.repeat(5_000)}`;
    const first = await RawMqtt.open(port);
    await first.connect({ clientId });
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 1 }] });
    first.send({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'b', qos: 1 }] });
    await first.until(() => first.received('suback').length === 2, 'both SUBACKs');
    assert.deepEqual(first.received('suback').map((suback) => (suback as { granted: number[] }).granted), [[1], [0x97]]);
    const second = await RawMqtt.open(port);
    assert.equal((await second.connect({ clientId, clean: false })).reasonCode ?? 0, 0);
    await first.whenClosed();
    second.end();
    const lines = ['MQTT subscription refused: max_subscriptions reached (further ones are counted, and warned at most every 10 s)', 'MQTT client id taken over by a new connection'].map((message) => log.find(message));
    for (const line of lines) assert.match(String(line?.fields.clientId), /^device-x{493}… \(5007 characters\)$/, JSON.stringify(line).slice(0, 200));
    assert.ok(!log.text().includes('x'.repeat(501)), 'no log line carries the whole client id');
  });

  it('drops the oldest message of a full offline queue, counted (and warned once, not per message)', async () => {
    const log = new CaptureLog();
    const { node, port } = await nodeWith({ maxQueuedMessages: 2 }, log);
    nodes.push(node);
    const clientId = 'queue-device';
    const first = await connectMqtt(port, { clientId, clean: false });
    await first.client.subscribeAsync('alerts', { qos: 1 });
    await first.end();
    const wamp = await openAutobahn(node.url);
    for (const n of [1, 2, 3, 4, 5]) await wamp.session.publish('alerts', [n], {}, { acknowledge: true, _mqtt: { qos: 1 } });
    await wamp.close();
    const back = await connectMqtt(port, { clientId, clean: false });
    await back.until((messages) => messages.length === 2, 'the two newest messages');
    assert.deepEqual(back.messages.map((message) => message.payload), ['{"args":[4]}', '{"args":[5]}']);
    await back.end();
    assert.equal(metric(node.metrics.exposition(), 'junction_mqtt_queue_dropped_total'), 3);
    assert.equal(log.lines.filter((line) => /MQTT client queue full/.test(line.message)).length, 1);
  });

  it('drops the oldest queued messages past max_queued_bytes too (a message alone is kept whatever its size), counted', async () => {
    const { node, port } = await nodeWith({ maxQueuedBytes: 2_500 });
    nodes.push(node);
    const clientId = 'bytes-device';
    const first = await connectMqtt(port, { clientId, clean: false });
    await first.client.subscribeAsync('alerts', { qos: 1 });
    await first.end();
    const publisher = await connectMqtt(port, { clientId: 'bytes-publisher' });
    // Each payload is about 1,000 bytes: two fit in 2,500, a third pushes the oldest out.
    for (const n of [1, 2, 3, 4]) await publisher.client.publishAsync('alerts', payload(n), { qos: 1 });
    await publisher.client.publishAsync('alerts', payload(5, 5_000), { qos: 1 });
    await publisher.end();
    const back = await connectMqtt(port, { clientId, clean: false });
    await back.until((messages) => messages.length === 1, 'the newest message, alone larger than the limit');
    assert.equal(back.messages[0]!.payload, payload(5, 5_000));
    await back.end();
    assert.equal(metric(node.metrics.exposition(), 'junction_mqtt_queue_dropped_total'), 4);
  });

  it('stops sending QoS 1/2 messages past max_inflight_bytes until acknowledgements free room (nothing dropped; one message alone goes whatever its size)', async () => {
    const { node, port } = await nodeWith({ maxInflightBytes: 2_500 });
    nodes.push(node);
    const device = await RawMqtt.open(port);
    await device.connect();
    device.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'window', qos: 2 }] });
    await device.next('suback');
    const wamp = await openAutobahn(node.url);
    // Each payload is about 1,000 bytes: two fit in 2,500 bytes in flight, a third waits.
    const publish = (n: number, qos: number, size?: number) =>
      wamp.session.publish('window', [JSON.parse(payload(n, size)).args[0]], {}, { acknowledge: true, _mqtt: { qos } });
    for (const n of [1, 2, 3]) await publish(n, 1);
    await publish(4, 2);
    await publish(5, 1, 5_000);
    const sent = () => device.received('publish') as (Packet & { cmd: 'publish'; messageId: number; payload: Buffer })[];
    await device.sync();
    assert.deepEqual(sent().map((packet) => packet.payload.toString()), [payload(1), payload(2)]);

    device.send({ cmd: 'puback', messageId: sent()[0]!.messageId });
    await device.sync();
    assert.equal(sent().length, 3, 'the first acknowledged: room for the third');
    device.send({ cmd: 'puback', messageId: sent()[1]!.messageId });
    await device.sync();
    assert.equal(sent().length, 4, 'the QoS 2 fourth');
    // PUBREC: the client has the QoS 2 message, so its bytes leave the window (only PUBREL is resent)...
    device.send({ cmd: 'pubrec', messageId: sent()[3]!.messageId });
    device.send({ cmd: 'puback', messageId: sent()[2]!.messageId });
    await device.sync();
    // ...and with nothing else in flight the 5,000-byte fifth goes alone.
    assert.equal(sent().length, 5);
    assert.equal(sent()[4]!.payload.toString(), payload(5, 5_000));
    assert.equal(metric(node.metrics.exposition(), 'junction_mqtt_queue_dropped_total'), 0);
    await wamp.close();
    device.end();
  });

  it('refuses a CONNECT whose will does not fit in max_total_will_bytes (0x97 / 3), counted and warned once, and takes wills again once some are given back', async () => {
    const log = new CaptureLog();
    // Each CONNECT below is 110 to 140 bytes: two wills fit in 300 bytes, a third does not.
    const { node, port } = await nodeWith({ maxTotalWillBytes: 300 }, log);
    nodes.push(node);
    const watcher = await connectMqtt(port);
    await watcher.client.subscribeAsync('wills/#', { qos: 0 });
    const will = (name: string) => ({ topic: `wills/${name}`, payload: Buffer.from(JSON.stringify({ args: [name.padEnd(80, '.')] })), qos: 0, retain: false });
    const withWill = async (name: string, version: 4 | 5 = 5) => {
      const client = await RawMqtt.open(port, version);
      const connack = await client.connect({ clientId: name, will: will(name) }) as { reasonCode?: number; returnCode?: number; properties?: { reasonString?: string } };
      return { client, connack };
    };
    const held = () => metric(node.metrics.exposition(), 'junction_mqtt_will_bytes');
    const first = await withWill('first');
    const second = await withWill('second');
    assert.equal(first.connack.reasonCode, 0);
    assert.equal(second.connack.reasonCode, 0);
    const twoWills = held();
    assert.ok(twoWills > 220 && twoWills <= 300, `two wills hold ${twoWills} bytes`);

    const third = await withWill('third');
    assert.equal(third.connack.reasonCode, 0x97);
    assert.match(third.connack.properties?.reasonString ?? '', /max_total_will_bytes \(300 bytes\)/);
    await third.client.whenClosed();
    const old = await withWill('old', 4);
    assert.equal(old.connack.returnCode, 3);
    await old.client.whenClosed();
    const willless = await RawMqtt.open(port);
    assert.equal((await willless.connect({ clientId: 'willless' })).reasonCode, 0);
    assert.match(node.metrics.exposition(), /junction_mqtt_refused_connections_total\{reason="will_quota",transport="mqtt"\} 2/);
    assert.equal(log.lines.filter((line) => /max_total_will_bytes/.test(line.message)).length, 1);
    assert.equal(held(), twoWills);

    // A DISCONNECT drops its will, a lost connection publishes it: either way its bytes are given back.
    first.client.send({ cmd: 'disconnect' });
    await first.client.whenClosed();
    await waitFor(() => held() < twoWills, 'the first will to be given back');
    second.client.end();
    await watcher.until((messages) => messages.some((message) => message.topic === 'wills/second'), 'the second will, published');
    await waitFor(() => held() === 0, 'the second will to be given back');
    assert.ok(!watcher.messages.some((message) => message.topic === 'wills/first'));
    const again = await withWill('third');
    assert.equal(again.connack.reasonCode, 0);
    again.client.end();
    willless.end();
    await watcher.end();
  });

  it('drops new messages past max_total_queued_bytes (all clients\' payloads, a shared one counted once), counted and warned once, and gives every byte back', async () => {
    const log = new CaptureLog();
    const { node, port } = await nodeWith({ maxTotalQueuedBytes: 2_500 }, log);
    nodes.push(node);
    const held = () => metric(node.metrics.exposition(), 'junction_mqtt_held_bytes');
    const dropped = (limit: string) => Number(new RegExp(`junction_mqtt_queue_dropped_total\\{limit="${limit}",transport="mqtt"\\} (\\d+)`).exec(node.metrics.exposition())?.[1] ?? 0);
    // Two persistent sessions on one filter: each event's payload is one buffer both hold.
    for (const clientId of ['held-a', 'held-b']) {
      const device = await connectMqtt(port, { clientId, clean: false });
      await device.client.subscribeAsync('held/#', { qos: 1 });
      await device.end();
    }
    const wamp = await openAutobahn(node.url);
    // Each payload is about 1,000 bytes: two fit in 2,500, a third does not.
    const text = (n: number) => JSON.parse(payload(n)).args[0] as string;
    const publish = (n: number) => wamp.session.publish('held.x', [text(n)], {}, { acknowledge: true, _mqtt: { qos: 1 } });
    await publish(1);
    const one = held();
    assert.ok(one >= 1_000 && one < 1_010, `one payload both sessions hold, counted once: ${one} bytes`);
    await publish(2);
    await publish(3);
    assert.equal(held(), 2 * one);
    assert.equal(dropped('transport'), 2, 'the third message, for each client');
    assert.equal(dropped('client'), 0);
    assert.equal(log.lines.filter((line) => /max_total_queued_bytes/.test(line.message)).length, 1);

    const a = await connectMqtt(port, { clientId: 'held-a', clean: false });
    await a.until((messages) => messages.length === 2, 'the two messages kept');
    assert.deepEqual(a.messages.map((message) => JSON.parse(message.payload).args[0]), [text(1), text(2)]);
    assert.equal(held(), 2 * one, 'the other session still holds both');
    const b = await connectMqtt(port, { clientId: 'held-b', clean: false });
    await b.until((messages) => messages.length === 2, 'the two messages kept');
    await waitFor(() => held() === 0, 'every payload given back once both clients acknowledged');
    await publish(4);
    await a.until((messages) => messages.length === 3, 'a new message, with room again');
    await b.until((messages) => messages.length === 3, 'a new message, with room again');
    await waitFor(() => held() === 0, 'every payload given back');
    await wamp.close();
    await a.end();
    await b.end();
  });

  /** A node whose realm keeps one retained topic at most, a subscriber to kept/#, and an MQTT 5 client to publish. */
  async function oneRetainedTopic() {
    const config = mqttTestConfig();
    config.realms[0]!.options.limits = { ...defaultRealmLimits, maxRetainedTopics: 1 };
    const node = await startTestNode(config);
    nodes.push(node);
    const port = node.ports.get('mqtt')!;
    const watcher = await connectMqtt(port);
    await watcher.client.subscribeAsync('kept/#', { qos: 1 });
    const v5 = await RawMqtt.open(port);
    await v5.connect();
    return { node, port, watcher, v5 };
  }

  /**
   * The topics a new subscriber to kept/# gets, once it has the one retained message it expects:
   * a plain publication after it (`v5` publishes it, as `messageId`) marks the end of what it can get.
   */
  async function retainedForLater(port: number, v5: RawMqtt, messageId: number): Promise<string[]> {
    const later = await connectMqtt(port);
    try {
      await later.client.subscribeAsync('kept/#', { qos: 1 });
      await later.until((messages) => messages.length === 1, 'the one retained message');
      v5.send({ cmd: 'publish', topic: 'kept/marker', payload: Buffer.from('{"args": [0]}'), qos: 1, messageId, retain: false, dup: false });
      await later.until((messages) => messages.some((message) => message.topic === 'kept/marker'), 'the marker');
      return later.messages.map((message) => message.topic).filter((topic) => topic !== 'kept/marker');
    } finally {
      await later.end();
    }
  }

  it('a retained PUBLISH past the realm\'s retention limits is refused whole (not delivered, not retained): MQTT 5 hears PUBACK 0x97, MQTT 3.1.1 a plain PUBACK, counted', async () => {
    const { node, port, watcher, v5 } = await oneRetainedTopic();
    const retained = (client: RawMqtt, topic: string, messageId: number) =>
      client.send({ cmd: 'publish', topic, payload: Buffer.from('{"args": [1]}'), qos: 1, messageId, retain: true, dup: false });
    retained(v5, 'kept/one', 1);
    retained(v5, 'kept/two', 2);
    await v5.until(() => v5.received('puback').length === 2, 'two PUBACKs');
    const [first, second] = v5.received('puback') as { reasonCode?: number; properties?: { reasonString?: string } }[];
    assert.equal(first!.reasonCode ?? 0, 0);
    assert.equal(second!.reasonCode, 0x97);
    assert.match(second!.properties?.reasonString ?? '', /max_retained_topics/);
    const v4 = await RawMqtt.open(port, 4);
    await v4.connect();
    retained(v4, 'kept/three', 1);
    assert.equal((await v4.next('puback') as { reasonCode?: number }).reasonCode ?? 0, 0);
    // 0x97 means the message was not accepted: no subscriber got it, so a retry is no duplicate.
    // A plain publication after them marks the end of what the watcher can get.
    v5.send({ cmd: 'publish', topic: 'kept/marker', payload: Buffer.from('{"args": [2]}'), qos: 1, messageId: 3, retain: false, dup: false });
    await watcher.until((messages) => messages.some((message) => message.topic === 'kept/marker'), 'the marker');
    assert.deepEqual(watcher.messages.map((message) => message.topic), ['kept/one', 'kept/marker']);
    const later = await connectMqtt(port);
    await later.client.subscribeAsync('kept/#', { qos: 1 });
    await later.until((messages) => messages.length === 1, 'the one retained message');
    assert.equal(later.messages[0]!.topic, 'kept/one');
    assert.match(node.metrics.exposition(), /junction_retained_refused_total\{[^}]*\} 2/);
    for (const client of [v5, v4]) client.end();
    await watcher.end();
    await later.end();
  });

  it('a retained message whose Message Expiry ran out is removed: it no longer holds the slot at max_retained_topics, and the gauges say so', async () => {
    const { node, port, watcher, v5 } = await oneRetainedTopic();
    const retained = (topic: string, messageId: number, expiry?: number) => v5.send({
      cmd: 'publish', topic, payload: Buffer.from(`{"args": [${messageId}]}`), qos: 1, messageId, retain: true, dup: false,
      ...(expiry === undefined ? {} : { properties: { messageExpiryInterval: expiry } }),
    });
    const publishedAt = Date.now();
    retained('kept/short', 1, 1);
    await v5.until(() => v5.received('puback').length === 1, 'the PUBACK of the short-lived message');
    assert.equal((v5.received('puback')[0] as { reasonCode?: number }).reasonCode ?? 0, 0);
    assert.match(node.metrics.exposition(), /junction_retained_topics\{[^}]*\} 1\b/);
    // Its 1 s interval counts from its publication; a little more than that, by the wall clock.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, publishedAt + 1_200 - Date.now())));
    // Nothing touched the retained events since: reading the metrics removes it, so the gauges never count an expired one.
    assert.match(node.metrics.exposition(), /junction_retained_topics\{[^}]*\} 0\b/);
    assert.match(node.metrics.exposition(), /junction_retained_expired_total\{[^}]*\} 1\b/);
    retained('kept/next', 2);
    await v5.until(() => v5.received('puback').length === 2, 'the PUBACK of the next one');
    assert.equal((v5.received('puback')[1] as { reasonCode?: number }).reasonCode ?? 0, 0, 'accepted: the expired one no longer holds the only slot');
    assert.match(node.metrics.exposition(), /junction_retained_topics\{[^}]*\} 1\b/);
    assert.doesNotMatch(node.metrics.exposition(), /junction_retained_refused_total\{[^}]*\} [1-9]/);
    assert.deepEqual(await retainedForLater(port, v5, 3), ['kept/next']);
    v5.end();
    await watcher.end();
  });

  it('a clear (empty retained payload) of a topic with nothing retained, sent at max_retained_topics, is delivered live and takes no slot', async () => {
    const { node, port, watcher, v5 } = await oneRetainedTopic();
    v5.send({ cmd: 'publish', topic: 'kept/one', payload: Buffer.from('{"args": [1]}'), qos: 1, messageId: 1, retain: true, dup: false });
    v5.send({ cmd: 'publish', topic: 'kept/never', payload: Buffer.alloc(0), qos: 1, messageId: 2, retain: true, dup: false });
    await v5.until(() => v5.received('puback').length === 2, 'two PUBACKs');
    assert.deepEqual(v5.received('puback').map((ack) => (ack as { reasonCode?: number }).reasonCode ?? 0), [0, 0], 'the clear is accepted');
    await watcher.until((messages) => messages.length === 2, 'the retained message and the clear, live');
    assert.deepEqual(watcher.messages.map((message) => message.topic), ['kept/one', 'kept/never']);
    // As MQTT delivers a clear: zero bytes, not an empty native form.
    assert.equal(watcher.messages[1]!.payload, '');
    // It took no slot: the realm still holds one retained topic, and the refusal counter did not move.
    assert.match(node.metrics.exposition(), /junction_retained_topics\{[^}]*\} 1\b/);
    assert.doesNotMatch(node.metrics.exposition(), /junction_retained_refused_total\{[^}]*\} [1-9]/);
    assert.deepEqual(await retainedForLater(port, v5, 3), ['kept/one']);
    v5.end();
    await watcher.end();
  });

  it('counts every filter refused at max_subscriptions but logs them at most once per 10 s', async () => {
    const log = new CaptureLog();
    const { node, port } = await nodeWith({ maxSubscriptions: 1 }, log);
    nodes.push(node);
    const device = await RawMqtt.open(port);
    await device.connect({ clientId: 'full-device' });
    for (let id = 1; id <= 20; id++) device.send({ cmd: 'subscribe', messageId: id, subscriptions: [{ topic: `t${id}`, qos: 0 }] });
    await device.until(() => device.received('suback').length === 20, 'the 20 SUBACKs');
    device.end();
    assert.equal(metric(node.metrics.exposition(), 'junction_mqtt_subscriptions_refused_total'), 19);
    const lines = log.lines.filter((line) => /MQTT subscription refused: max_subscriptions reached/.test(line.message));
    assert.equal(lines.length, 1, 'one warning for 19 refusals');
    assert.equal(lines[0]!.fields.filter, 't2');
  });

  it('counts every refused publication but logs a connection\'s refusals at most once per 10 s', async () => {
    const log = new CaptureLog();
    const { node, port } = await nodeWith({}, log);
    nodes.push(node);
    const device = await connectMqtt(port, { clientId: 'refused-device' });
    for (let n = 0; n < 20; n++) await device.client.publishAsync('a.b/c', '{}', { qos: 1 });
    await device.end();
    assert.equal(metric(node.metrics.exposition(), 'junction_mqtt_publishes_refused_total'), 20);
    const lines = log.lines.filter((line) => /MQTT publication refused/.test(line.message));
    assert.equal(lines.length, 1);
    assert.match(String(lines[0]!.fields.err), /a topic level containing "\."/);
  });

  it('drops a subscriber that stops reading (the slow-consumer policy), and no one else', async () => {
    const { node, port } = await nodeWith({ maxBufferedBytes: 65_536 });
    nodes.push(node);
    const slow = await RawMqtt.open(port);
    await slow.connect();
    slow.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'firehose', qos: 0 }] });
    await slow.next('suback');
    slow.pauseReading();
    const healthy = await connectMqtt(port);
    await healthy.client.subscribeAsync('firehose', { qos: 0 });
    const wamp = await openAutobahn(node.url);
    const chunk = 'x'.repeat(8_192);
    // Bounded: enough to fill the kernel's buffers on loopback many times over, and no more.
    for (let n = 0; n < 4_000 && metric(node.metrics.exposition(), 'junction_mqtt_slow_consumer_closed_total') === 0; n++) {
      await wamp.session.publish('firehose', [chunk], {}, { acknowledge: true, _mqtt: { qos: 1 } });
      // The healthy subscriber keeps reading: let it.
      if (n % 100 === 99) await healthy.until((messages) => messages.length >= n + 1, 'the healthy subscriber to keep up', 10_000);
    }
    assert.equal(metric(node.metrics.exposition(), 'junction_mqtt_slow_consumer_closed_total'), 1);
    await wamp.session.publish('firehose', ['after'], {}, { acknowledge: true, _mqtt: { qos: 1 } });
    await healthy.until((messages) => messages.at(-1)?.payload === '{"args":["after"]}', 'the next message to the healthy subscriber', 10_000);
    await healthy.end();
    await wamp.close();
    slow.end();
  });

  it('closes a connection that sends garbage or skips CONNECT, counted', async () => {
    const { node, port } = await nodeWith({});
    nodes.push(node);
    const early = await RawMqtt.open(port);
    early.send({ cmd: 'pingreq' });
    await early.whenClosed();
    const garbage = await RawMqtt.open(port);
    await garbage.connect();
    garbage.sendRaw(Buffer.from([0x30, 0x05, 0xff, 0xff, 0x61, 0x62, 0x63])); // a PUBLISH whose topic length runs past its end
    assert.equal((await garbage.next('disconnect') as { reasonCode?: number }).reasonCode, 0x81);
    await garbage.whenClosed();
    const exposition = node.metrics.exposition();
    assert.match(exposition, /junction_mqtt_protocol_errors_total\{kind="no_connect",transport="mqtt"\} 1/);
    assert.match(exposition, /junction_mqtt_protocol_errors_total\{kind="malformed",transport="mqtt"\} 1/);
  });

  it('refuses new connections past connection_rate with MQTT 5\'s 0x9F, counted', async () => {
    const { node, port } = await nodeWith({ connectionRate: 1 });
    nodes.push(node);
    // A bucket of 1 per second holds 2: of 4 connections opened at once at least one is refused.
    const clients = await Promise.all([1, 2, 3, 4].map(() => RawMqtt.open(port)));
    const codes = await Promise.all(clients.map(async (client) => (await client.connect()).reasonCode));
    assert.ok(codes.includes(0x9f), `codes: ${codes.join(', ')}`);
    assert.ok(metric(node.metrics.exposition(), 'junction_mqtt_refused_connections_total') >= 1);
    for (const client of clients) client.end();
  });

  it('takes packets a client sends right behind CONNECT, before CONNACK (as MQTT allows)', async () => {
    const { node, port } = await nodeWith({});
    nodes.push(node);
    const eager = await RawMqtt.open(port, 4);
    eager.sendRaw(Buffer.concat([
      generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'eager', clean: true, keepalive: 0 } as Packet),
      generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'eager/echo', qos: 1 }] } as Packet),
      generate({ cmd: 'publish', topic: 'eager/echo', payload: Buffer.from('{"args": ["hi"]}'), qos: 1, messageId: 2, retain: false, dup: false } as Packet),
    ]));
    assert.equal((await eager.next('connack') as { returnCode?: number }).returnCode, 0);
    assert.deepEqual((await eager.next('suback') as { granted: number[] }).granted, [1]);
    await eager.next('puback');
    assert.equal((await eager.next('publish') as { payload: Buffer }).payload.toString(), '{"args":["hi"]}');
    eager.end();
  });
});
