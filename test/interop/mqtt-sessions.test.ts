import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openAutobahn } from '../support/autobahn.js';
import { connectMqtt, mqttTestConfig, RawMqtt } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';

const node = await startTestNode(mqttTestConfig());
after(() => node.stop());
const port = node.ports.get('mqtt')!;

for (const protocolVersion of [4, 5] as const) {
  const version = protocolVersion === 4 ? 'MQTT 3.1.1' : 'MQTT 5.0';
  const v = protocolVersion;

  describe(`${version}: QoS, retained messages, will, persistent sessions`, () => {
    it('QoS 2 both ways: a device publication reaches WAMP once; a WAMP publication arrives at QoS 2', async () => {
      const wamp = await openAutobahn(node.url);
      const device = await connectMqtt(port, { protocolVersion });
      try {
        const events: unknown[] = [];
        await wamp.session.subscribe(`q2v${v}.up`, (args: unknown[]) => events.push(args[0]));
        await device.client.subscribeAsync(`q2v${v}/down`, { qos: 2 });
        await device.client.publishAsync(`q2v${v}/up`, '{"args": ["once"]}', { qos: 2 });
        await waitFor(() => events.length === 1, 'the QoS 2 publication');
        await wamp.session.publish(`q2v${v}.down`, ['exactly'], {}, { acknowledge: true, _mqtt: { qos: 2 } });
        await device.until((messages) => messages.length === 1, 'the WAMP publication at QoS 2');
        assert.deepEqual(device.messages[0], { topic: `q2v${v}/down`, payload: '{"args":["exactly"]}', qos: 2, retain: false });
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.deepEqual(events, ['once']);
      } finally {
        await device.end();
        await wamp.close();
      }
    });

    it('a retained message reaches later MQTT and WAMP subscribers; an empty retained payload clears it', async () => {
      const topic = `retained${v}/door`;
      const device = await connectMqtt(port, { protocolVersion });
      await device.client.publishAsync(topic, '{"args": ["open"]}', { qos: 1, retain: true });
      const late = await connectMqtt(port, { protocolVersion });
      const wamp = await openAutobahn(node.url);
      try {
        await late.client.subscribeAsync(topic, { qos: 1 });
        await late.until((messages) => messages.length === 1, 'the retained message');
        assert.deepEqual(late.messages[0], { topic, payload: '{"args":["open"]}', qos: 1, retain: true });
        const retained = new Promise<unknown[]>((resolve) => wamp.session.subscribe(`retained${v}.door`, resolve, { get_retained: true }));
        assert.deepEqual(await retained, ['open']);

        await device.client.publishAsync(topic, '', { qos: 1, retain: true });
        const after = await connectMqtt(port, { protocolVersion });
        try {
          await after.client.subscribeAsync(topic, { qos: 1 });
          await device.client.publishAsync(`retained${v}/marker`, '{"args": []}', { qos: 1 });
          await after.client.subscribeAsync(`retained${v}/marker`, { qos: 1 });
          await device.client.publishAsync(`retained${v}/marker`, '{"args": [1]}', { qos: 1 });
          await after.until((messages) => messages.length >= 1, 'the marker');
          assert.deepEqual(after.messages.map((message) => message.topic), [`retained${v}/marker`], 'nothing retained is left on the cleared topic');
        } finally {
          await after.end();
        }
      } finally {
        await wamp.close();
        await late.end();
        await device.end();
      }
    });

    it('a SUBSCRIBE repeating a filter the client holds sends its retained message again (Retain Handling 0), and live events go on', async () => {
      const topic = `resubscribed${v}/door`;
      const device = await connectMqtt(port, { protocolVersion });
      const watcher = await connectMqtt(port, { protocolVersion });
      try {
        await device.client.publishAsync(topic, '{"args": ["open"]}', { qos: 1, retain: true });
        await watcher.client.subscribeAsync(topic, { qos: 1 });
        await watcher.until((messages) => messages.length === 1, 'the retained message');
        await watcher.client.subscribeAsync(topic, { qos: 1 });
        await watcher.until((messages) => messages.length === 2, 'the retained message again');
        await device.client.publishAsync(topic, '{"args": ["live"]}', { qos: 1 });
        await watcher.until((messages) => messages.length === 3, 'a live publication');
        const retained = { topic, payload: '{"args":["open"]}', qos: 1, retain: true };
        assert.deepEqual(watcher.messages, [retained, retained, { topic, payload: '{"args":["live"]}', qos: 1, retain: false }]);
        if (protocolVersion === 5) {
          // Retain Handling 1: retained messages only for a subscription that did not exist.
          await watcher.client.subscribeAsync(topic, { qos: 1, rh: 1 });
          await device.client.publishAsync(topic, '{"args": ["later"]}', { qos: 1 });
          await watcher.until((messages) => messages.length === 4, 'the next live publication');
          assert.equal(watcher.messages[3]!.payload, '{"args":["later"]}');
        }
      } finally {
        await watcher.end();
        await device.end();
      }
    });

    it('the will is published when a device drops, not when it disconnects', async () => {
      const wamp = await openAutobahn(node.url);
      try {
        const wills: unknown[] = [];
        await wamp.session.subscribe(`will${v}.status`, (args: unknown[]) => wills.push(args[0]));
        const will = { topic: `will${v}/status`, payload: Buffer.from('{"args": ["gone"]}'), qos: 1 as const, retain: false };
        const polite = await connectMqtt(port, { protocolVersion, will });
        await polite.end();
        const dropped = await connectMqtt(port, { protocolVersion, will });
        dropped.client.stream.destroy();
        await waitFor(() => wills.length === 1, 'the will');
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.deepEqual(wills, ['gone']);
        await dropped.client.endAsync(true);
      } finally {
        await wamp.close();
      }
    });

    it('a persistent session keeps its subscriptions and gets the QoS 1 messages it missed', async () => {
      const clientId = `persistent-v${v}`;
      const persistent = v === 5 ? { clean: false, properties: { sessionExpiryInterval: 60 } } : { clean: false };
      const first = await connectMqtt(port, { protocolVersion, clientId, ...persistent });
      await first.client.subscribeAsync(`fleet${v}/+/cmd`, { qos: 1 });
      await first.end();
      const wamp = await openAutobahn(node.url);
      try {
        for (const n of [1, 2, 3]) await wamp.session.publish(`fleet${v}.truck${n}.cmd`, [n], {}, { acknowledge: true, _mqtt: { qos: 1 } });
        const back = await connectMqtt(port, { protocolVersion, clientId, ...persistent });
        try {
          await back.until((messages) => messages.length === 3, 'the three missed messages');
          assert.deepEqual(back.messages.map((message) => [message.topic, message.payload, message.qos]), [
            [`fleet${v}/truck1/cmd`, '{"args":[1]}', 1],
            [`fleet${v}/truck2/cmd`, '{"args":[2]}', 1],
            [`fleet${v}/truck3/cmd`, '{"args":[3]}', 1],
          ]);
          await wamp.session.publish(`fleet${v}.truck4.cmd`, [4], {}, { acknowledge: true, _mqtt: { qos: 1 } });
          await back.until((messages) => messages.length === 4, 'the subscription, kept across the reconnect');
        } finally {
          // A clean connection ends the persistent session.
          await back.end();
          const clean = await connectMqtt(port, { protocolVersion, clientId, clean: true });
          await clean.end();
        }
      } finally {
        await wamp.close();
      }
    });

    it('a second CONNECT with the same client id takes the session over', async () => {
      const clientId = `takeover-v${v}`;
      const first = await connectMqtt(port, { protocolVersion, clientId });
      const closed = new Promise<void>((resolve) => first.client.on('close', () => resolve()));
      const second = await connectMqtt(port, { protocolVersion, clientId });
      await closed;
      assert.equal(second.client.connected, true);
      await second.end();
      await first.client.endAsync(true);
    });

    it('maps "+" to a wildcard subscription', async () => {
      const wamp = await openAutobahn(node.url);
      const device = await connectMqtt(port, { protocolVersion });
      try {
        await device.client.subscribeAsync(`house${v}/+/temp`, { qos: 0 });
        await wamp.session.publish(`house${v}.kitchen.humidity`, [60], {}, { acknowledge: true });
        await wamp.session.publish(`house${v}.kitchen.temp`, [21], {}, { acknowledge: true });
        await device.until((messages) => messages.length === 1, 'the wildcard match');
        assert.deepEqual(device.messages[0], { topic: `house${v}/kitchen/temp`, payload: '{"args":[21]}', qos: 0, retain: false });
      } finally {
        await device.end();
        await wamp.close();
      }
    });
  });
}

describe('MQTT sessions in the meta API', () => {
  it('appear with transport type "mqtt", and a killed session closes its connection', async () => {
    const wamp = await openAutobahn(node.url);
    const device = await connectMqtt(port, { clientId: 'meta-device' });
    try {
      const ids: number[] = await wamp.session.call('wamp.session.list');
      const sessions = await Promise.all(ids.map((id) => wamp.session.call('wamp.session.get', [id])));
      const mqtt = sessions.find((session: { transport: { type: string } }) => session.transport.type === 'mqtt');
      assert.ok(mqtt, 'an MQTT session is listed');
      assert.equal(mqtt.transport.extra?.client_id ?? mqtt.transport.client_id, 'meta-device');
      const closed = new Promise<void>((resolve) => device.client.on('close', () => resolve()));
      await wamp.session.call('wamp.session.kill', [mqtt.session]);
      await closed; // killed in the realm: the MQTT connection ends too
    } finally {
      await device.end();
      await wamp.close();
    }
  });
});

describe('MQTT 5 Session Expiry set in DISCONNECT (MQTT 5 3.14.2.2.2)', () => {
  it('lengthens the session past what CONNECT asked for', async () => {
    const persistent = { clientId: 'lengthened', clean: false };
    const device = await RawMqtt.open(port);
    try {
      await device.connect({ ...persistent, properties: { sessionExpiryInterval: 1 } });
      device.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 60 } });
      await device.whenClosed();
    } finally {
      device.end();
    }
    // Past the interval CONNECT asked for (a wait for the spec's clock, not a speed assertion).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const back = await RawMqtt.open(port);
    try {
      assert.equal((await back.connect({ ...persistent, properties: { sessionExpiryInterval: 0 } })).sessionPresent, true);
    } finally {
      back.end();
    }
  });

  it('after a CONNECT with 0 is a protocol error: DISCONNECT 0x82, and the will goes', async () => {
    const watcher = await connectMqtt(port, { protocolVersion: 5 });
    const device = await RawMqtt.open(port);
    try {
      await watcher.client.subscribeAsync('expiryzero/will', { qos: 1 });
      await device.connect({
        clientId: 'expiry-zero', clean: false, properties: { sessionExpiryInterval: 0 },
        will: { topic: 'expiryzero/will', payload: Buffer.from('{"args": ["gone"]}'), qos: 1, retain: false },
      });
      device.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 60 } });
      assert.equal((await device.next('disconnect') as { reasonCode?: number }).reasonCode, 0x82);
      await device.whenClosed();
      await watcher.until((messages) => messages.length === 1, 'the will');
      assert.match(node.metrics.exposition(), /junction_mqtt_protocol_errors_total\{kind="session_expiry",transport="mqtt"\} 1/);
    } finally {
      device.end();
      await watcher.end();
    }
  });
});
