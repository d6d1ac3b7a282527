import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IClientOptions } from 'mqtt';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { generate, type IPubrecPacket, type Packet } from 'mqtt-packet';
import { connectMqtt, metric, mqttTestConfig, RawMqtt, type RecordingClient } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';

// Crossbar's dynamic example: every topic under "dyn." is mapped by WAMP procedures; a short codec timeout for the timeout test.
const node = await startTestNode(mqttTestConfig({
  payloadMapping: {
    '': { type: 'native', serializer: 'json' },
    'dyn.': { type: 'dynamic', encoder: 'com.example.mqtt.encode', decoder: 'com.example.mqtt.decode', realm: 'realm1' },
    'missing.': { type: 'dynamic', encoder: 'com.example.nobody.encode', decoder: 'com.example.nobody.decode', realm: 'realm1' },
  },
  codecTimeout: 1_000,
  maxCodecCallsPerConnection: 4,
}));
after(() => node.stop());
const port = node.ports.get('mqtt')!;
const failures = (labels: string) => metric(node.metrics.exposition(), `junction_mqtt_codec_failures_total{${labels},transport="mqtt"}`);

const text = new TextDecoder();
/** The payloads the decoder answered for, in the order it answered. */
const answered: string[] = [];
// CBOR: the payload arrives as bytes, and the encoder's bytes go back as bytes (AutobahnJS's JSON leaves binary as a "\0base64" string).
const codec = await openAutobahn(node.url, 'cbor');
before(async () => {
  // decode: "slow:<n>" waits before answering, "throw" fails, "hang" never answers in time; else the text is the single argument.
  await codec.session.register('com.example.mqtt.decode', async ([uri, topic, payload]: [string, string, Uint8Array]) => {
    const body = text.decode(payload);
    if (body === 'throw') throw new Error('cannot decode');
    if (body === 'hang') await new Promise((resolve) => setTimeout(resolve, 3_000));
    if (body.startsWith('slow:')) await new Promise((resolve) => setTimeout(resolve, Number(body.slice(5))));
    answered.push(body);
    return { args: [body, uri, topic], kwargs: null };
  });
  await codec.session.register('com.example.mqtt.encode', ([topic, uri, args, kwargs]: [string, string, unknown[] | null, Record<string, unknown> | null]) =>
    new TextEncoder().encode(`${topic}|${uri}|${JSON.stringify(args)}|${JSON.stringify(kwargs)}`));
});
after(() => codec.close());

/** An AutobahnJS session and an MQTT.js client for one test, both closed after it. */
async function withClients(options: IClientOptions, body: (wamp: OpenSession, device: RecordingClient) => Promise<void>): Promise<void> {
  const wamp = await openAutobahn(node.url);
  const device = await connectMqtt(port, options);
  try {
    await body(wamp, device);
  } finally {
    await device.end();
    await wamp.close();
  }
}

describe('MQTT dynamic payload mapping (Crossbar\'s encoder and decoder procedures)', () => {
  it('an MQTT publication decoded by a procedure reaches a WAMP subscriber; QoS 1 is acknowledged after it was delivered', async () => {
    await withClients({ protocolVersion: 5 }, async (wamp, device) => {
      const events: unknown[] = [];
      await wamp.session.subscribe('dyn.kitchen.temp', (args: unknown[]) => events.push(args));
      await device.client.publishAsync('dyn/kitchen/temp', 'slow:300', { qos: 1 });
      // publishAsync resolves at PUBACK: the decoder had answered before it.
      assert.ok(answered.includes('slow:300'));
      await waitFor(() => events.length === 1, 'the decoded event');
      assert.deepEqual(events[0], ['slow:300', 'dyn.kitchen.temp', 'dyn/kitchen/temp']);
    });
  });

  it('a WAMP event encoded by a procedure reaches an MQTT subscriber with the encoder\'s bytes', async () => {
    await withClients({}, async (wamp, device) => {
      await device.client.subscribeAsync('dyn/door', { qos: 1 });
      await wamp.session.publish('dyn.door', ['open'], { by: 'ann' }, { acknowledge: true });
      await device.until((messages) => messages.length === 1, 'the encoded event');
      assert.equal(device.messages[0]!.payload, 'dyn/door|dyn.door|["open"]|{"by":"ann"}');
    });
  });

  it('keeps a connection\'s order under a slow decoder: a later publication never overtakes an earlier one', async () => {
    await withClients({}, async (wamp, device) => {
      const events: unknown[] = [];
      await wamp.session.subscribe('dyn.order', (args: unknown[]) => events.push(args[0]));
      device.client.publish('dyn/order', 'slow:400', { qos: 0 });
      device.client.publish('dyn/order', 'fast', { qos: 0 });
      device.client.publish('dyn/order', 'slow:100', { qos: 0 });
      await waitFor(() => events.length === 3, 'the three decoded events');
      assert.deepEqual(events, ['slow:400', 'fast', 'slow:100']);
    });
  });

  it('past max_codec_calls_per_connection a QoS 0 publication is dropped and counted', async () => {
    await withClients({}, async (wamp, device) => {
      const events: unknown[] = [];
      await wamp.session.subscribe('dyn.burst', (args: unknown[]) => events.push(args[0]));
      const before = failures('direction="decode",reason="limit"');
      for (let i = 0; i < 10; i++) device.client.publish('dyn/burst', 'slow:500', { qos: 0 });
      await waitFor(() => failures('direction="decode",reason="limit"') - before === 6, 'six publications over the limit');
      await waitFor(() => events.length === 4, 'the four decoded events');
    });
  });

  it('a retained burst on a dynamic topic goes at the encoder\'s pace: more retained events than max_codec_calls_per_connection all arrive', async () => {
    await withClients({}, async (wamp, device) => {
      const topics = Array.from({ length: 12 }, (_, i) => `dyn.kept.t${String(i).padStart(2, '0')}`);
      for (const topic of topics) await wamp.session.publish(topic, [topic], {}, { acknowledge: true, retain: true });
      await device.client.subscribeAsync('dyn/kept/#', { qos: 0 });
      await device.until((messages) => messages.length === topics.length, 'every retained event');
      assert.deepEqual(device.messages.map((message) => message.payload).sort(), topics.map((topic) => `${topic.replaceAll('.', '/')}|${topic}|["${topic}"]|null`).sort());
    });
  });

  it('a decoder that throws, is missing or does not answer in time: the MQTT 5 client gets 0x99 in PUBACK, nothing is published, each is counted', async () => {
    await withClients({ protocolVersion: 5 }, async (wamp, device) => {
      const events: unknown[] = [];
      await wamp.session.subscribe('dyn.', (args: unknown[]) => events.push(args), { match: 'prefix' });
      await wamp.session.subscribe('missing.', (args: unknown[]) => events.push(args), { match: 'prefix' });
      const before = { error: failures('direction="decode",reason="error"'), timeout: failures('direction="decode",reason="timeout"') };
      for (const [topic, body] of [['dyn/bad', 'throw'], ['missing/x', 'a'], ['dyn/late', 'hang']] as const) {
        // MQTT.js rejects a PUBACK with reason code 0x99 so.
        await assert.rejects(device.client.publishAsync(topic, body, { qos: 1 }), /Payload format invalid/, topic);
      }
      assert.equal(failures('direction="decode",reason="error"') - before.error, 2);
      assert.equal(failures('direction="decode",reason="timeout"') - before.timeout, 1);
      assert.deepEqual(events, []);
    });
  });

  it('an encoder that is missing: the event is not sent to MQTT and the failure is counted once', async () => {
    await withClients({}, async (wamp, device) => {
      const before = failures('direction="encode",reason="error"');
      await device.client.subscribeAsync('missing/x', { qos: 0 });
      await device.client.subscribeAsync('plain/x', { qos: 0 });
      await wamp.session.publish('missing.x', [1], {}, { acknowledge: true });
      await wamp.session.publish('plain.x', [2], {}, { acknowledge: true });
      // The native event after it arrives (in order, after the failed encode): the missing one never does.
      await device.until((messages) => messages.length === 1, 'the native event');
      assert.deepEqual(device.messages.map((message) => message.topic), ['plain/x']);
      assert.equal(failures('direction="encode",reason="error"') - before, 1);
    });
  });

  describe('a QoS 2 publication resent while its decode is pending is published once (MQTT 4.3.3)', () => {
    /** A raw MQTT 5 client (so it can resend at will) and a WAMP subscriber to dyn.dup, both closed after the test. */
    async function withRawClient(body: (client: RawMqtt, events: unknown[]) => Promise<void>, connect: Record<string, unknown> = {}): Promise<void> {
      const wamp = await openAutobahn(node.url);
      const client = await RawMqtt.open(port);
      try {
        const events: unknown[] = [];
        await wamp.session.subscribe('dyn.dup', (args: unknown[]) => events.push(args[0]));
        await client.connect(connect);
        await body(client, events);
      } finally {
        client.end();
        await wamp.close();
      }
    }
    const publish = (messageId: number, payload: string, dup: boolean) =>
      ({ cmd: 'publish', topic: 'dyn/dup', payload: Buffer.from(payload), qos: 2, messageId, dup, retain: false });
    /** The publication and its resend in one write: both are read before the decoder can answer. */
    const sendTwice = (client: RawMqtt, messageId: number, payload: string): void =>
      client.sendRaw(Buffer.concat([publish(messageId, payload, false), publish(messageId, payload, true)].map((packet) => generate(packet as Packet, { protocolVersion: 5 }))));
    const pubrecs = (client: RawMqtt, messageId: number) => client.received('pubrec').filter((packet) => packet.messageId === messageId) as IPubrecPacket[];
    /** A later publication's event has arrived: a second copy of an earlier one, published before it, would have too. */
    async function settle(client: RawMqtt, events: unknown[]): Promise<void> {
      client.send(publish(100, 'marker', false));
      await client.until(() => pubrecs(client, 100).length === 1, 'the marker\'s PUBREC');
      client.send({ cmd: 'pubrel', messageId: 100 });
      await waitFor(() => events.includes('marker'), 'the marker event');
    }

    it('the decoder is called once, one event reaches WAMP, both PUBLISH get PUBREC, PUBREL/PUBCOMP complete', async () => {
      await withRawClient(async (client, events) => {
        const decoded = answered.filter((body) => body === 'slow:300').length;
        sendTwice(client, 7, 'slow:300');
        await client.until(() => pubrecs(client, 7).length === 2, 'a PUBREC for each PUBLISH');
        assert.deepEqual(pubrecs(client, 7).map((packet) => packet.reasonCode ?? 0), [0, 0]);
        client.send({ cmd: 'pubrel', messageId: 7 });
        await client.until(() => client.received('pubcomp').some((packet) => packet.messageId === 7), 'PUBCOMP');
        assert.equal((client.received('pubcomp').find((packet) => packet.messageId === 7) as { reasonCode?: number }).reasonCode ?? 0, 0);
        await settle(client, events);
        assert.deepEqual(events, ['slow:300', 'marker']);
        assert.equal(answered.filter((body) => body === 'slow:300').length - decoded, 1);
      });
    });

    it('PUBREL before its PUBREC (the decoder at work) is answered after the PUBREC, and a next publication with the id is a new one (found writing the dynamic fuzz suite: it was taken for a resend and lost)', async () => {
      await withRawClient(async (client, events) => {
        client.send(publish(11, 'slow:300', false));
        client.send({ cmd: 'pubrel', messageId: 11 });
        await client.until(() => client.received('pubcomp').some((packet) => packet.messageId === 11), 'PUBCOMP');
        const order = client.packets.filter((packet) => (packet.cmd === 'pubrec' || packet.cmd === 'pubcomp') && packet.messageId === 11).map((packet) => packet.cmd);
        assert.deepEqual(order, ['pubrec', 'pubcomp'], JSON.stringify(client.packets));
        client.send(publish(11, 'next', false));
        await client.until(() => pubrecs(client, 11).length === 2, 'the PUBREC of the next publication');
        client.send({ cmd: 'pubrel', messageId: 11 });
        await client.until(() => client.received('pubcomp').filter((packet) => packet.messageId === 11).length === 2, 'its PUBCOMP');
        await settle(client, events);
        assert.deepEqual(events, ['slow:300', 'next', 'marker']);
      });
    });

    it('a decode that fails: the resend gets the same refusal (0x99) and the decoder is not called again', async () => {
      await withRawClient(async (client, events) => {
        const before = failures('direction="decode",reason="error"');
        sendTwice(client, 9, 'throw');
        await client.until(() => pubrecs(client, 9).length === 2, 'a PUBREC for each PUBLISH');
        assert.deepEqual(pubrecs(client, 9).map((packet) => packet.reasonCode), [0x99, 0x99]);
        assert.equal(failures('direction="decode",reason="error"') - before, 1);
        await settle(client, events);
        assert.deepEqual(events, ['marker']);
      });
    });

    it('a persistent session: the publication pending when the connection dropped is resent on the next one and published once', async () => {
      const session = { clientId: 'dyn-qos2-resume', clean: false, properties: { sessionExpiryInterval: 60 } };
      await withRawClient(async (first) => {
        first.send(publish(3, 'slow:200', false));
        first.end(); // before the decoder answers: never acknowledged, so the client sends it again
        await withRawClient(async (client, events) => {
          client.send(publish(3, 'slow:200', true));
          await client.until(() => pubrecs(client, 3).length === 1, 'PUBREC');
          client.send({ cmd: 'pubrel', messageId: 3 });
          await client.until(() => client.received('pubcomp').some((packet) => packet.messageId === 3), 'PUBCOMP');
          await settle(client, events);
          assert.deepEqual(events, ['slow:200', 'marker']);
        }, session);
      }, session);
    });
  });

  it('a will on a dynamic topic is refused at CONNECT, naming why (its payload is not passed to a decoder)', async () => {
    await assert.rejects(connectMqtt(port, { protocolVersion: 5, will: { topic: 'dyn/gone', payload: Buffer.from('bye'), qos: 0, retain: false } }),
      /Payload format invalid|payload mapping is dynamic/);
  });
});
