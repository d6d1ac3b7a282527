import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { skipWithoutDebian } from '../support/debian.js';

/**
 * The bench's MQTT systems and workloads (bench/systems.mjs junction-mqtt and mosquitto,
 * bench/clients/mqtt-client.mjs, bench/workloads/mqtt.mjs): the systems start and carry a message
 * in the bench's payload form, and the workloads' loss / duplicate / order checks catch a broker
 * that sends a message twice or drops one (a fake broker here), or a bench whose MQTT figures
 * pass on a broken broker would mislead. Loaded by URL: the bench is not compiled.
 */

const bench = (path: string): Promise<any> => import(new URL(`../../../bench/${path}`, import.meta.url).href);

const OPTIONS = {
  serializer: 'json', warmup: 0.2, duration: 0.5, subscribers: 3, clientProcs: 1, window: 16, maxQueued: 48, payloadBytes: 16,
};

/** Publishes one message and resolves to what the subscriber got: [args, packet]. */
async function oneMessage(target: object): Promise<[unknown[], { topic: string; retain: boolean }]> {
  const { connectMqtt } = await bench('clients/mqtt-client.mjs');
  const subscriber = await connectMqtt({ ...target, qos: 1 });
  const publisher = await connectMqtt({ ...target, qos: 1 });
  try {
    const got = new Promise<[unknown[], { topic: string; retain: boolean }]>((resolve) => {
      subscriber.subscribe('bench.one', (args: unknown[], packet: { topic: string; retain: boolean }) => resolve([args, packet]));
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await publisher.publish('bench.one', [1, 2, 'x', 0]);
    return await got;
  } finally {
    subscriber.close();
    publisher.close();
  }
}

test('junction-mqtt starts with its MQTT listener and carries a message from an MQTT publisher to an MQTT subscriber', async () => {
  const { startSystem } = await bench('systems.mjs');
  const server = await startSystem('junction-mqtt', { serializer: 'json' });
  try {
    assert.equal(server.clients.subscriber.kind, 'mqtt');
    assert.equal(server.clients.wampPublisher.kind, 'wamp');
    const [args, packet] = await oneMessage(server.clients.subscriber);
    assert.deepEqual(args, [1, 2, 'x', 0]);
    assert.equal(packet.topic, 'bench/one');
  } finally {
    await server.stop();
  }
});

test('mosquitto starts on a free port with its generated config and carries the same message', async (t) => {
  // MOSQUITTO names another binary; else Debian's, which .ci/run installs (CI fails without it).
  const { mosquittoMissing } = await bench('servers/mosquitto.mjs');
  const missing = process.env.MOSQUITTO === undefined ? skipWithoutDebian('mosquitto') : mosquittoMissing();
  if (missing) {
    t.skip(missing);
    return;
  }
  const { startSystem } = await bench('systems.mjs');
  const server = await startSystem('mosquitto', {});
  try {
    const [args, packet] = await oneMessage(server.clients.subscriber);
    assert.deepEqual(args, [1, 2, 'x', 0]);
    assert.equal(packet.topic, 'bench/one');
  } finally {
    await server.stop();
  }
});

test('without the mosquitto binary the system is unavailable with the reason, and starting it says so', async () => {
  const previous = process.env.MOSQUITTO;
  process.env.MOSQUITTO = '/nonexistent/mosquitto';
  try {
    // A fresh module instance reads the variable again.
    const module = await import(new URL(`../../../bench/servers/mosquitto.mjs?missing`, import.meta.url).href);
    assert.match(module.mosquittoMissing(), /\/nonexistent\/mosquitto not found/);
    await assert.rejects(module.startMosquitto('mosquitto', {}), /mosquitto skipped: \/nonexistent\/mosquitto not found/);
  } finally {
    if (previous === undefined) delete process.env.MOSQUITTO;
    else process.env.MOSQUITTO = previous;
  }
});

test('the generated mosquitto config listens on loopback only, keeps nothing on disk and has Junction\'s per-client limits', async () => {
  const { mosquittoConfig } = await bench('servers/mosquitto.mjs');
  const lines: string[] = mosquittoConfig(12345).split('\n');
  for (const line of ['listener 12345 127.0.0.1', 'persistence false', 'max_inflight_messages 100', 'max_queued_messages 1000', 'max_packet_size 1048576']) {
    assert.ok(lines.includes(line), line);
  }
});

interface FakeBroker {
  server: Server;
  port: number;
}

/**
 * A minimal MQTT 3.1.1 broker for the checks: exact filters and one trailing `#`, QoS 0 and 1,
 * retained messages sent after SUBACK. `misdeliver(n)` says what the n-th forwarded PUBLISH
 * (1-based, over all subscribers, retained ones included) becomes: sent `'twice'`, `'dropped'`,
 * or `'once'`.
 */
async function fakeBroker(misdeliver: (n: number) => 'once' | 'twice' | 'dropped'): Promise<FakeBroker> {
  const subscribers = new Map<Socket, string[]>();
  const retained = new Map<string, { topic: string; payload: Buffer; qos: number }>();
  let forwarded = 0;
  let nextId = 1;
  const matches = (filter: string, topic: string): boolean => filter === topic || (filter.endsWith('#') && topic.startsWith(filter.slice(0, -1)));
  const forward = (subscriber: Socket, packet: { topic: string; payload: Buffer; qos: number }, retain: boolean): void => {
    const fate = misdeliver(++forwarded);
    const copies = fate === 'twice' ? 2 : fate === 'dropped' ? 0 : 1;
    for (let i = 0; i < copies; i++) {
      subscriber.write(mqttPacket.generate({ cmd: 'publish', topic: packet.topic, payload: packet.payload, qos: packet.qos, messageId: packet.qos ? nextId++ % 65_535 + 1 : undefined, retain, dup: false } as mqttPacket.Packet));
    }
  };
  const server = createServer((socket) => {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const send = (packet: object): void => {
      socket.write(mqttPacket.generate(packet as mqttPacket.Packet));
    };
    socket.on('error', () => {});
    socket.on('close', () => subscribers.delete(socket));
    socket.on('data', (chunk) => parser.parse(chunk));
    parser.on('packet', (packet: any) => {
      if (packet.cmd === 'connect') send({ cmd: 'connack', returnCode: 0, sessionPresent: false });
      else if (packet.cmd === 'subscribe') {
        subscribers.set(socket, [...(subscribers.get(socket) ?? []), ...packet.subscriptions.map((s: { topic: string }) => s.topic)]);
        send({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map((s: { qos: number }) => s.qos) });
        for (const message of retained.values()) {
          if (packet.subscriptions.some((s: { topic: string }) => matches(s.topic, message.topic))) forward(socket, message, true);
        }
      } else if (packet.cmd === 'publish') {
        if (packet.qos === 1) send({ cmd: 'puback', messageId: packet.messageId });
        if (packet.retain) retained.set(packet.topic, packet);
        for (const [subscriber, filters] of subscribers) {
          if (filters.some((filter) => matches(filter, packet.topic))) forward(subscriber, packet, false);
        }
      } else if (packet.cmd === 'pingreq') send({ cmd: 'pingresp' });
      else if (packet.cmd === 'disconnect') socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** The fake broker as a started bench system (CPU and memory sampled from this process). */
function asSystem(broker: FakeBroker): object {
  const mqtt = { kind: 'mqtt', host: '127.0.0.1', port: broker.port };
  return { name: 'fake-broker', pid: process.pid, clients: { publisher: mqtt, subscriber: mqtt }, stop: async () => {} };
}

test('the MQTT fan-out finds nothing wrong on a broker that delivers every message once, at QoS 0 and 1', async () => {
  const { runFanout } = await bench('workloads/fanout.mjs');
  const broker = await fakeBroker(() => 'once');
  try {
    for (const qos of [0, 1]) {
      const result = await runFanout(asSystem(broker), OPTIONS, { workload: 'mqtt-fanout', qos });
      assert.ok(result.eventsPerSecond > 0, `QoS ${qos}: events delivered`);
      assert.deepEqual([result.lost, result.duplicates, result.reordered, result.publishErrors], [0, 0, 0, 0], `QoS ${qos}`);
    }
  } finally {
    broker.server.close();
  }
});

test('the MQTT fan-out counts a message a broker sends twice as a duplicate', async () => {
  const { runFanout } = await bench('workloads/fanout.mjs');
  const { hasFault } = await bench('lib/report.mjs');
  const broker = await fakeBroker((n) => (n === 10 ? 'twice' : 'once'));
  try {
    const result = await runFanout(asSystem(broker), OPTIONS, { workload: 'mqtt-fanout-qos1', qos: 1 });
    assert.equal(result.duplicates, 1);
    assert.equal(result.lost, 0);
    assert.ok(hasFault(result), 'a duplicate fails the run');
  } finally {
    broker.server.close();
  }
});

test('many MQTT publishers to one subscriber: a dropped message is lost, a repeated one a duplicate', async () => {
  const { runMqttInbound } = await bench('workloads/mqtt.mjs');
  for (const [fate, field] of [['dropped', 'lost'], ['twice', 'duplicates']] as const) {
    const broker = await fakeBroker((n) => (n === 20 ? fate : 'once'));
    try {
      const result = await runMqttInbound(asSystem(broker), OPTIONS, { workload: 'mqtt-inbound', publishers: 4, qos: 1 });
      assert.ok(result.throughput > 0);
      assert.equal(result[field], 1, `${fate}: ${JSON.stringify(result)}`);
    } finally {
      broker.server.close();
    }
  }
});

test('retained messages: every joining subscriber gets them all, on junction-mqtt', async () => {
  const { startSystem } = await bench('systems.mjs');
  const { runMqttRetained } = await bench('workloads/mqtt.mjs');
  const server = await startSystem('junction-mqtt', { serializer: 'json' });
  try {
    const result = await runMqttRetained(server, OPTIONS, { workload: 'mqtt-retained', topics: 30, payloadBytes: 100, qos: 1 });
    assert.ok(result.joins > 0, 'subscribers joined in the window');
    assert.equal(result.throughput, (result.joins * 30) / OPTIONS.duration);
    assert.deepEqual([result.lost, result.duplicates], [0, 0]);
    // Junction's `#` is the WAMP prefix "": the realm's meta events (wamp/session/on_join...) come too, counted apart.
    assert.equal(typeof result.otherTopics, 'number');
    assert.ok(result.p50Ms > 0, 'the time to get them all is recorded');
  } finally {
    await server.stop();
  }
});

test('retained messages: one dropped or sent twice by the broker is lost or a duplicate', async () => {
  const { runMqttRetained } = await bench('workloads/mqtt.mjs');
  for (const [fate, field] of [['dropped', 'lost'], ['twice', 'duplicates']] as const) {
    // No subscriber while the 10 are published: the 5th forward is the first join's 5th retained message.
    const broker = await fakeBroker((n) => (n === 5 ? fate : 'once'));
    try {
      const result = await runMqttRetained(asSystem(broker), OPTIONS, { workload: 'mqtt-retained', topics: 10, payloadBytes: 10, qos: 1, joinTimeoutMs: 500 });
      assert.equal(result[field], 1, `${fate}: ${JSON.stringify(result)}`);
    } finally {
      broker.server.close();
    }
  }
});
