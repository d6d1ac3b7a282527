/**
 * One behavioural suite over every transport x codec pair (issue #7 item 4): pub/sub, RPC,
 * errors, messages close to max_message_size, and clean-up after a transport drops. Each pair
 * runs the same tests at the wire level through a small driver per transport (drivers/), so a
 * difference between transports shows up as a failing pair, not as a different test. MQTT (a
 * door with pub/sub and no RPC) runs the tests its semantics allow: see docs/mqtt.md.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { codecByName, type Codec } from '../../../src/codec/index.js';
import type { CodecName } from '../../../src/codec/index.js';
import type { JunctionConfig } from '../../../src/config/model.js';
import { testMqtt } from '../../support/mqtt.js';
import { startTestNode, testConfig, testLongPoll, webSocketPath } from '../../support/node.js';
import { drivers, type Endpoints, type TransportDriver } from './drivers/index.js';
import { WebSocketConnection } from './drivers/websocket.js';
import type { WireConnection } from './wire.js';

/** Every transport refuses a message over this many bytes (a power of two: RawSocket announces limits as 2^(9+n)). */
const MAX_MESSAGE_SIZE = 65_536;
const codecNames: readonly CodecName[] = ['json', 'msgpack', 'cbor'];

function config(): JunctionConfig {
  const base = testConfig({ maxMessageSize: MAX_MESSAGE_SIZE });
  const auth = webSocketPath(base).auth;
  base.listeners[0]!.paths['/lp'] = testLongPoll({ auth, queueLimitBytes: 1_048_576, queueLimitMessages: 1_000, maxMessageSize: MAX_MESSAGE_SIZE });
  base.listeners.push({
    id: 'raw', kind: 'rawsocket', endpoint: { port: 0, interface: '127.0.0.1' }, paths: {}, trustedProxies: [],
    rawsocket: {
      serializers: ['json', 'msgpack', 'cbor'], maxMessageSize: MAX_MESSAGE_SIZE, maxConnections: 1_000, maxPerAddress: 1_000,
      autoPingInterval: 0, autoPingTimeout: 10_000, openHandshakeTimeout: 10_000, maxBufferedBytes: 4_194_304, auth,
    },
  });
  for (const serializer of codecNames) {
    base.listeners.push({
      id: `mqtt_${serializer}`, kind: 'mqtt', endpoint: { port: 0, interface: '127.0.0.1' }, paths: {}, trustedProxies: [],
      mqtt: testMqtt({ auth, payloadMapping: { '': { type: 'native', serializer } }, maxPacketSize: MAX_MESSAGE_SIZE }),
    });
  }
  return base;
}

const node = await startTestNode(config());
const endpoints: Endpoints = {
  websocket: node.url,
  longpoll: `http://127.0.0.1:${node.ports.get('test')}/lp`,
  rawsocketPort: node.ports.get('raw')!,
  mqttPorts: Object.fromEntries(codecNames.map((name) => [name, node.ports.get(`mqtt_${name}`)!])) as Record<CodecName, number>,
};
after(() => node.stop());

/** A JSON WebSocket session that hears every session leave. */
let watcher: WireConnection;
before(async () => {
  watcher = await WebSocketConnection.open(endpoints.websocket, codecByName('json'));
  await watcher.hello();
  watcher.send([32, 1, {}, 'wamp.session.on_leave']);
  await watcher.next((m) => m[0] === 33);
});
after(() => watcher.drop());

let requests = 1_000;
const nextRequest = (): number => ++requests;

/** Runs `body` with a `join` that opens established sessions, all dropped at the end. */
async function withSessions(driver: TransportDriver, codec: Codec, body: (join: () => Promise<{ wire: WireConnection; id: number }>) => Promise<void>): Promise<void> {
  const opened: WireConnection[] = [];
  const join = async (): Promise<{ wire: WireConnection; id: number }> => {
    const wire = await driver.connect(endpoints, codec);
    opened.push(wire);
    const welcome = await wire.hello();
    assert.equal(welcome[0], 2, `expected WELCOME, got ${JSON.stringify(welcome)}`);
    return { wire, id: Number(welcome[1]) };
  };
  try {
    await body(join);
  } finally {
    await Promise.all(opened.filter((wire) => wire.closedBecause === undefined).map((wire) => wire.drop()));
  }
}

async function subscribe(wire: WireConnection, topic: string): Promise<number> {
  const request = nextRequest();
  wire.send([32, request, {}, topic]);
  const answer = await wire.next((m) => m[1] === request || (m[0] === 8 && m[2] === request));
  assert.equal(answer[0], 33, `SUBSCRIBE ${topic}: ${JSON.stringify(answer)}`);
  return Number(answer[2]);
}

async function register(wire: WireConnection, procedure: string): Promise<number> {
  const request = nextRequest();
  wire.send([64, request, {}, procedure]);
  const answer = await wire.next((m) => m[1] === request || (m[0] === 8 && m[2] === request));
  assert.equal(answer[0], 65, `REGISTER ${procedure}: ${JSON.stringify(answer)}`);
  return Number(answer[2]);
}

async function publish(wire: WireConnection, topic: string, args: unknown[], kwargs: Record<string, unknown> = {}): Promise<void> {
  const request = nextRequest();
  wire.send([16, request, { acknowledge: true }, topic, args, kwargs]);
  const answer = await wire.next((m) => (m[0] === 17 && m[1] === request) || (m[0] === 8 && m[2] === request));
  assert.equal(answer[0], 17, `PUBLISH ${topic}: ${JSON.stringify(answer)}`);
}

/** Sends CALL; resolves with the RESULT or ERROR that answers it. */
async function call(wire: WireConnection, procedure: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}): Promise<unknown[]> {
  const request = nextRequest();
  wire.send([48, request, {}, procedure, args, kwargs]);
  return wire.next((m) => (m[0] === 50 && m[1] === request) || (m[0] === 8 && m[1] === 48 && m[2] === request));
}

/** A string that makes PUBLISH [16, 1, {}, topic, [string]] encode to exactly `target` bytes in `codec`. */
function payloadFor(codec: Codec, topic: string, target: number): string {
  const size = (length: number): number => {
    const encoded = codec.encode([16, 1, {}, topic, ['x'.repeat(length)]]);
    return typeof encoded === 'string' ? Buffer.byteLength(encoded) : encoded.byteLength;
  };
  let length = target - size(0);
  // String headers grow with the length (msgpack, cbor): converge in a few steps.
  for (let step = 0; step < 4 && size(length) !== target; step++) length += target - size(length);
  assert.equal(size(length), target, `could not size a ${codec.name} message to ${target} bytes`);
  return 'x'.repeat(length);
}

function bytesOf(value: unknown): Buffer {
  assert.ok(value instanceof Uint8Array, `expected bytes, got ${typeof value}`);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

for (const driver of drivers) {
  for (const codecName of driver.codecs) {
    const codec = codecByName(codecName);
    describe(`behaviour over ${driver.name} x ${codecName}`, () => {
      it('pub/sub: events arrive in order with args, kwargs and bytes intact, and are not echoed to the publisher', () =>
        withSessions(driver, codec, async (join) => {
          const subscriber = await join();
          const publisher = await join();
          const subscription = await subscribe(subscriber.wire, 'bhv.news');
          for (const n of [1, 2, 3]) {
            await publish(publisher.wire, 'bhv.news', [n, 'é ✓', { nested: [true, null, 2.5] }], { n, big: 2 ** 53 - 1, bytes: Uint8Array.of(0, 1, 255) });
          }
          const events = [];
          for (let i = 0; i < 3; i++) events.push(await subscriber.wire.next((m) => m[0] === 36));
          assert.deepEqual(events.map((e) => [Number(e[1]), e[4]]), [1, 2, 3].map((n) => [subscription, [n, 'é ✓', { nested: [true, null, 2.5] }]]));
          for (const [index, event] of events.entries()) {
            const kwargs = event[5] as { n: number; big: number; bytes: unknown };
            assert.deepEqual([kwargs.n, Number(kwargs.big)], [index + 1, 2 ** 53 - 1]);
            assert.deepEqual([...bytesOf(kwargs.bytes)], [0, 1, 255]);
          }
          assert.equal(publisher.wire.messages.filter((m) => m[0] === 36).length, 0);
        }));

      // A door without RPC (MQTT) runs the pub/sub tests only: its RPC tests are not defined, not skipped.
      const rpcTest: (name: string, body: () => Promise<void>) => void = driver.rpc ? (name, body) => void it(name, body) : () => {};

      rpcTest('RPC: the callee gets the invocation and the caller its result', () =>
        withSessions(driver, codec, async (join) => {
          const callee = await join();
          const caller = await join();
          const registration = await register(callee.wire, 'bhv.add');
          const answer = call(caller.wire, 'bhv.add', [2, 3], { scale: 10 });
          const invocation = await callee.wire.next((m) => m[0] === 68);
          assert.deepEqual([Number(invocation[2]), invocation[4], invocation[5]], [registration, [2, 3], { scale: 10 }]);
          callee.wire.send([70, invocation[1], {}, [50], { unit: 'tens' }]);
          const result = await answer;
          assert.deepEqual([result[0], result[3], result[4]], [50, [50], { unit: 'tens' }]);
        }));

      rpcTest("errors: no such procedure, a callee's error with its URI and payload, an invalid URI", () =>
        withSessions(driver, codec, async (join) => {
          const callee = await join();
          const caller = await join();
          const missing = await call(caller.wire, 'bhv.nothing');
          assert.deepEqual([missing[0], missing[4]], [8, 'wamp.error.no_such_procedure']);

          await register(callee.wire, 'bhv.fail');
          const answer = call(caller.wire, 'bhv.fail', [1]);
          const invocation = await callee.wire.next((m) => m[0] === 68);
          callee.wire.send([8, 68, invocation[1], {}, 'app.error.bad_input', ['why'], { field: 'x' }]);
          const failed = await answer;
          assert.deepEqual([failed[0], failed[4], failed[5], failed[6]], [8, 'app.error.bad_input', ['why'], { field: 'x' }]);

          const request = nextRequest();
          caller.wire.send([32, request, {}, 'bhv.not a uri']);
          const refused = await caller.wire.next((m) => m[0] === 8 && m[2] === request);
          assert.deepEqual([refused[1], refused[4]], [32, 'wamp.error.invalid_uri']);
        }));

      it('large messages: one just under max_message_size goes through; one just over closes only the sender', () =>
        withSessions(driver, codec, async (join) => {
          const subscriber = await join();
          const publisher = await join();
          await subscribe(subscriber.wire, 'bhv.large');
          // Headroom for the transport's own framing of one message (a long-poll batch's separator or length).
          const fits = payloadFor(codec, 'bhv.large', MAX_MESSAGE_SIZE - 8);
          publisher.wire.send([16, nextRequest(), {}, 'bhv.large', [fits]]);
          const event = await subscriber.wire.next((m) => m[0] === 36);
          assert.equal((event[4] as string[])[0], fits);

          const tooLarge = payloadFor(codec, 'bhv.large', MAX_MESSAGE_SIZE + 64);
          publisher.wire.send([16, nextRequest(), {}, 'bhv.large', [tooLarge]]);
          await publisher.wire.closed;

          const other = await join();
          await publish(other.wire, 'bhv.large', ['small']);
          assert.deepEqual((await subscriber.wire.next((m) => m[0] === 36))[4], ['small']);
          assert.equal(subscriber.wire.closedBecause, undefined);
        }));

      rpcTest("disconnect clean-up: a dropped peer's subscriptions and registrations are removed and its pending call fails", () =>
        withSessions(driver, codec, async (join) => {
          const leaving = await join();
          const caller = await join();
          await subscribe(leaving.wire, 'bhv.gone.topic');
          await register(leaving.wire, 'bhv.gone.proc');
          const pending = call(caller.wire, 'bhv.gone.proc');
          await leaving.wire.next((m) => m[0] === 68);
          const left = watcher.next((m) => m[0] === 36 && Number((m[4] as unknown[])[0]) === leaving.id, 10_000);
          await leaving.wire.drop();
          await left;

          const failed = await pending;
          assert.equal(failed[0], 8, `the pending call fails: ${JSON.stringify(failed)}`);
          assert.deepEqual((await call(caller.wire, 'wamp.subscription.lookup', ['bhv.gone.topic']))[3], [null]);
          assert.deepEqual((await call(caller.wire, 'wamp.registration.lookup', ['bhv.gone.proc']))[3], [null]);
          assert.equal((await call(caller.wire, 'bhv.gone.proc'))[4], 'wamp.error.no_such_procedure');
        }));

      it("disconnect clean-up: a dropped peer's subscriptions are removed", () =>
        withSessions(driver, codec, async (join) => {
          const leaving = await join();
          const topic = `bhv.dropped.${driver.name.replace(/\W/g, '_')}.${codecName}`;
          await subscribe(leaving.wire, topic);
          const lookup = async (): Promise<unknown> => (await call(watcher, 'wamp.subscription.lookup', [topic]))[3];
          assert.notDeepEqual(await lookup(), [null]);
          await leaving.wire.drop();
          // The router hears of the drop when the socket closes: its lookup answers null soon after (bounded: 100 x 50 ms).
          let answer: unknown = await lookup();
          for (let attempt = 0; attempt < 100 && JSON.stringify(answer) !== '[null]'; attempt++) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            answer = await lookup();
          }
          assert.deepEqual(answer, [null], 'the subscription went with its session');
        }));
    });
  }
}
