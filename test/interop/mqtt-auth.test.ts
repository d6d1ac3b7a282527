import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { connectMqtt, metric, mqttTestConfig, RawMqtt, subackCodes } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';

/** Devices sign in with username/password (a ticket) and may use "devices." only; anonymous clients may not connect. */
const config = mqttTestConfig({ auth: { ticket: { type: 'static', principals: { sensor7: { ticket: 's3cret', role: 'device' } } } } });
config.realms[0]!.roles.push({
  name: 'device',
  permissions: [{
    uri: 'devices.', match: 'prefix', cache: true,
    allow: { call: false, register: false, publish: true, subscribe: true },
    disclose: { caller: false, publisher: false },
  }],
});
config.signIn.failureBudget = 100; // the refusals below must not slow the other tests down
const node = await startTestNode(config);
after(() => node.stop());
const port = node.ports.get('mqtt')!;

/** The CONNACK code of a refused CONNECT. */
function refusedWith(options: mqtt.IClientOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, ...options });
    client.on('connect', () => reject(new Error('the CONNECT was accepted')));
    client.on('error', (error: Error & { code?: number }) => {
      client.end(true);
      resolve(error.code ?? -1);
    });
  });
}

for (const protocolVersion of [4, 5] as const) {
  const version = protocolVersion === 4 ? 'MQTT 3.1.1' : 'MQTT 5.0';
  describe(`${version}: ticket sign-in and the realm's role rules`, () => {
    it('signs in with username and password as a ticket', async () => {
      const device = await connectMqtt(port, { protocolVersion, username: 'sensor7', password: 's3cret' });
      await device.end();
    });

    it('refuses a wrong password and a client without one, with the version\'s code', async () => {
      assert.equal(await refusedWith({ protocolVersion, username: 'sensor7', password: 'wrong' }), protocolVersion === 5 ? 0x86 : 4);
      assert.equal(await refusedWith({ protocolVersion }), protocolVersion === 5 ? 0x87 : 5);
    });

    it('a refused topic: SUBSCRIBE gets its failure code, PUBLISH is not delivered', async () => {
      const device = await connectMqtt(port, { protocolVersion, username: 'sensor7', password: 's3cret' });
      try {
        const codes = await subackCodes(device.client, { 'devices/sensor7/cmd': { qos: 1 }, 'admin/cmd': { qos: 1 } });
        assert.deepEqual(codes, [1, protocolVersion === 5 ? 0x87 : 0x80]);
        if (protocolVersion === 5) {
          await assert.rejects(device.client.publishAsync('admin/reboot', '{"args": []}', { qos: 1 }), (error: Error & { code?: number }) => error.code === 0x87);
        } else {
          await device.client.publishAsync('admin/reboot', '{"args": []}', { qos: 1 }); // acknowledged: 3.1.1 cannot say no
        }
        await device.client.publishAsync('devices/sensor7/cmd', '{"args": ["allowed"]}', { qos: 1 });
        await device.until((messages) => messages.length === 1, 'the allowed publication');
        assert.equal(device.messages[0]!.topic, 'devices/sensor7/cmd');
      } finally {
        await device.end();
      }
    });

    it('a will on a topic the role may not publish to refuses the CONNECT (not lost when it would go out); an allowed one is taken', async () => {
      const refusals = () => metric(node.metrics.exposition(), 'junction_mqtt_refused_connections_total{reason="will",transport="mqtt"}');
      const before = refusals();
      const will = (topic: string) => ({ topic, payload: Buffer.from('{"args": ["gone"]}'), qos: 0 as const, retain: false });
      assert.equal(await refusedWith({ protocolVersion, username: 'sensor7', password: 's3cret', will: will('admin/gone') }), protocolVersion === 5 ? 0x87 : 5);
      assert.equal(refusals() - before, 1);
      const device = await connectMqtt(port, { protocolVersion, username: 'sensor7', password: 's3cret', will: will('devices/sensor7/gone') });
      await device.end();
    });

    it('a topic that cannot map is refused with the reason', async () => {
      const device = await connectMqtt(port, { protocolVersion, username: 'sensor7', password: 's3cret' });
      try {
        assert.deepEqual(await subackCodes(device.client, { 'devices/+/#': { qos: 0 } }), [protocolVersion === 5 ? 0x8f : 0x80]);
        if (protocolVersion === 5) {
          await assert.rejects(device.client.publishAsync('devices/v1.2/x', '{}', { qos: 1 }), (error: Error & { code?: number }) => error.code === 0x90);
          await assert.rejects(device.client.publishAsync('devices/x', 'not json', { qos: 1 }), (error: Error & { code?: number }) => error.code === 0x99);
        }
      } finally {
        await device.end();
      }
    });
  });
}

describe('MQTT 5 extended authentication (not offered)', () => {
  it('refuses a CONNECT with an Authentication Method with CONNACK 0x8C, counted', async () => {
    const client = await RawMqtt.open(port, 5);
    const connack = await client.connect({ username: 'sensor7', password: Buffer.from('s3cret'), properties: { authenticationMethod: 'SCRAM-SHA-1' } });
    assert.equal(connack.reasonCode, 0x8c);
    await client.whenClosed();
    assert.equal(metric(node.metrics.exposition(), 'junction_mqtt_refused_connections_total{reason="auth_method",transport="mqtt"}'), 1);
  });

  it('closes a connection that sends AUTH with DISCONNECT 0x82, a code MQTT 5 allows there (found by fuzzing: it was 0x86)', async () => {
    const client = await RawMqtt.open(port, 5);
    assert.equal((await client.connect({ username: 'sensor7', password: Buffer.from('s3cret') })).reasonCode, 0);
    client.sendRaw(Buffer.from([0xf0, 0x02, 0x00, 0x00])); // AUTH, reason 0, no properties
    const disconnect = await client.next('disconnect');
    assert.equal((disconnect as { reasonCode?: number }).reasonCode, 0x82);
    await client.whenClosed();
  });
});
