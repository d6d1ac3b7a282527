import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openAutobahn } from '../support/autobahn.js';
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
