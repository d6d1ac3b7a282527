import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Push } from 'zeromq';
import type { ZeromqComponentConfig } from '../../src/config/model.js';
import { CaptureLog } from '../auth/support/capture-log.js';
import { freePort } from '../support/cli.js';
import { checkFuzz, CrashWatch, fuzzSeed, fuzzTimeout, startFuzzedNode, WampBystander } from '../support/fuzz.js';
import { testConfig } from '../support/node.js';
import { waitFor } from '../support/wait.js';

/**
 * Fuzzing the ZeroMQ door: PUSH messages with fuzzed publisher bodies (topic, args, kwargs,
 * options), fuzzed `topic_field` objects, non-JSON and multi-frame messages, to a component
 * with `topic_field` and one without. Every message is published or dropped and counted; after
 * each batch a well-formed message from the same socket still arrives (the component kept
 * going), the node logs no error and a WAMP bystander keeps working.
 */

const json = fc.jsonValue({ maxDepth: 2 });
const mostly = <T>(usual: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 5, arbitrary: usual }, { weight: 1, arbitrary: json });
const uri = mostly(fc.oneof(fc.constantFrom('bystander.events', 'fuzz.topic', 'wamp.session.x', '', 'a..b', 'x'.repeat(600)), fc.string({ maxLength: 10 })));
const body = fc.record({
  topic: uri,
  args: mostly(fc.array(json, { maxLength: 3 })),
  kwargs: mostly(fc.dictionary(fc.string({ maxLength: 5 }), json, { maxKeys: 2 })),
  options: mostly(fc.record({ exclude: fc.array(fc.nat()), eligible_authid: fc.array(fc.string({ maxLength: 4 })), retain: fc.boolean(), _mqtt: fc.record({ qos: fc.constantFrom(0, 1, 2, 3) }), acknowledge: json }, { requiredKeys: [] })),
  form: uri,
  extra: json,
}, { requiredKeys: [] });

/** One message: a JSON body, other JSON, text, bytes; sometimes with an envelope frame before it. */
const message: fc.Arbitrary<Buffer[]> = fc.tuple(
  fc.oneof(
    { weight: 6, arbitrary: body.map((value) => Buffer.from(JSON.stringify(value))) },
    { weight: 1, arbitrary: json.map((value) => Buffer.from(JSON.stringify(value))) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((text) => Buffer.from(text)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20 }).map((bytes) => Buffer.from(bytes)) },
  ),
  fc.option(fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes)), { freq: 6, nil: undefined }),
).map(([last, envelope]) => (envelope === undefined ? [last] : [envelope, last]));

describe(`ZeroMQ door under fuzzed messages (seed ${fuzzSeed})`, () => {
  const log = new CaptureLog();
  let watch: CrashWatch;
  let bystander: WampBystander;
  let stop: () => Promise<void>;
  const sockets: Record<'plain' | 'field', Push> = {} as Record<'plain' | 'field', Push>;

  before(async () => {
    const addresses = { plain: `tcp://127.0.0.1:${await freePort()}`, field: `tcp://127.0.0.1:${await freePort()}` };
    const component = (id: string, address: string, more: Partial<ZeromqComponentConfig> = {}): ZeromqComponentConfig =>
      ({ kind: 'zeromq', id, realm: 'realm1', role: 'anonymous', socket: 'pull', endpoint: { mode: 'bind', address }, subscribe: [], maxMessageBytes: 4096, ...more });
    const config = testConfig();
    config.components = [component('plain', addresses.plain), component('field', addresses.field, { topicField: 'form' })];
    ({ watch, bystander, stop } = await startFuzzedNode(config, log));
    for (const kind of ['plain', 'field'] as const) {
      sockets[kind] = new Push({ linger: 0 });
      sockets[kind].connect(addresses[kind]);
    }
  });
  after(async () => {
    for (const socket of Object.values(sockets)) socket.close();
    await stop();
  });

  it('publishes or drops every message and goes on with the next', { timeout: fuzzTimeout(120_000) }, async () => {
    let runs = 0;
    await checkFuzz('zeromq', fc.asyncProperty(fc.constantFrom('plain', 'field' as const), fc.array(message, { minLength: 1, maxLength: 4 }), async (kind, messages) => {
      const socket = sockets[kind as 'plain' | 'field'];
      for (const frames of messages) await socket.send(frames);
      // The same socket's messages arrive in order: once this one is published, the fuzzed ones were taken.
      const mark = `zmq-${runs}`;
      await socket.send(JSON.stringify(kind === 'plain' ? { topic: 'bystander.events', args: [mark] } : { form: 'bystander.events', mark }));
      await waitFor(() => bystander.events.some((event) => event === mark || (event as { mark?: unknown } | null)?.mark === mark), `the message after the fuzzed ones (${mark})`);
      watch.assertQuiet('ZeroMQ messages');
      runs += 1;
      if (runs % 50 === 0) await bystander.works(`after ${runs} fuzzed batches`);
    }), 100);
    await bystander.works('after the ZeroMQ fuzzing');
    assert.ok(runs > 0);
    watch.assertQuiet('the ZeroMQ fuzzing');
  });
});
