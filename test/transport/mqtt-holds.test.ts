import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generate, type Packet } from 'mqtt-packet';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { connectMqtt, metric, mqttTestConfig, RawMqtt, type RecordingClient } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';

/**
 * What an MQTT client can make the router hold for it, bounded. MQTT 5 No Local holds a
 * subscriber's events while the router weighs its own publication (no-local.ts). Here the MQTT
 * clients' role asks a dynamic authorizer that answers a client's publications to "own/..." and
 * "news" only when the test says, so a publication stays with the router as long as a test
 * needs, while a WAMP session publishes to "news" meanwhile.
 */
const maxNoLocalHeld = 3;
const receiveMaximum = 2;
const maxSubscriptions = 4;
const maxBufferedBytes = 64 * 1024;
const config = mqttTestConfig({ maxNoLocalHeld, receiveMaximum, maxSubscriptions, maxBufferedBytes, auth: { anonymous: { type: 'static', role: 'device' } } });
config.realms[0]!.roles.push({ name: 'device', authorizer: 'com.example.authorize' });
const node = await startTestNode(config);
const port = node.ports.get('mqtt')!;
const metrics = () => node.metrics.exposition();

/** The authorizer's answers to publications that wait for the test, by URI. */
const waiting = new Map<string, () => void>();
let app: OpenSession;

before(async () => {
  app = await openAutobahn(node.url);
  await app.session.register('com.example.authorize', async (args: unknown[]) => {
    const [, uri, action] = args as [unknown, string, string];
    const slow = action === 'publish' ? uri === 'news' || uri.startsWith('own.') : action === 'subscribe' && uri.startsWith('slow.');
    if (slow) await new Promise<void>((resolve) => waiting.set(uri, resolve));
    // Answered once for good: SUBSCRIBEs of it are handled one right behind the other.
    if (uri.startsWith('again.')) return { allow: true, cache: true };
    return true;
  });
});

after(async () => {
  await app?.close();
  await node.stop();
});

const payloads = (client: RecordingClient) => client.messages.map((message) => JSON.parse(message.payload).args[0] as unknown);

/** A subscriber to "news" with No Local; its own publications go out at QoS 0. */
async function noLocalSubscriber(): Promise<RecordingClient> {
  const client = await connectMqtt(port, { protocolVersion: 5 });
  await client.client.subscribeAsync('news', { qos: 0, nl: true });
  return client;
}

/** Publishes from the MQTT client and waits until the authorizer holds it. */
async function publishHeld(client: RecordingClient, topic: string, text: string): Promise<void> {
  await client.client.publishAsync(topic, JSON.stringify({ args: [text] }), { qos: 0 });
  await waitFor(() => waiting.has(topic.replaceAll('/', '.')), `the authorizer asked about ${topic}`);
}

function answer(uri: string): void {
  const release = waiting.get(uri);
  assert.ok(release, `a publication to ${uri} waits`);
  waiting.delete(uri);
  release();
}

const publishNews = async (...numbers: number[]) => {
  for (const n of numbers) await app.session.publish('news', [n], {}, { acknowledge: true });
};

/** Retained events of 10 KB on `prefix`.0, .1...: more than max_buffered_bytes in all. Returns how many. */
async function retainMoreThanTheBuffer(prefix: string): Promise<number> {
  const event = 'r'.repeat(10_000);
  const topics = Math.ceil(maxBufferedBytes / event.length);
  for (let n = 0; n < topics; n++) await app.session.publish(`${prefix}.${n}`, [n, event], {}, { acknowledge: true, retain: true });
  return topics;
}

describe('MQTT No Local hold', () => {
  it('holds at most max_no_local_held events: the oldest go on, counted; the client\'s own is still not sent back; nothing is lost', async () => {
    const client = await noLocalSubscriber();
    try {
      await publishHeld(client, 'news', 'own');
      await publishNews(1, 2, 3, 4, 5);
      // Two past the bound went on while the client's publication is with the router.
      await client.until((messages) => messages.length === 2, 'the two oldest events');
      assert.deepEqual(payloads(client), [1, 2]);
      assert.equal(metric(metrics(), 'junction_mqtt_no_local_held{'), maxNoLocalHeld);
      assert.ok(metric(metrics(), 'junction_mqtt_no_local_held_bytes{') > 0);
      assert.equal(metric(metrics(), 'junction_mqtt_no_local_overflows_total'), 2);
      answer('news');
      await publishNews(6);
      await client.until((messages) => messages.length === 6, 'every event of the WAMP publisher');
      assert.deepEqual(payloads(client), [1, 2, 3, 4, 5, 6], 'its own publication was not sent back');
      assert.equal(metric(metrics(), 'junction_mqtt_no_local_held{'), 0);
      assert.equal(metric(metrics(), 'junction_mqtt_no_local_held_bytes{'), 0);
    } finally {
      await client.end();
    }
  });

  it('lets an event go at the answer it came before, while the client\'s next publication is still with the router', async () => {
    const client = await noLocalSubscriber();
    try {
      await publishHeld(client, 'own/a', 'a');
      await client.client.publishAsync('own/b', JSON.stringify({ args: ['b'] }), { qos: 0 });
      await publishNews(7);
      answer('own.a');
      await waitFor(() => waiting.has('own.b'), 'the authorizer asked about own/b');
      await client.until((messages) => messages.length === 1, 'the event, before own/b is answered');
      assert.deepEqual(payloads(client), [7]);
      answer('own.b');
    } finally {
      await client.end();
    }
  });
});

describe('MQTT QoS 2 publications awaiting PUBREL', () => {
  const session = { clientId: 'qos2-open-across-connections', clean: false, properties: { sessionExpiryInterval: 60 } };
  const publish = (messageId: number) => ({ cmd: 'publish', topic: 'qos2/open', payload: Buffer.from('{"args": [1]}'), qos: 2, messageId, dup: false, retain: false });
  const answered = (client: RawMqtt, cmd: string, messageId: number) => client.received(cmd).some((packet) => (packet as { messageId?: number }).messageId === messageId);

  it('count under receive_maximum on the next connection too, until their PUBREL comes', async () => {
    const first = await RawMqtt.open(port);
    await first.connect({ ...session, clean: true });
    for (const id of [1, 2]) first.send(publish(id));
    await first.until(() => answered(first, 'pubrec', 1) && answered(first, 'pubrec', 2), 'both PUBRECs');
    first.end();
    await first.whenClosed();

    const greedy = await RawMqtt.open(port);
    assert.equal((await greedy.connect(session)).sessionPresent, true);
    greedy.send(publish(3));
    assert.equal((await greedy.next('disconnect') as { reasonCode?: number }).reasonCode, 0x93, 'ids 1 and 2 are still open');
    await greedy.whenClosed();

    const polite = await RawMqtt.open(port);
    assert.equal((await polite.connect(session)).sessionPresent, true);
    polite.send({ cmd: 'pubrel', messageId: 1 });
    polite.send(publish(3));
    await polite.until(() => answered(polite, 'pubcomp', 1) && answered(polite, 'pubrec', 3), 'PUBCOMP 1 and PUBREC 3');
    assert.deepEqual(polite.received('disconnect'), []);
    polite.end();
  });
});

describe('MQTT SUBSCRIBE', () => {
  it('holds the events of a filter answered before its SUBACK up to half of max_buffered_bytes; past it they go ahead of the SUBACK, counted, nothing lost', async () => {
    const client = await connectMqtt(port, { protocolVersion: 5 });
    try {
      // "busy" is answered at once, "slow/x" waits for the authorizer: busy's events wait for the SUBACK of both.
      const subscribed = client.client.subscribeAsync({ busy: { qos: 0 }, 'slow/x': { qos: 0 } });
      await waitFor(() => waiting.has('slow.x'), 'the authorizer asked about slow/x');
      const event = 'e'.repeat(10_000);
      const count = Math.ceil((2 * maxBufferedBytes) / event.length);
      for (let n = 0; n < count; n++) await app.session.publish('busy', [n, event], {}, { acknowledge: true });
      await client.until((messages) => messages.length > 0, 'the held events, before the SUBACK');
      assert.equal(metric(metrics(), 'junction_mqtt_suback_hold_overflows_total{'), 1);
      assert.ok(metric(metrics(), 'junction_mqtt_suback_held_bytes{') <= maxBufferedBytes / 2);
      answer('slow.x');
      await subscribed;
      await client.until((messages) => messages.length === count, 'every event');
      assert.deepEqual(payloads(client), Array.from({ length: count }, (_, n) => n), 'in order');
      assert.equal(metric(metrics(), 'junction_mqtt_suback_held_bytes{'), 0);
    } finally {
      await client.end();
    }
  });

  it('paces retained events behind a slow SUBACK without sending them ahead of it', async () => {
    const topics = await retainMoreThanTheBuffer('kept');
    const overflows = metric(metrics(), 'junction_mqtt_suback_hold_overflows_total{');
    const client = await connectMqtt(port, { protocolVersion: 5 });
    try {
      const subscribed = client.client.subscribeAsync({ 'kept/#': { qos: 0 }, 'slow/y': { qos: 0 } });
      await waitFor(() => waiting.has('slow.y'), 'the authorizer asked about slow/y');
      await waitFor(() => metric(metrics(), 'junction_mqtt_suback_held_bytes{') > maxBufferedBytes / 2, 'half of max_buffered_bytes held');
      assert.deepEqual(client.messages, []);
      assert.equal(metric(metrics(), 'junction_mqtt_suback_hold_overflows_total{'), overflows);
      answer('slow.y');
      await subscribed;
      await client.until((messages) => messages.length === topics, 'every retained event');
    } finally {
      await client.end();
    }
  });

  it('queues the retained events of a filter once while they wait for the client, however often it is subscribed again', async () => {
    const topics = await retainMoreThanTheBuffer('again');
    const client = await RawMqtt.open(port);
    try {
      await client.connect();
      const subscribe = (messageId: number) => generate({ cmd: 'subscribe', messageId, subscriptions: [{ topic: 'again/#', qos: 0 }] } as unknown as Packet, { protocolVersion: 5 });
      client.sendRaw(Buffer.concat([1, 2, 3].map(subscribe)));
      await client.until(() => client.received('suback').length === 3 && client.received('publish').length >= topics, 'three SUBACKs and the retained events');
      await client.sync();
      await client.sync();
      assert.equal(client.received('publish').length, topics, 'the first replay was still paced when the repeats came: they added nothing');
    } finally {
      client.end();
    }
  });

  it('serves at most max_subscriptions filters of one SUBSCRIBE (repeats of one filter included): the rest get 0x97, counted once each, told once', async () => {
    const client = await RawMqtt.open(port);
    try {
      await client.connect();
      const refusedBefore = metric(metrics(), 'junction_mqtt_subscriptions_refused_total{');
      client.send({ cmd: 'subscribe', messageId: 1, subscriptions: Array.from({ length: maxSubscriptions + 2 }, () => ({ topic: 'repeated', qos: 0 })) });
      const suback = await client.next('suback') as { granted: number[]; properties?: { reasonString?: string } };
      assert.deepEqual(suback.granted, [0, 0, 0, 0, 0x97, 0x97]);
      assert.equal(suback.properties?.reasonString, `2 filters past the first ${maxSubscriptions}: a SUBSCRIBE names at most max_subscriptions (${maxSubscriptions})`);
      assert.equal(metric(metrics(), 'junction_mqtt_subscriptions_refused_total{') - refusedBefore, 2);
    } finally {
      client.end();
    }
  });
});
