import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { QoS } from 'mqtt-packet';
import { connect } from '../../src/client/index.js';
import { maxUriLength } from '../../src/protocol/uri.js';
import { bridgeDefaults, post } from '../bridge/http-support.js';
import { connectMqtt, metric, mqttTestConfig, RawMqtt, type RecordingClient } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';

const config = mqttTestConfig();
config.listeners[0]!.paths['/publish'] = { type: 'publisher', realm: 'realm1', role: 'anonymous', options: bridgeDefaults };
const node = await startTestNode(config);
after(() => node.stop());
const port = node.ports.get('mqtt')!;

const levels = [0, 1, 2] as const;

async function wampSession() {
  return connect({ url: node.url, realm: 'realm1', reconnect: false });
}

describe('MQTT delivered QoS is the lower of the publication\'s and the subscription\'s', () => {
  for (const publisherVersion of [4, 5] as const) {
    it(`every (publication QoS, granted QoS) pair, an MQTT ${publisherVersion === 4 ? '3.1.1' : '5.0'} publisher`, async () => {
      const prefix = `qosmatrix${publisherVersion}`;
      // One subscriber per granted QoS, each on every topic; one topic per publication QoS.
      const subscribers: RecordingClient[] = [];
      const publisher = await connectMqtt(port, { protocolVersion: publisherVersion });
      try {
        for (const granted of levels) {
          const subscriber = await connectMqtt(port, { protocolVersion: 5 });
          subscribers.push(subscriber);
          const [answer] = await subscriber.client.subscribeAsync(`${prefix}/#`, { qos: granted });
          assert.equal(answer!.qos, granted);
        }
        for (const published of levels) await publisher.client.publishAsync(`${prefix}/p${published}`, `{"args": [${published}]}`, { qos: published });
        for (const [granted, subscriber] of subscribers.entries()) {
          await subscriber.until((messages) => messages.length === 3, `three messages at granted QoS ${granted}`);
          const byTopic = Object.fromEntries(subscriber.messages.map((message) => [message.topic, message.qos]));
          for (const published of levels) {
            assert.equal(byTopic[`${prefix}/p${published}`], Math.min(published, granted), `publication QoS ${published}, granted ${granted}`);
          }
        }
      } finally {
        await publisher.end();
        for (const subscriber of subscribers) await subscriber.end();
      }
    });
  }

  it('a WAMP publication is QoS 0 unless its _mqtt option names a QoS, and WAMP subscribers read the QoS in details', async () => {
    const wamp = await wampSession();
    const subscriber = await connectMqtt(port, { protocolVersion: 5 });
    try {
      const details: Record<string, unknown>[] = [];
      await wamp.subscribe('wampqos.', (_args, _kwargs, eventDetails) => void details.push(eventDetails), { match: 'prefix' });
      await subscriber.client.subscribeAsync('wampqos/#', { qos: 2 });
      await wamp.publish('wampqos.plain', ['plain'], undefined, { acknowledge: true, exclude_me: false });
      for (const qos of levels) await wamp.publish(`wampqos.q${qos}`, [qos], undefined, { acknowledge: true, exclude_me: false, _mqtt: { qos } });
      await subscriber.until((messages) => messages.length === 4, 'four messages');
      assert.deepEqual(subscriber.messages.map((message) => [message.topic, message.qos]), [
        ['wampqos/plain', 0], ['wampqos/q0', 0], ['wampqos/q1', 1], ['wampqos/q2', 2],
      ]);
      await subscriber.client.publishAsync('wampqos/fromdevice', '{"args": []}', { qos: 1 });
      await waitFor(() => details.length === 5, 'the WAMP subscriber\'s five events');
      assert.equal(details[0]!._mqtt, undefined);
      assert.deepEqual(details.slice(1, 4).map((entry) => entry._mqtt), [{ qos: 0 }, { qos: 1 }, { qos: 2 }]);
      assert.deepEqual(details[4]!._mqtt, { qos: 1 });
    } finally {
      await subscriber.end();
      await wamp.leave();
    }
  });

  it('an HTTP publication names its QoS in options._mqtt', async () => {
    const subscriber = await connectMqtt(port, { protocolVersion: 5 });
    try {
      await subscriber.client.subscribeAsync('httpqos/cmd', { qos: 2 });
      const url = `http://127.0.0.1:${node.ports.get('test')}/publish`;
      assert.equal((await post(url, { topic: 'httpqos.cmd', args: ['on'], options: { _mqtt: { qos: 1 } } })).status, 200);
      await subscriber.until((messages) => messages.length === 1, 'the HTTP publication');
      assert.deepEqual(subscriber.messages[0], { topic: 'httpqos/cmd', payload: '{"args":["on"]}', qos: 1, retain: false });
      const refused = await post(url, { topic: 'httpqos.cmd', options: { _mqtt: { qos: 'high' } } });
      assert.equal(refused.status, 400);
      assert.match(refused.json.message as string, /"_mqtt\.qos" must be 0, 1 or 2/);
    } finally {
      await subscriber.end();
    }
  });

  it('refuses a WAMP publication whose _mqtt is malformed, naming the key', async () => {
    const wamp = await wampSession();
    try {
      await assert.rejects(wamp.publish('wampqos.bad', [], undefined, { acknowledge: true, _mqtt: { qos: 3 as QoS } }),
        (error: Error) => error.message.includes('"_mqtt.qos" must be 0, 1 or 2'));
      await assert.rejects(wamp.publish('wampqos.bad', [], undefined, { acknowledge: true, _mqtt: { qso: 1 } as never }),
        (error: Error) => error.message.includes('"_mqtt" has no key "qso"'));
      await assert.rejects(wamp.publish('wampqos.bad', [], undefined, { acknowledge: true, _mqtt: { user_properties: { a: 1 } } as never }),
        (error: Error) => error.message.includes('"_mqtt.user_properties" must be an object of strings'));
    } finally {
      await wamp.leave();
    }
  });
});

describe('MQTT 5 properties through the router', () => {
  it('user properties, content type, payload format, response topic and correlation data reach an MQTT 5 subscriber', async () => {
    const publisher = await connectMqtt(port, { protocolVersion: 5 });
    const subscriber = await connectMqtt(port, { protocolVersion: 5 });
    const old = await connectMqtt(port, { protocolVersion: 4 });
    const wamp = await wampSession();
    try {
      const details: Record<string, unknown>[] = [];
      await wamp.subscribe('props.request', (_args, _kwargs, eventDetails) => void details.push(eventDetails));
      await subscriber.client.subscribeAsync('props/request', { qos: 1 });
      await old.client.subscribeAsync('props/request', { qos: 1 });
      const properties = {
        userProperties: { site: 'kitchen', tag: ['a', 'b'] },
        contentType: 'application/json',
        payloadFormatIndicator: true,
        responseTopic: 'props/reply',
        correlationData: Buffer.from([1, 2, 3, 250]),
      };
      await publisher.client.publishAsync('props/request', '{"args": ["ask"]}', { qos: 1, properties });
      await subscriber.until((messages) => messages.length === 1, 'the request');
      const received = subscriber.packets[0]!.properties!;
      // mqtt-packet reads user properties into an object without a prototype.
      assert.deepEqual({ ...received.userProperties }, properties.userProperties);
      assert.equal(received.contentType, 'application/json');
      assert.equal(received.payloadFormatIndicator, true);
      assert.equal(received.responseTopic, 'props/reply');
      assert.deepEqual([...received.correlationData!], [1, 2, 3, 250]);
      // An MQTT 3.1.1 subscriber has no properties: the message alone.
      await old.until((messages) => messages.length === 1, 'the request over MQTT 3.1.1');
      assert.equal(old.packets[0]!.properties, undefined);
      await waitFor(() => details.length === 1, 'the WAMP event');
      const mqtt = details[0]!._mqtt as Record<string, unknown>;
      assert.deepEqual(mqtt.user_properties, properties.userProperties);
      assert.equal(mqtt.response_topic, 'props/reply');
      assert.deepEqual([...(mqtt.correlation_data as Uint8Array)], [1, 2, 3, 250]);
    } finally {
      await wamp.leave();
      await old.end();
      await subscriber.end();
      await publisher.end();
    }
  });

  it('a WAMP publisher sets user properties for MQTT 5 subscribers', async () => {
    const subscriber = await connectMqtt(port, { protocolVersion: 5 });
    const wamp = await wampSession();
    try {
      await subscriber.client.subscribeAsync('props/fromwamp', { qos: 1 });
      await wamp.publish('props.fromwamp', [1], undefined, { acknowledge: true, _mqtt: { qos: 1, user_properties: { origin: 'browser' }, content_type: 'text/plain' } });
      await subscriber.until((messages) => messages.length === 1, 'the publication');
      assert.deepEqual({ ...subscriber.packets[0]!.properties?.userProperties }, { origin: 'browser' });
      assert.equal(subscriber.packets[0]!.properties?.contentType, 'text/plain');
    } finally {
      await wamp.leave();
      await subscriber.end();
    }
  });

  it('a queued message whose expiry passed is not sent; one still alive carries the time it has left', async () => {
    const clientId = 'expiring-device';
    const persistent = { protocolVersion: 5 as const, clientId, clean: false, properties: { sessionExpiryInterval: 60 } };
    const first = await connectMqtt(port, persistent);
    await first.client.subscribeAsync('expiry/+', { qos: 1 });
    await first.end();
    const publisher = await connectMqtt(port, { protocolVersion: 5 });
    const expiredBefore = metric(node.metrics.exposition(), 'junction_mqtt_expired_total');
    try {
      await publisher.client.publishAsync('expiry/short', '{"args": ["short"]}', { qos: 1, properties: { messageExpiryInterval: 1 } });
      await publisher.client.publishAsync('expiry/long', '{"args": ["long"]}', { qos: 1, properties: { messageExpiryInterval: 100 } });
      await publisher.client.publishAsync('expiry/never', '{"args": ["never"]}', { qos: 1 });
      // Past the short message's interval (a wait for the spec's clock, not a speed assertion).
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const back = await connectMqtt(port, persistent);
      try {
        await back.until((messages) => messages.length === 2, 'the two live messages');
        assert.deepEqual(back.messages.map((message) => message.topic), ['expiry/long', 'expiry/never']);
        const left = back.packets[0]!.properties?.messageExpiryInterval;
        assert.ok(left !== undefined && left < 100 && left >= 90, `remaining expiry ${left}`);
        assert.equal(back.packets[1]!.properties?.messageExpiryInterval, undefined);
        assert.equal(metric(node.metrics.exposition(), 'junction_mqtt_expired_total') - expiredBefore, 1);
      } finally {
        await back.end();
        await (await connectMqtt(port, { protocolVersion: 5, clientId, clean: true })).end();
      }
    } finally {
      await publisher.end();
    }
  });
  it('a retained message counts its expiry from its publication: past it, not sent; alive, with the time it has left', async () => {
    const publisher = await connectMqtt(port, { protocolVersion: 5 });
    const expiredBefore = metric(node.metrics.exposition(), 'junction_retained_expired_total');
    try {
      await publisher.client.publishAsync('rexpiry/short', '{"args": ["short"]}', { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } });
      await publisher.client.publishAsync('rexpiry/long', '{"args": ["long"]}', { qos: 1, retain: true, properties: { messageExpiryInterval: 100 } });
      // Past the short message's interval (a wait for the spec's clock, not a speed assertion).
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const late = await connectMqtt(port, { protocolVersion: 5 });
      try {
        await late.client.subscribeAsync('rexpiry/short', { qos: 1 });
        await late.client.subscribeAsync('rexpiry/long', { qos: 1 });
        await late.until((messages) => messages.length === 1, 'the live retained message');
        assert.deepEqual(late.messages.map((message) => message.topic), ['rexpiry/long']);
        const left = late.packets[0]!.properties?.messageExpiryInterval;
        assert.ok(left !== undefined && left < 100 && left >= 90, `remaining expiry ${left}`);
        assert.equal(metric(node.metrics.exposition(), 'junction_retained_expired_total') - expiredBefore, 1, 'the realm removed it from its retained events');
      } finally {
        await late.end();
      }
    } finally {
      await publisher.end();
    }
  });
});

describe('MQTT 5 topic aliases and reason strings', () => {
  it('takes an alias that was set, and closes the connection for one out of range (0x94) or never set (0x82)', async () => {
    const watcher = await connectMqtt(port, { protocolVersion: 5 });
    await watcher.client.subscribeAsync('alias/#', { qos: 0 });
    const client = await RawMqtt.open(port);
    try {
      const connack = await client.connect();
      const maximum = connack.properties!.topicAliasMaximum!;
      assert.ok(maximum >= 1);
      client.send({ cmd: 'publish', topic: 'alias/set', payload: Buffer.from('{"args": [1]}'), qos: 0, retain: false, dup: false, properties: { topicAlias: maximum } });
      client.send({ cmd: 'publish', topic: '', payload: Buffer.from('{"args": [2]}'), qos: 0, retain: false, dup: false, properties: { topicAlias: maximum } });
      await watcher.until((messages) => messages.length === 2, 'both publications');
      assert.deepEqual(watcher.messages.map((message) => [message.topic, message.payload]), [['alias/set', '{"args":[1]}'], ['alias/set', '{"args":[2]}']]);
      client.send({ cmd: 'publish', topic: 'alias/over', payload: Buffer.from('{"args": []}'), qos: 0, retain: false, dup: false, properties: { topicAlias: maximum + 1 } });
      const disconnect = await client.next('disconnect') as { reasonCode?: number; properties?: { reasonString?: string } };
      assert.equal(disconnect.reasonCode, 0x94);
      assert.match(disconnect.properties?.reasonString ?? '', /topic alias \d+ is outside 1\.\.\d+/);
      await client.whenClosed();
    } finally {
      client.end();
    }
    const unset = await RawMqtt.open(port);
    try {
      await unset.connect();
      unset.send({ cmd: 'publish', topic: '', payload: Buffer.from('{"args": []}'), qos: 0, retain: false, dup: false, properties: { topicAlias: 1 } });
      assert.equal((await unset.next('disconnect') as { reasonCode?: number }).reasonCode, 0x82);
      await unset.whenClosed();
    } finally {
      unset.end();
      await watcher.end();
    }
  });

  it('refuses a topic longer than the longest URI without echoing it, and keeps no alias for it', async () => {
    const client = await RawMqtt.open(port);
    try {
      await client.connect();
      const long = `alias/${'x'.repeat(maxUriLength)}`;
      client.send({ cmd: 'publish', topic: long, payload: Buffer.from('{"args": []}'), qos: 1, messageId: 1, retain: false, dup: false, properties: { topicAlias: 1 } });
      const puback = await client.next('puback') as { reasonCode?: number; properties?: { reasonString?: string } };
      assert.equal(puback.reasonCode, 0x90);
      assert.match(puback.properties?.reasonString ?? '', new RegExp(`\\(${long.length} characters\\): a topic longer than ${maxUriLength} characters`));
      assert.ok((puback.properties?.reasonString ?? '').length < 400);
      // The alias was not set: using it is a protocol error.
      client.send({ cmd: 'publish', topic: '', payload: Buffer.from('{"args": []}'), qos: 0, retain: false, dup: false, properties: { topicAlias: 1 } });
      assert.equal((await client.next('disconnect') as { reasonCode?: number }).reasonCode, 0x82);
      await client.whenClosed();
    } finally {
      client.end();
    }
  });

  it('MQTT.js assigning topic aliases by itself (autoAssignTopicAlias) is understood', async () => {
    const watcher = await connectMqtt(port, { protocolVersion: 5 });
    const device = await connectMqtt(port, { protocolVersion: 5, autoAssignTopicAlias: true });
    try {
      await watcher.client.subscribeAsync('autoalias/#', { qos: 1 });
      for (const n of [1, 2, 3]) await device.client.publishAsync('autoalias/reading', `{"args": [${n}]}`, { qos: 1 });
      await watcher.until((messages) => messages.length === 3, 'three readings');
      assert.deepEqual(watcher.messages.map((message) => [message.topic, message.payload]), [1, 2, 3].map((n) => ['autoalias/reading', `{"args":[${n}]}`]));
    } finally {
      await device.end();
      await watcher.end();
    }
  });

  it('a SUBACK with refused filters says why in its reason string; a shared subscription gets 0x9E (MQTT 5 3.9.3)', async () => {
    const client = await RawMqtt.open(port);
    try {
      await client.connect();
      client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'fine/topic', qos: 1 }, { topic: 'bad/a.b', qos: 1 }, { topic: '$share/group/fine/topic', qos: 1 }] });
      const suback = await client.next('suback') as { granted: number[]; properties?: { reasonString?: string } };
      assert.deepEqual(suback.granted, [1, 0x8f, 0x9e]);
      assert.match(suback.properties?.reasonString ?? '', /"bad\/a\.b": a topic level containing "\." cannot be a WAMP URI component/);
      assert.match(suback.properties?.reasonString ?? '', /"\$share\/group\/fine\/topic": shared subscriptions are not offered/);
    } finally {
      client.end();
    }
  });
  it('a client asking for no problem information (Request Problem Information 0) gets refusals without reason strings (MQTT-3.1.2-29)', async () => {
    const client = await RawMqtt.open(port);
    try {
      await client.connect({ properties: { requestProblemInformation: false } });
      client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'fine/topic', qos: 1 }, { topic: 'bad/a.b', qos: 1 }] });
      const suback = await client.next('suback') as { granted: number[]; properties?: { reasonString?: string } };
      assert.deepEqual(suback.granted, [1, 0x8f]);
      assert.equal(suback.properties?.reasonString, undefined);
      client.send({ cmd: 'publish', topic: 'bad/a.b', payload: Buffer.from('{"args": []}'), qos: 1, messageId: 2, retain: false, dup: false });
      const puback = await client.next('puback') as { reasonCode?: number; properties?: { reasonString?: string } };
      assert.equal(puback.reasonCode, 0x90);
      assert.equal(puback.properties?.reasonString, undefined);
    } finally {
      client.end();
    }
  });
});

describe('MQTT 5 CONNECT properties', () => {
  it('a Receive Maximum or Maximum Packet Size of 0 is a protocol error: closed without CONNACK, counted (MQTT 5 3.1.2.11.3, 3.1.2.11.4)', async () => {
    for (const property of ['receiveMaximum', 'maximumPacketSize']) {
      const client = await RawMqtt.open(port);
      try {
        client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: '', clean: true, keepalive: 0, properties: { [property]: 0 } });
        await client.whenClosed();
        assert.ok(client.closed, `${property} 0: closed`);
        assert.deepEqual(client.packets.map((packet) => packet.cmd), [], `${property} 0: nothing sent`);
      } finally {
        client.end();
      }
    }
    assert.match(node.metrics.exposition(), /junction_mqtt_protocol_errors_total\{kind="connect_property",transport="mqtt"\} 2/);
  });
});
