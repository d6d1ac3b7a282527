import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IClientOptions } from 'mqtt';
import { connect, type Session } from '../../src/client/index.js';
import { connectMqtt, metric, mqttTestConfig } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';

const node = await startTestNode(mqttTestConfig());
after(() => node.stop());
const port = node.ports.get('mqtt')!;

/** MQTT 5 options of a device with a will on `wills/<name>` after `delay` s and a session kept `expiry` s. */
function device(name: string, delay: number, expiry: number): IClientOptions {
  return {
    protocolVersion: 5,
    clientId: `will-${name}`,
    clean: expiry === 0,
    properties: { sessionExpiryInterval: expiry },
    will: { topic: `wills/${name}`, payload: Buffer.from(`{"args": ["${name}"]}`), qos: 1, retain: false, properties: { willDelayInterval: delay } },
  };
}

/** Ends the persistent session a test left behind: a clean connection with its client id. */
async function forget(name: string): Promise<void> {
  await (await connectMqtt(port, { protocolVersion: 5, clientId: `will-${name}`, clean: true })).end();
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MQTT 5 will delay interval', () => {
  let wamp: Session;
  const wills: string[] = [];
  before(async () => {
    wamp = await connect({ url: node.url, realm: 'realm1', reconnect: false });
    await wamp.subscribe('wills.', (args) => void wills.push(String(args[0])), { match: 'prefix' });
  });
  after(() => wamp.leave());

  it('waits out the delay, then publishes the will', async () => {
    const dropped = await connectMqtt(port, device('late', 1, 60));
    dropped.client.stream.destroy();
    await pause(300); // the delay is a second: nothing can come before it
    assert.ok(!wills.includes('late'), 'the will waits for its delay');
    await waitFor(() => wills.includes('late'), 'the will after its delay');
    await dropped.client.endAsync(true);
    await forget('late');
  });

  it('never publishes the will of a client that resumes its session within the delay', async () => {
    const options = device('back', 1, 60);
    const dropped = await connectMqtt(port, options);
    dropped.client.stream.destroy();
    await dropped.client.endAsync(true);
    const back = await connectMqtt(port, { ...options, will: undefined });
    await pause(1_300); // past the delay the dropped connection asked for
    assert.ok(!wills.includes('back'), `wills: ${wills.join(', ')}`);
    await back.end();
    await forget('back');
  });

  it('publishes the will when the session expires before the delay passes', async () => {
    const dropped = await connectMqtt(port, device('expired', 60, 1));
    dropped.client.stream.destroy();
    await waitFor(() => wills.includes('expired'), 'the will at the session\'s end');
    await dropped.client.endAsync(true);
  });

  it('publishes the will at once when the session ends with the connection, or a clean connection takes it over', async () => {
    const ending = await connectMqtt(port, device('ending', 60, 0));
    ending.client.stream.destroy();
    await waitFor(() => wills.includes('ending'), 'the will of a session that ended with its connection');
    await ending.client.endAsync(true);

    const taken = await connectMqtt(port, device('taken', 60, 60));
    const newer = await connectMqtt(port, { protocolVersion: 5, clientId: 'will-taken', clean: true });
    await waitFor(() => wills.includes('taken'), 'the will of a session a clean connection replaced');
    await newer.end();
    await taken.client.endAsync(true);
  });

  it('the will carries its QoS and MQTT 5 properties to MQTT 5 subscribers', async () => {
    const subscriber = await connectMqtt(port, { protocolVersion: 5 });
    try {
      await subscriber.client.subscribeAsync('wills/props', { qos: 2 });
      const dropped = await connectMqtt(port, {
        protocolVersion: 5,
        will: { topic: 'wills/props', payload: Buffer.from('{"args": ["props"]}'), qos: 1, retain: false, properties: { userProperties: { cause: 'power' }, contentType: 'application/json' } },
      });
      dropped.client.stream.destroy();
      await subscriber.until((messages) => messages.length === 1, 'the will');
      assert.equal(subscriber.messages[0]!.qos, 1);
      // mqtt-packet reads user properties into an object without a prototype.
      assert.deepEqual({ ...subscriber.packets[0]!.properties?.userProperties }, { cause: 'power' });
      assert.equal(subscriber.packets[0]!.properties?.contentType, 'application/json');
      await dropped.client.endAsync(true);
    } finally {
      await subscriber.end();
    }
  });

  it('a normal DISCONNECT drops a pending will', async () => {
    const polite = await connectMqtt(port, device('polite', 0, 0));
    await polite.end();
    await pause(200);
    assert.ok(!wills.includes('polite'));
  });

  it('gives every will\'s bytes back to max_total_will_bytes: published, dropped by a resume or a DISCONNECT', async () => {
    await waitFor(() => metric(node.metrics.exposition(), 'junction_mqtt_will_bytes') === 0, 'no will bytes held');
  });
});
