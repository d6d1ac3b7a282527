import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generate, type Packet } from 'mqtt-packet';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { mqttTestConfig, RawMqtt } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';

/**
 * QoS 2 flows from a client while the router still weighs the publication: the MQTT clients'
 * role asks a slow dynamic authorizer (open.* may be published, the rest not), so PUBREC waits.
 * A raw MQTT 5 client sends what a well-behaved one would not.
 */
const config = mqttTestConfig({ receiveMaximum: 3, auth: { anonymous: { type: 'static', role: 'asked' } } });
config.realms[0]!.roles.push({ name: 'asked', authorizer: 'com.example.authorize' });
const node = await startTestNode(config);
const port = node.ports.get('mqtt')!;
let app: OpenSession;

before(async () => {
  app = await openAutobahn(node.url);
  await app.session.register('com.example.authorize', async (args: unknown[]) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return String(args[1]).startsWith('open.');
  });
});

after(async () => {
  await app?.close();
  await node.stop();
});

const publish = (messageId: number, topic: string, dup = false) =>
  ({ cmd: 'publish', topic, payload: Buffer.from('{"args": [1]}'), qos: 2, messageId, dup, retain: false });
/** Packets in one write: the server reads them all before the authorizer answers. */
const sendAtOnce = (client: RawMqtt, packets: Record<string, unknown>[]): void =>
  client.sendRaw(Buffer.concat(packets.map((packet) => generate(packet as unknown as Packet, { protocolVersion: 5 }))));
/** The acknowledgements for one packet id, as "cmd:reasonCode", in the order they came. */
const answersFor = (client: RawMqtt, messageId: number): string[] => client.packets
  .filter((packet) => 'messageId' in packet && packet.messageId === messageId && packet.cmd !== 'publish')
  .map((packet) => `${packet.cmd}:${(packet as { reasonCode?: number }).reasonCode ?? 0}`);

async function withClient(body: (client: RawMqtt) => Promise<void>, connect: Record<string, unknown> = {}): Promise<void> {
  const client = await RawMqtt.open(port);
  try {
    await client.connect(connect);
    await body(client);
  } finally {
    client.end();
  }
}

describe('MQTT QoS 2 from a client while the router has not answered', () => {
  it('a PUBREL before our PUBREC is answered after it: PUBREC, then PUBCOMP', async () => {
    await withClient(async (client) => {
      sendAtOnce(client, [publish(7, 'open/early'), { cmd: 'pubrel', messageId: 7 }]);
      await client.until(() => answersFor(client, 7).length === 2, 'PUBREC and PUBCOMP');
      assert.deepEqual(answersFor(client, 7), ['pubrec:0', 'pubcomp:0']);
    });
  });

  it('the id of a PUBREL that came early stays counted under receive_maximum until its PUBCOMP', async () => {
    await withClient(async (client) => {
      // receive_maximum 3: ids 1, 2 and 3 are open while the authorizer works, so a fourth is one too many.
      sendAtOnce(client, [publish(1, 'open/count'), { cmd: 'pubrel', messageId: 1 }, publish(2, 'open/count'), publish(3, 'open/count'), publish(4, 'open/count')]);
      const disconnect = await client.next('disconnect') as { reasonCode?: number };
      assert.equal(disconnect.reasonCode, 0x93);
    });
  });

  it('a persistent session: a resend after reconnecting gets the router\'s refusal of the first copy, not a success', async () => {
    const session = { clientId: 'qos2-refused-resend', clean: false, properties: { sessionExpiryInterval: 60 } };
    await withClient(async (first) => {
      first.send(publish(5, 'closed/resend'));
      // Handed to the router; the connection drops before its answer, so the client sends it again.
      await new Promise((resolve) => setTimeout(resolve, 50));
      first.end();
      await withClient(async (client) => {
        client.send(publish(5, 'closed/resend', true));
        await client.until(() => answersFor(client, 5).length === 1, 'PUBREC');
        assert.deepEqual(answersFor(client, 5), [`pubrec:${0x87}`]);
        // The refusal ended the flow: a PUBREL for it is not found.
        client.send({ cmd: 'pubrel', messageId: 5 });
        await client.until(() => answersFor(client, 5).length === 2, 'PUBCOMP');
        assert.equal(answersFor(client, 5)[1], `pubcomp:${0x92}`);
      }, session);
    }, { ...session, clean: true });
  });
});
