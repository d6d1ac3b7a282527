import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openAutobahn } from '../support/autobahn.js';
import { RawClient } from '../support/raw-client.js';
import { connectMqtt, mqttTestConfig } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';

const node = await startTestNode(mqttTestConfig());
after(() => node.stop());
const port = node.ports.get('mqtt')!;

for (const protocolVersion of [4, 5] as const) {
  const version = protocolVersion === 4 ? 'MQTT 3.1.1' : 'MQTT 5.0';
  describe(`MQTT.js ${version} on the realm of WAMP clients`, () => {
    it('a device reading reaches an AutobahnJS prefix subscriber and an MQTT "#" subscriber', async () => {
      const wamp = await openAutobahn(node.url);
      const watcher = await connectMqtt(port, { protocolVersion });
      const device = await connectMqtt(port, { protocolVersion });
      try {
        const readings: unknown[] = [];
        await wamp.session.subscribe(`sensors${protocolVersion}.`, (args: unknown[], _kwargs: unknown, details: { topic: string }) => readings.push([details.topic, args]), { match: 'prefix' });
        await watcher.client.subscribeAsync(`sensors${protocolVersion}/#`, { qos: 1 });
        await device.client.publishAsync(`sensors${protocolVersion}/kitchen/temp`, '{"args": [21.5]}', { qos: 1 });
        await watcher.until((messages) => messages.length === 1, 'the reading over MQTT');
        assert.deepEqual(watcher.messages[0], { topic: `sensors${protocolVersion}/kitchen/temp`, payload: '{"args":[21.5]}', qos: 1, retain: false });
        await waitFor(() => readings.length === 1, 'the reading over WAMP');
        assert.deepEqual(readings[0], [`sensors${protocolVersion}.kitchen.temp`, [21.5]]);
      } finally {
        await device.end();
        await watcher.end();
        await wamp.close();
      }
    });

    it('a native payload\'s Crossbar routing keys (eligible, exclude...) choose its WAMP receivers; a bad one is refused', async () => {
      const chosen = await openAutobahn(node.url);
      const other = await openAutobahn(node.url);
      const device = await connectMqtt(port, { protocolVersion });
      try {
        const topic = `routed${protocolVersion}.cmd`;
        const received = { chosen: [] as unknown[], other: [] as unknown[] };
        await chosen.session.subscribe(topic, (args: unknown[]) => received.chosen.push(args[0]));
        await other.session.subscribe(topic, (args: unknown[]) => received.other.push(args[0]));
        const mqttTopic = `routed${protocolVersion}/cmd`;
        await device.client.publishAsync(mqttTopic, JSON.stringify({ args: ['only chosen'], eligible: [chosen.session.id] }), { qos: 1 });
        await device.client.publishAsync(mqttTopic, JSON.stringify({ args: ['not chosen'], exclude: [chosen.session.id], eligible_authrole: null }), { qos: 1 });
        await waitFor(() => received.chosen.length === 1 && received.other.length === 1, 'both routed events');
        assert.deepEqual(received, { chosen: ['only chosen'], other: ['not chosen'] });
        if (protocolVersion === 5) {
          // The router checks the options as a WAMP client's: MQTT 5 hears "unspecified error" with the router's reason.
          await assert.rejects(device.client.publishAsync(mqttTopic, JSON.stringify({ args: ['bad'], eligible: ['x'] }), { qos: 1 }),
            (error: Error & { code?: number }) => error.code === 0x80);
          assert.deepEqual(received, { chosen: ['only chosen'], other: ['not chosen'] });
        }
      } finally {
        await device.end();
        await other.close();
        await chosen.close();
      }
    });

    it('a WAMP publication in Payload Passthru Mode (Autobahn|Python\'s payload codecs) reaches MQTT as its bytes, untouched', async () => {
      // Crossbar's mqtt/basic/passthrough example: a WAMP client whose payload codec writes the device's binary format.
      const publisher = await RawClient.open(node.url, ['wamp.2.msgpack']);
      const device = await connectMqtt(port, { protocolVersion });
      try {
        await publisher.hello();
        const topic = `opaque${protocolVersion}/reading`;
        await device.client.subscribeAsync(topic, { qos: 1 });
        const bytes = Uint8Array.from([0x63, 0xb2, 0, 0, 0, 1, 0xf7, 0xea, 0x10, 0xf3, 0x35, 0x82, 0x8c, 0xd9]);
        publisher.send([16, 1, { acknowledge: true, enc_algo: 'mqtt' }, `opaque${protocolVersion}.reading`, bytes]);
        assert.equal((await publisher.next())[0], 17);
        await device.until((messages) => messages.length === 1, 'the opaque reading');
        assert.deepEqual([...(device.packets[0]!.payload as Buffer)], [...bytes]);
      } finally {
        await device.end();
        publisher.close();
      }
    });

    it('an AutobahnJS publication reaches an MQTT subscriber with the native payload', async () => {
      const wamp = await openAutobahn(node.url);
      const device = await connectMqtt(port, { protocolVersion });
      try {
        const topic = `home${protocolVersion}/kitchen/setpoint`;
        await device.client.subscribeAsync(topic, { qos: 1 });
        await wamp.session.publish(`home${protocolVersion}.kitchen.setpoint`, [20], { unit: 'C' }, { acknowledge: true, _mqtt: { qos: 1 } });
        await device.until((messages) => messages.length === 1, 'the setpoint');
        assert.deepEqual(device.messages[0], { topic, payload: '{"args":[20],"kwargs":{"unit":"C"}}', qos: 1, retain: false });
      } finally {
        await device.end();
        await wamp.close();
      }
    });
  });
}
