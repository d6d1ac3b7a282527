import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { connect } from '../../src/client/index.js';
import { connectMqtt, mqttTestConfig, publishWithUserProperties, RawMqtt } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';

/**
 * User Properties as a client may write them, which mqtt-packet's generate never does: a name
 * repeated after another name (a=1, b=2, a=3), empty values among repeated ones. Every value is
 * delivered, grouped by name as the `_mqtt.user_properties` object holds them (docs/mqtt.md: the
 * order between names is lost, as mqtt-packet 9.0.2, the latest, reads them into an object and has
 * no option to keep it).
 */

const node = await startTestNode(mqttTestConfig());
after(() => node.stop());
const port = node.ports.get('mqtt')!;

describe('MQTT 5 User Properties written by hand', () => {
  it('delivers every value of interleaved and repeated empty names to WAMP and MQTT 5 subscribers', async () => {
    const wamp = await connect({ url: node.url, realm: 'realm1', reconnect: false });
    const subscriber = await connectMqtt(port, { protocolVersion: 5 });
    const publisher = await RawMqtt.open(port);
    try {
      const details: Record<string, unknown>[] = [];
      await wamp.subscribe('props.order', (_args, _kwargs, eventDetails) => void details.push(eventDetails));
      await subscriber.client.subscribeAsync('props/order', { qos: 1 });
      await publisher.connect();
      publisher.sendRaw(publishWithUserProperties('props/order', 1, [['a', '1'], ['b', '2'], ['a', '3']]));
      publisher.sendRaw(publishWithUserProperties('props/order', 2, [['e', ''], ['e', 'x'], ['f', ''], ['f', '']]));
      await publisher.until(() => publisher.received('puback').length === 2, 'two PUBACKs');
      await waitFor(() => details.length === 2, 'both WAMP events');
      assert.deepEqual(details.map((event) => (event._mqtt as { user_properties?: unknown }).user_properties), [
        { a: ['1', '3'], b: '2' },
        { e: ['', 'x'], f: ['', ''] },
      ]);
      await subscriber.until((messages) => messages.length === 2, 'both MQTT messages');
      // (The MQTT subscriber reads with mqtt-packet, which drops an empty value of a repeated name itself: only the first message is compared.)
      assert.deepEqual({ ...subscriber.packets[0]!.properties?.userProperties }, { a: ['1', '3'], b: '2' });
    } finally {
      publisher.end();
      await subscriber.end();
      await wamp.leave();
    }
  });
});
