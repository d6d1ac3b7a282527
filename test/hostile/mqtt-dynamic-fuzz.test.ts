import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { CaptureLog } from '../auth/support/capture-log.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { checkFuzz, CrashWatch, fuzzSeed, fuzzTimeout, gauges, gaugesBackTo, WampBystander } from '../support/fuzz.js';
import { mqttTestConfig, RawMqtt } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';

/**
 * Hostile input against MQTT's `dynamic` payload mapping (transport/mqtt/dynamic-codec.ts,
 * in-order.ts): an MQTT client publishes at QoS 0, 1 and 2 (packet ids reused, resends, PUBREL
 * early or twice, the connection dropped while decodes are pending) payloads that make the decoder
 * answer, fail, hang past codec_timeout or answer garbage; WAMP events make the encoder do the
 * same. Every publication the decoder maps reaches WAMP once, in the connection's order (all of
 * them unless the client vanished), every QoS 1 publication is acknowledged, every event the
 * encoder maps reaches the MQTT subscriber in order, nothing else does; the node logs no error,
 * the bystanders keep working, and the codec calls, connections and sessions come back to none.
 */

/**
 * Far above what an answering codec takes, even on a loaded machine: an "ok" or "slow" call that
 * ran past it would be refused as a hang is (at 200 ms, answering calls took up to 450 ms under a
 * load of 12 to 19 on 2 cores, and some were refused so). A "hang" outlasts it whatever the load:
 * its sleep starts after the router's timer for the call, and is twice as long.
 */
const CODEC_TIMEOUT_MS = 3_000;
const heldGauges = ['junction_mqtt_codec_calls', 'junction_mqtt_connections', 'junction_mqtt_sessions', 'junction_mqtt_held_bytes', 'junction_sessions'] as const;

/** What a codec procedure does for a payload or event named so ("ok:<mark>" maps to <mark>). */
const behaviours = ['ok', 'ok', 'ok', 'throw', 'hang', 'slow', 'bad'] as const;
type Behaviour = (typeof behaviours)[number];
/** Answers that are not a publication's {"args", "kwargs"} (decoder), or not bytes or a string (encoder). */
const garbage = {
  decode: [42, null, 'text', [1, 2], { args: 'x' }, { args: [1], kwargs: 3 }, { kwargs: [1] }, true, new Uint8Array([1])],
  encode: [42, null, [1, 2], { args: [1] }, true],
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Plays a behaviour; undefined: map as the procedure should. */
async function behave(name: string, direction: keyof typeof garbage): Promise<unknown> {
  const [behaviour, detail] = name.split(':') as [Behaviour, string | undefined];
  if (behaviour === 'throw') throw new Error('cannot map this');
  if (behaviour === 'hang') await sleep(CODEC_TIMEOUT_MS * 2);
  if (behaviour === 'slow') await sleep(Number(detail ?? 0) % 60);
  if (behaviour === 'bad') return garbage[direction][Number(detail ?? 0) % garbage[direction].length];
  return undefined;
}

type Action =
  | { kind: 'publish'; qos: 0 | 1 | 2; id: number; behaviour: Behaviour; dup: boolean }
  | { kind: 'pubrel'; id: number }
  | { kind: 'event'; behaviour: Behaviour }
  | { kind: 'vanish' }
  | { kind: 'pause' };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('publish' as const), qos: fc.constantFrom<0 | 1 | 2>(0, 1, 2), id: fc.integer({ min: 1, max: 4 }), behaviour: fc.constantFrom(...behaviours), dup: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pubrel' as const), id: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('event' as const), behaviour: fc.constantFrom(...behaviours) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'pause' as const }) },
);
const run = fc.record({
  version: fc.constantFrom<4 | 5>(4, 5),
  subscribed: fc.boolean(),
  actions: fc.array(action, { minLength: 1, maxLength: 10 }),
  vanishAt: fc.option(fc.nat(10), { freq: 4, nil: undefined }),
});

describe(`MQTT dynamic payload mapping under hostile clients and codecs (seed ${fuzzSeed})`, () => {
  const log = new CaptureLog();
  let node: Awaited<ReturnType<typeof startTestNode>>;
  let watch: CrashWatch;
  let bystander: WampBystander;
  let codec: OpenSession;
  let port: number;
  /** What WAMP heard below dyn.in, by topic (each run publishes to a topic of its own: a straggler of another run is not its). */
  const heardBy = new Map<string, string[]>();

  before(async () => {
    const config = mqttTestConfig({
      payloadMapping: {
        '': { type: 'native', serializer: 'json' },
        'dyn.': { type: 'dynamic', encoder: 'fuzz.codec.encode', decoder: 'fuzz.codec.decode', realm: 'realm1' },
      },
      codecTimeout: CODEC_TIMEOUT_MS,
      // Above what one run sends: the limits' own refusals are test/interop/mqtt-dynamic.test.ts's; here every refusal is the codec's.
      maxCodecCallsPerConnection: 16,
      maxCodecCalls: 32,
    });
    config.signIn.failureBudget = 1_000_000;
    node = await startTestNode(config, { log });
    watch = new CrashWatch(log);
    port = node.ports.get('mqtt')!;
    bystander = await WampBystander.join(node.url);
    await bystander.open.session.subscribe('dyn.in', (args: unknown[], _kwargs: unknown, details: { topic: string }) => {
      let heard = heardBy.get(details.topic);
      if (heard === undefined) heardBy.set(details.topic, (heard = []));
      heard.push(String(args[0]));
    }, { match: 'prefix' });
    // CBOR: payloads arrive as bytes, and the encoder's bytes go back as bytes.
    codec = await openAutobahn(node.url, 'cbor');
    await codec.session.register('fuzz.codec.decode', async ([, , payload]: [string, string, Uint8Array]) => {
      const name = new TextDecoder().decode(payload);
      const odd = await behave(name, 'decode');
      return odd === undefined ? { args: [name], kwargs: null } : odd;
    });
    await codec.session.register('fuzz.codec.encode', async ([, , args]: [string, string, unknown[] | null]) => {
      const name = String(args?.[0]);
      const odd = await behave(name, 'encode');
      return odd === undefined ? new TextEncoder().encode(name) : odd;
    });
  });
  after(async () => {
    watch.stop();
    await codec.close();
    await bystander.close();
    await node.stop();
  });

  let counter = 0;
  const mark = (behaviour: Behaviour): string => `${behaviour}:${++counter}`;

  it('every mapped publication and event arrives once, in order; the rest are refused or dropped; nothing is held afterwards', { timeout: fuzzTimeout(150_000) }, async () => {
    // A first decode joins the router's own session that calls the codecs (one per realm, kept): it belongs to the baseline.
    const warm = await RawMqtt.open(port, 5);
    await warm.connect();
    warm.send({ cmd: 'publish', topic: 'dyn/in', payload: Buffer.from('ok:warm'), qos: 1, messageId: 1 });
    await warm.next('puback');
    warm.end();
    await waitFor(() => heardBy.get('dyn.in')?.includes('ok:warm') === true, 'the warm-up publication');
    await gaugesBackTo(() => node.metrics.exposition(), {}, ['junction_mqtt_connections', 'junction_mqtt_codec_calls']);
    const baseline = gauges(node.metrics.exposition(), heldGauges);
    await checkFuzz('mqtt dynamic', fc.asyncProperty(run, async ({ version, subscribed, actions, vanishAt }) => {
      const client = await RawMqtt.open(port, version);
      const topic = `dyn/in/r${++counter}`;
      const heard: string[] = [];
      heardBy.set(topic.replaceAll('/', '.'), heard);
      try {
        await client.connect();
        if (subscribed) {
          client.send({ cmd: 'subscribe', messageId: 9, subscriptions: [{ topic: 'dyn/out', qos: 0 }] });
          await client.next('suback');
        }
        /** Marks the decoder maps, by QoS (a QoS 2 one may be taken for a resend of a pending id and never published). */
        const decodable: { name: string; qos: number }[] = [];
        const encodable: string[] = [];
        let qos1 = 0;
        let vanished = false;
        /** A PINGREQ unanswered because the node closed the connection (checked below); any other failure stands. */
        const closedOnly = (error: unknown): void => {
          if (!client.closed) throw error;
        };
        for (const [index, step] of actions.entries()) {
          if (index === vanishAt) {
            client.end();
            vanished = true;
            break;
          }
          if (step.kind === 'publish') {
            const name = mark(step.behaviour);
            if (step.behaviour === 'ok' || step.behaviour === 'slow') decodable.push({ name, qos: step.qos });
            if (step.qos === 1) qos1 += 1;
            client.send({ cmd: 'publish', topic, payload: Buffer.from(name), qos: step.qos, dup: step.dup, retain: false, ...(step.qos > 0 ? { messageId: step.id } : {}) });
          } else if (step.kind === 'pubrel') {
            client.send({ cmd: 'pubrel', messageId: step.id });
          } else if (step.kind === 'event') {
            const name = mark(step.behaviour);
            if (step.behaviour === 'ok' || step.behaviour === 'slow') encodable.push(name);
            await bystander.open.session.publish('dyn.out', [name], {}, { acknowledge: true });
          } else {
            await sleep(20);
          }
        }
        const what = () => `${JSON.stringify({ version, subscribed, actions, vanishAt })}: WAMP heard ${JSON.stringify(heard)}; MQTT got ${JSON.stringify(client.packets.map((packet) => packet.cmd === 'publish' ? String(packet.payload) : packet.cmd))}`;
        // Every codec call has started (behind a PINGREQ; a vanished client's once the node has closed its connection, having
        // read all it ever will), then settled (codec_timeout cancels a hung one): what it mapped is on its way, behind the barriers below.
        if (vanished) await waitFor(() => Object.values(gauges(node.metrics.exposition(), ['junction_mqtt_connections'])).every((open) => open === 0), 'the vanished connection to close', 30_000);
        else await client.sync().catch(closedOnly);
        await waitFor(() => gauges(node.metrics.exposition(), ['junction_mqtt_codec_calls'])['junction_mqtt_codec_calls{transport="mqtt"}'] === 0, 'the codec calls to settle', CODEC_TIMEOUT_MS + 30_000);
        if (!vanished) await client.sync().catch(closedOnly);
        if (!vanished && client.closed) {
          // The node closes a connection only for a PUBREL sent before its PUBREC (its decode pending): a protocol error.
          assert.ok(actions.some((step) => step.kind === 'pubrel'), `the connection was closed: ${what()}`);
          if (version === 5) assert.equal((client.received('disconnect')[0] as { reasonCode?: number } | undefined)?.reasonCode, 0x82, what());
          vanished = true;
        }
        await bystander.works(`after an MQTT dynamic run`);
        // WAMP heard only mapped publications, each once, in the order sent.
        const sent = decodable.map((entry) => entry.name);
        assert.deepEqual(heard, sent.filter((name) => heard.includes(name)), `out of order, repeated or unknown: ${what()}`);
        if (!vanished) {
          const missing = decodable.filter((entry) => entry.qos < 2 && !heard.includes(entry.name));
          assert.deepEqual(missing, [], `mapped publications lost: ${what()}`);
          // Refused ones too (MQTT 5 with a reason code; 3.1.1 has no way to say no).
          assert.equal(client.received('puback').length, qos1, `PUBACKs: ${what()}`);
          if (subscribed) {
            const got = client.received('publish').map((packet) => String((packet as { payload: Buffer }).payload));
            assert.deepEqual(got, encodable, `the encoded events: ${what()}`);
          }
        }
      } finally {
        client.end();
      }
      watch.assertQuiet('an MQTT dynamic run');
    }), 20);
    await gaugesBackTo(() => node.metrics.exposition(), baseline, heldGauges);
    watch.assertQuiet('the MQTT dynamic fuzzing');
  });
});
