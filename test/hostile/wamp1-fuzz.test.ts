import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { CaptureLog } from '../auth/support/capture-log.js';
import { checkFuzz, CrashWatch, fuzzSeed, fuzzTimeout, gauges, gaugesBackTo, startFuzzedNode, WampBystander } from '../support/fuzz.js';
import { startTestNode, testConfig, webSocketPath } from '../support/node.js';
import { Wamp1Client } from '../support/wamp1-client.js';

/**
 * Fuzzing the WAMP v1 door: sequences of near-valid and arbitrary frames (JSON arrays of every
 * type with fields replaced, dropped or added, plain JSON, non-JSON text, binary frames). After
 * them a v1 CALL must be answered (the connection is alive and in step), or the connection is
 * closed with 1008 and a reason: never an internal error (1011), never a close the client did not
 * cause. The node logs no error, a WAMP v2 bystander keeps working, and the sessions gauge returns.
 */

const json: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });
const uri = fc.oneof(
  fc.constantFrom('bystander.echo', 'bystander.events', 'fuzz.topic', 'form:lock', 'http://example.com/form#lock', 'http://unmapped.example/x', 'a..b', '.', 'wamp.session.get', 'x'.repeat(600), ':', 'form:', ''),
  fc.string({ maxLength: 16 }),
);
const sessionIds = fc.array(fc.oneof(fc.constantFrom('0', '1', '-1', '1e3', '9007199254740993'), fc.string({ maxLength: 8 })), { maxLength: 3 });

/** One well-formed message per type a v1 client sends, the base for near-valid mutations. */
const wellFormed: fc.Arbitrary<unknown[]> = fc.oneof(
  fc.tuple(fc.constant(1), fc.constantFrom('form', 'x', ''), uri),
  fc.tuple(fc.constant(2), fc.string({ maxLength: 6 }), uri).chain((head) => fc.array(json, { maxLength: 3 }).map((args) => [...head, ...args])),
  fc.tuple(fc.constantFrom(5, 6), uri),
  fc.tuple(fc.constant(7), uri, json),
  fc.tuple(fc.constant(7), uri, json, fc.boolean()),
  fc.tuple(fc.constant(7), uri, json, sessionIds),
  fc.tuple(fc.constant(7), uri, json, sessionIds, sessionIds),
);

/** A well-formed message with one element replaced, dropped or appended. */
const nearValid = fc.tuple(wellFormed, fc.nat(), json, fc.constantFrom('replace', 'drop', 'append'))
  .map(([message, at, replacement, how]) => {
    const copy = message.slice();
    const index = at % copy.length;
    if (how === 'replace') copy[index] = replacement;
    else if (how === 'drop') copy.splice(index, 1);
    else copy.push(replacement);
    return copy;
  });

interface Frame {
  data: string | Buffer;
  binary: boolean;
}

const frame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 4, arbitrary: wellFormed.map((message) => ({ data: JSON.stringify(message), binary: false })) },
  { weight: 4, arbitrary: nearValid.map((message) => ({ data: JSON.stringify(message), binary: false })) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: -2, max: 12 }), fc.array(json, { maxLength: 4 })).map(([type, rest]) => ({ data: JSON.stringify([type, ...rest]), binary: false })) },
  { weight: 1, arbitrary: json.map((value) => ({ data: JSON.stringify(value), binary: false })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 24 }).map((text) => ({ data: text, binary: false })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }).map((bytes) => ({ data: Buffer.from(bytes), binary: true })) },
);

describe(`WAMP v1 door under fuzzed frames (seed ${fuzzSeed})`, () => {
  const log = new CaptureLog();
  let node: Awaited<ReturnType<typeof startTestNode>>;
  let watch: CrashWatch;
  let bystander: WampBystander;
  let stop: () => Promise<void>;
  const heldGauges = ['junction_sessions', 'junction_session_queued_bytes', 'junction_session_queued_messages'] as const;

  before(async () => {
    const config = testConfig();
    webSocketPath(config).options.wamp1 = { realm: 'realm1', role: 'anonymous', uris: [{ v1: 'http://example.com/form#', v2: 'com.example.form.' }], maxPrefixes: 4 };
    ({ node, watch, bystander, stop } = await startFuzzedNode(config, log));
  });
  after(() => stop());

  it('answers a CALL after any frames, or closes with 1008 and a reason; the others keep working', { timeout: fuzzTimeout(120_000) }, async () => {
    const baseline = gauges(node.metrics.exposition(), heldGauges);
    let runs = 0;
    await checkFuzz('wamp1', fc.asyncProperty(fc.array(frame, { maxLength: 2 }), fc.array(frame, { minLength: 1, maxLength: 5 }), async (early, frames) => {
      // A CALL among the early frames too: what a client sends before WELCOME is acted on, never dropped.
      const probes = [`early-${runs}`, `probe-${runs}`];
      const call = (probe: string): Frame => ({ data: JSON.stringify([2, probe, 'bystander.echo', probe]), binary: false });
      const client = await Wamp1Client.open(node.url, [...early, call(probes[0]!)]);
      try {
        for (const sent of [...frames, call(probes[1]!)]) if (!client.closed) client.ws.send(sent.data, { binary: sent.binary });
        const answered = (probe: string) => client.received.some((message) => message[0] === 3 && message[1] === probe);
        await client.until(() => probes.every(answered), 'the probes\' CALLRESULTs', 5_000)
          .catch((error: Error) => {
            assert.ok(client.closed, error.message);
            assert.equal(client.closed.code, 1008, `closed ${client.closed.code} ${client.closed.reason}`);
            assert.notEqual(client.closed.reason, '', 'a 1008 close names the problem');
          });
        for (const probe of client.closed ? [] : probes) {
          assert.deepEqual(client.received.find((message) => message[0] === 3 && message[1] === probe), [3, probe, probe]);
        }
        for (const message of client.received) {
          // A CALLERROR of the router's own making (runtime_error) would be an internal failure.
          if (message[0] === 4) assert.notEqual(message[2], 'wamp.error.runtime_error', JSON.stringify(message));
        }
      } finally {
        client.ws.terminate();
      }
      watch.assertQuiet('WAMP v1 frames');
      runs += 1;
      if (runs % 40 === 0) await bystander.works(`after ${runs} fuzzed v1 connections`);
    }), 120);
    await bystander.works('after the v1 fuzzing');
    await gaugesBackTo(() => node.metrics.exposition(), baseline, heldGauges);
    watch.assertQuiet('the v1 fuzzing');
  });
});
