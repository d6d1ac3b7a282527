import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { generate, parser as createParser, type Packet } from 'mqtt-packet';
import { encode as encodeCbor } from 'cbor-x';
import { pack } from 'msgpackr';
import { WebSocket } from 'ws';
import type { MqttService } from '../../src/config/model.js';
import { CaptureLog } from '../auth/support/capture-log.js';
import { checkFuzz, CrashWatch, fuzzSeed, fuzzTimeout, gauges, gaugesBackTo, WampBystander } from '../support/fuzz.js';
import { connectMqtt, mqttTestConfig, testMqtt, type RecordingClient } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';
import { Arrivals, waitFor } from '../support/wait.js';

/**
 * Fuzzing the MQTT doors (TCP and WebSocket, MQTT 3.1.1 and 5): sequences of packets with fuzzed
 * fields (lengths, properties, topic filters, QoS bits, flags, packet ids, wills, AUTH), in any
 * order, some bytes mutated, the stream split at random offsets. Each connection must be answered
 * in MQTT (a PINGREQ behind a well-formed sequence is answered, or the connection is closed, an
 * MQTT 5 one with a failure reason code that is not the server's own failure), the node logs no
 * error, a well-behaved MQTT client and a WAMP client keep working, and the MQTT gauges return to
 * their baseline once the fuzzers have left.
 */

// ---- what a client might send ----

const text = (maxLength: number) => fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'binary', maxLength }));
const topicName = fc.oneof(
  fc.constantFrom('fuzz/a', 'fuzz/b/c', 'fuzz/m/x', 'fuzz/c/x', 'fuzz/j/x', 'bystander/events', '', '/', 'a//b', '#', '+', 'a/#', '$SYS/x', 'a\u0000b', 'ü/é', 'a.b', 'x'.repeat(300)),
  text(20),
);
const topicFilter = fc.oneof(fc.constantFrom('#', '+', 'fuzz/#', 'fuzz/+/c', '+/+', 'a/#/b', 'a+', '$share/g/fuzz', '$SYS/#', ''), topicName);
const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((array) => Buffer.from(array));
const payload = fc.oneof(bytes(24), fc.constantFrom(pack({ args: [1] }), pack({ args: 'x' }), encodeCbor({ args: [1], kwargs: { a: 1 } }), encodeCbor([1])), fc.constantFrom('{"args":[1]}', '{"args":[1],"kwargs":{"a":2}}', '{"kwargs":[]}', '[1,2]', 'null', '{', '').map((value) => Buffer.from(value)));
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.oneof(fc.constantFrom(0, 1, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));
const messageId = fc.oneof(fc.constantFrom(0, 1, 2, 0xffff), u16);
const qos = fc.constantFrom(0, 1, 2);
const reasonCode = fc.oneof(fc.constantFrom(0, 4, 0x10, 0x80, 0x81, 0x92, 0x97, 0x18, 0x19), fc.integer({ min: 0, max: 255 }));
const userProperties = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 6 }), fc.array(fc.string({ maxLength: 6 }), { maxLength: 2 })), { maxKeys: 2 });

/** MQTT 5 properties, any of them on any packet (mqtt-packet writes the ones the packet type has). */
const properties = fc.record({
  sessionExpiryInterval: u32,
  receiveMaximum: u16,
  maximumPacketSize: u32,
  topicAliasMaximum: u16,
  topicAlias: fc.oneof(fc.constantFrom(0, 1, 2, 10, 11), u16),
  requestResponseInformation: fc.boolean(),
  requestProblemInformation: fc.boolean(),
  payloadFormatIndicator: fc.boolean(),
  messageExpiryInterval: u32,
  contentType: fc.string({ maxLength: 10 }),
  responseTopic: topicName,
  correlationData: bytes(8),
  subscriptionIdentifier: fc.oneof(fc.constantFrom(0, 1, 268435455), fc.nat()),
  userProperties,
  authenticationMethod: fc.string({ maxLength: 10 }),
  authenticationData: bytes(8),
  reasonString: fc.string({ maxLength: 10 }),
  willDelayInterval: fc.oneof(fc.constantFrom(0, 1, 0xffffffff), u32),
}, { requiredKeys: [] });
const maybeProperties = fc.option(properties, { nil: undefined });

const will = fc.record({ topic: topicName, payload, qos, retain: fc.boolean(), properties: maybeProperties }, { requiredKeys: ['topic', 'payload', 'qos', 'retain'] });

/** A CONNECT as a client would write it; `clientId` never reaches the bystanders' ids. */
const connectPacket = fc.record({
  cmd: fc.constant('connect'),
  protocolId: fc.constantFrom('MQTT', 'MQTT', 'MQTT', 'MQIsdp'),
  clientId: fc.oneof(fc.constantFrom('', 'fuzz-a', 'fuzz-b'), fc.string({ maxLength: 10 }).map((id) => `fuzz-${id}`)),
  clean: fc.boolean(),
  keepalive: fc.oneof(fc.constantFrom(0, 60), u16),
  // Now and then the one ticket principal's name and ticket (see the node's auth below), or one of them.
  username: fc.option(fc.oneof(fc.constant('device'), fc.string({ maxLength: 10 })), { nil: undefined }),
  password: fc.option(fc.oneof(fc.constant(Buffer.from('device-ticket')), bytes(10)), { nil: undefined }),
  will: fc.option(will, { nil: undefined }),
  properties: maybeProperties,
}, { requiredKeys: ['cmd', 'protocolId', 'clientId', 'clean', 'keepalive'] });

const subscription = fc.record({ topic: topicFilter, qos, nl: fc.boolean(), rap: fc.boolean(), rh: fc.constantFrom(0, 1, 2) }, { requiredKeys: ['topic', 'qos'] });

/** Any packet, a client's or (wrongly) a server's. */
const anyPacket: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  connectPacket,
  fc.record({ cmd: fc.constant('publish'), topic: topicName, payload, qos, retain: fc.boolean(), dup: fc.boolean(), messageId, properties: maybeProperties }, { requiredKeys: ['cmd', 'topic', 'payload', 'qos', 'retain', 'dup', 'messageId'] }),
  fc.record({ cmd: fc.constantFrom('puback', 'pubrec', 'pubrel', 'pubcomp'), messageId, reasonCode, properties: maybeProperties }, { requiredKeys: ['cmd', 'messageId'] }),
  fc.record({ cmd: fc.constant('subscribe'), messageId, subscriptions: fc.array(subscription, { maxLength: 3 }), properties: maybeProperties }, { requiredKeys: ['cmd', 'messageId', 'subscriptions'] }),
  fc.record({ cmd: fc.constant('unsubscribe'), messageId, unsubscriptions: fc.array(topicFilter, { maxLength: 3 }), properties: maybeProperties }, { requiredKeys: ['cmd', 'messageId', 'unsubscriptions'] }),
  fc.record({ cmd: fc.constantFrom('pingreq', 'pingresp') }),
  fc.record({ cmd: fc.constantFrom('disconnect', 'auth'), reasonCode, properties: maybeProperties }, { requiredKeys: ['cmd'] }),
  fc.record({ cmd: fc.constant('connack'), sessionPresent: fc.boolean(), returnCode: fc.nat(5), reasonCode }),
  fc.record({ cmd: fc.constant('suback'), messageId, granted: fc.array(fc.constantFrom(0, 1, 2, 128), { maxLength: 2 }) }),
);

/** One piece of the stream: a packet written by mqtt-packet, possibly with bytes flipped or cut, or raw bytes. */
interface Piece {
  bytes: Buffer;
  /** Whether these are a packet's bytes as written (the stream is still in step after them). */
  whole: boolean;
  cmd: string;
}

function encoded(packet: Record<string, unknown>, version: 4 | 5): Piece | undefined {
  // A CONNECT says its version itself (mqtt-packet writes 3.1.1 without one); the other packets are written in it.
  const written = packet.cmd === 'connect' ? { ...packet, protocolVersion: version } : packet;
  try {
    return { bytes: generate(written as unknown as Packet, { protocolVersion: version }), whole: true, cmd: packet.cmd as string };
  } catch {
    return undefined; // a field mqtt-packet will not write: the byte mutations reach such packets
  }
}

const mutation = fc.tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), fc.option(fc.nat(), { nil: undefined }));

/** MQTT's variable byte integer (remaining lengths, property lengths). */
function varint(value: number): Buffer {
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
}

const mqttString = (text: string) => Buffer.concat([Buffer.from([text.length >> 8, text.length & 0xff]), Buffer.from(text)]);

/**
 * MQTT 5 PUBLISH and SUBSCRIBE packets framed right around a property block of fuzzed bytes: property
 * ids (known, unknown, repeated), their lengths and values, as mqtt-packet would never write them.
 */
const fuzzedProperties: fc.Arbitrary<Piece> = fc.tuple(
  fc.constantFrom('publish', 'subscribe'),
  fc.array(fc.oneof(
    fc.tuple(fc.constantFrom(0x01, 0x02, 0x03, 0x08, 0x09, 0x0b, 0x23, 0x26, 0x11, 0x21, 0x24), fc.uint8Array({ maxLength: 6 })),
    fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 6 })),
  ), { maxLength: 4 }).map((entries) => Buffer.concat(entries.flatMap(([id, value]) => [Buffer.from([id]), Buffer.from(value)]))),
).map(([cmd, properties]) => {
  const block = Buffer.concat([varint(properties.length), properties]);
  const body = cmd === 'publish'
    ? Buffer.concat([mqttString('fuzz/a'), Buffer.from([0x00, 0x07]), block, Buffer.from('{"args":[1]}')])
    : Buffer.concat([Buffer.from([0x00, 0x08]), block, mqttString('fuzz/#'), Buffer.from([0x01])]);
  return { bytes: Buffer.concat([Buffer.from([cmd === 'publish' ? 0x32 : 0x82]), varint(body.length), body]), whole: true, cmd };
});

function piece(version: 4 | 5): fc.Arbitrary<Piece> {
  const packet = anyPacket.map((value) => encoded(value, version)).filter((value): value is Piece => value !== undefined);
  return fc.oneof(
    { weight: 6, arbitrary: packet },
    { weight: version === 5 ? 1 : 0, arbitrary: fuzzedProperties },
    { weight: 2, arbitrary: fc.tuple(packet, mutation).map(([written, [flips, cut]]) => {
      const copy = Buffer.from(written.bytes);
      for (const [at, byte] of flips) copy[at % copy.length] = byte;
      return { bytes: cut === undefined ? copy : copy.subarray(0, cut % (copy.length + 1)), whole: false, cmd: written.cmd };
    }) },
    { weight: 1, arbitrary: bytes(16).map((raw) => ({ bytes: raw, whole: false, cmd: 'bytes' })) },
  );
}

/** A session's worth of input: usually a plain CONNECT first, then packets, the bytes cut into chunks at random offsets. */
const session = fc.constantFrom<4 | 5>(4, 5).chain((version) => fc.record({
  version: fc.constant(version),
  opening: fc.option(connectPacket.map((packet) => ({ ...packet, protocolId: 'MQTT', will: undefined, properties: { sessionExpiryInterval: 0 }, keepalive: 0 }))
    .filter((packet) => encoded(packet, version) !== undefined), { freq: 4, nil: undefined }),
  pieces: fc.array(piece(version), { maxLength: 6 }),
  cuts: fc.array(fc.nat(), { maxLength: 4 }),
}));

type Session = typeof session extends fc.Arbitrary<infer T> ? T : never;

// ---- a fuzzing client on a door ----

/** The bytes of a session, in chunks; whether they are all whole packets; how many PINGREQs they hold. */
function plan(input: Session): { chunks: Buffer[]; whole: boolean; pings: number } {
  const pieces = input.opening === undefined ? input.pieces : [encoded(input.opening, input.version)!, ...input.pieces];
  const all = Buffer.concat(pieces.map((part) => part.bytes));
  const offsets = [...new Set(input.cuts.map((cut) => cut % (all.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const offset of [...offsets, all.length]) {
    if (offset > from) chunks.push(all.subarray(from, offset));
    from = offset;
  }
  return { chunks, whole: pieces.every((part) => part.whole), pings: pieces.filter((part) => part.cmd === 'pingreq').length };
}

/** The fuzzer's end of one connection: what it writes, and every packet (or unparsable byte) it gets back. */
class FuzzClient {
  readonly packets: Packet[] = [];
  readonly unparsable: string[] = [];
  closed = false;
  readonly arrivals = new Arrivals({ stopped: () => (this.closed ? 'the connection closed' : undefined), received: () => `received ${this.packets.map((p) => p.cmd).join(', ')}` });
  private readonly parser;

  constructor(version: 4 | 5, readonly write: (chunk: Buffer) => void, readonly destroy: () => void) {
    this.parser = createParser({ protocolVersion: version });
    this.parser.on('packet', (packet: Packet) => {
      this.packets.push(packet);
      this.arrivals.wake();
    });
    this.parser.on('error', (error: Error) => this.unparsable.push(error.message));
  }

  received(chunk: Buffer): void {
    this.parser.parse(chunk);
  }

  ended(): void {
    this.closed = true;
    this.arrivals.wake();
  }
}

async function overTcp(port: number, version: 4 | 5): Promise<FuzzClient> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise((resolve) => socket.once('connect', resolve));
  const client = new FuzzClient(version, (chunk) => socket.write(chunk), () => socket.destroy());
  socket.on('data', (chunk) => client.received(chunk));
  socket.on('close', () => client.ended());
  socket.on('error', () => undefined);
  return client;
}

async function overWebSocket(url: string, version: 4 | 5): Promise<FuzzClient> {
  const ws = new WebSocket(url, 'mqtt');
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const client = new FuzzClient(version, (chunk) => ws.send(chunk, { binary: true }), () => ws.terminate());
  ws.on('message', (data: Buffer) => client.received(data));
  ws.on('close', () => client.ended());
  ws.on('error', () => undefined);
  return client;
}

/** MQTT 5 reason codes that would say the server itself failed: a fuzzer must never cause one. */
const serverFailures = new Set([0x80, 0x83, 0x88]);

/** Plays one session against a door and checks how it was answered. */
async function play(open: (version: 4 | 5) => Promise<FuzzClient>, input: Session): Promise<void> {
  const { chunks, whole, pings } = plan(input);
  const client = await open(input.version);
  try {
    for (const chunk of chunks) {
      client.write(chunk);
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (whole) {
      // In step with the node: a PINGREQ behind the sequence is answered, or the node has closed the connection.
      client.write(generate({ cmd: 'pingreq' }));
      await client.arrivals.until(() => client.packets.filter((packet) => packet.cmd === 'pingresp').length > pings, 'PINGRESP', 5_000)
        .catch((error: Error) => assert.ok(client.closed, error.message));
      assert.deepEqual(client.unparsable, [], 'the node wrote bytes that are not MQTT');
      if (input.version === 5) {
        for (const packet of client.packets) {
          if (packet.cmd !== 'disconnect' && packet.cmd !== 'connack') continue;
          const code = packet.reasonCode ?? 0;
          assert.ok(!serverFailures.has(code), `${packet.cmd.toUpperCase()} with reason 0x${code.toString(16)}: ${JSON.stringify(packet)}`);
          if (packet.cmd === 'disconnect') assert.ok(code >= 0x80, `a DISCONNECT from the node must give a failure reason: ${JSON.stringify(packet)}`);
        }
      }
    } else {
      await client.arrivals.until(() => false, 'a close', 100).catch(() => undefined);
    }
  } finally {
    client.destroy();
  }
}

// ---- the node and its well-behaved clients ----

const heldGauges = ['junction_mqtt_connections', 'junction_mqtt_sessions', 'junction_mqtt_held_bytes', 'junction_mqtt_will_bytes', 'junction_sessions'] as const;

describe(`MQTT doors under fuzzed packet sequences (seed ${fuzzSeed})`, () => {
  const log = new CaptureLog();
  let node: Awaited<ReturnType<typeof startTestNode>>;
  let watch: CrashWatch;
  let wamp: WampBystander;
  let device: RecordingClient;
  let round = 0;

  before(async () => {
    // Persistent sessions expire after a second, and connections are not rate-limited: the fuzzer opens many.
    const limits: Partial<MqttService> = {
      connectionRate: 100_000, maxSessionExpiry: 1,
      auth: { anonymous: { type: 'static', role: 'anonymous' }, ticket: { type: 'static', principals: { device: { ticket: 'device-ticket', role: 'anonymous' } } } },
      // Every payload format, each under its own topics.
      payloadMapping: {
        '': { type: 'native', serializer: 'json' }, 'fuzz.b.': { type: 'passthrough' }, 'fuzz.j.': { type: 'json' },
        'fuzz.m.': { type: 'native', serializer: 'msgpack' }, 'fuzz.c.': { type: 'native', serializer: 'cbor' },
      },
    };
    const config = mqttTestConfig(limits);
    config.listeners[0]!.paths['/mqtt'] = { type: 'mqtt', ...testMqtt(limits) };
    // Failed ticket sign-ins would be slowed down (up to sign_in.max_wait) as a brute-force guard: the fuzzer fails many.
    config.signIn.failureBudget = 1_000_000;
    node = await startTestNode(config, { log });
    watch = new CrashWatch(log);
    wamp = await WampBystander.join(node.url);
    device = await connectMqtt(node.ports.get('mqtt')!, { clientId: `bystander-${process.pid}`, protocolVersion: 5 });
    await device.client.subscribeAsync('bystander/in', { qos: 1 });
  });
  after(async () => {
    watch.stop();
    await device.end();
    await wamp.close();
    await node.stop();
  });

  /** The MQTT bystander publishes to the WAMP one and hears it back; the WAMP one publishes and calls. */
  async function bystandersWork(what: string): Promise<void> {
    round += 1;
    const mark = `mqtt-${round}`;
    await device.client.publishAsync('bystander/events', JSON.stringify({ args: [mark] }), { qos: 1 });
    await waitFor(() => wamp.events.includes(mark), `the MQTT bystander's publication ${what}`);
    await wamp.open.session.publish('bystander.in', [mark], {}, { acknowledge: true });
    await device.until((messages) => messages.some((message) => message.payload.includes(mark)), `the WAMP bystander's publication ${what}`);
    await wamp.works(what);
  }

  for (const door of ['tcp', 'websocket'] as const) {
    it(`answers or closes every fuzzed ${door} connection and leaves the others working`, { timeout: fuzzTimeout(120_000) }, async () => {
      const open = door === 'tcp'
        ? (version: 4 | 5) => overTcp(node.ports.get('mqtt')!, version)
        : (version: 4 | 5) => overWebSocket(node.url.replace(/\/ws$/, '/mqtt'), version);
      const baseline = gauges(node.metrics.exposition(), heldGauges);
      let runs = 0;
      // Sometimes two connections at once: the same client ids meet (take-overs, resumed sessions) mid-sequence.
      await checkFuzz(`mqtt over ${door}`, fc.asyncProperty(fc.array(session, { minLength: 1, maxLength: 2 }), async (inputs) => {
        await Promise.all(inputs.map((input) => play(open, input)));
        watch.assertQuiet(`an MQTT session over ${door}`);
        runs += 1;
        if (runs % 25 === 0) await bystandersWork(`after ${runs} fuzzed connections`);
      }), door === 'tcp' ? 100 : 50);
      await bystandersWork(`after the ${door} fuzzing`);
      await gaugesBackTo(() => node.metrics.exposition(), baseline, heldGauges);
      watch.assertQuiet(`the ${door} fuzzing`);
    });
  }
});
