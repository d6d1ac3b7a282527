import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { HttpBridgeOptions } from '../../src/config/model.js';
import { CaptureLog } from '../auth/support/capture-log.js';
import { bridgeConfig, bridgeDefaults } from '../bridge/http-support.js';
import {
  assertSpecificAnswer, checkFuzz, CrashWatch, exchange, fuzzedHeaderValue, fuzzedPathPart, fuzzSeed, fuzzTimeout, gauges, gaugesBackTo, startFuzzedNode, WampBystander,
  type FuzzRequest,
} from '../support/fuzz.js';
import { startTestNode } from '../support/node.js';

/**
 * Fuzzing the HTTP bridge: publisher, caller and webhook bodies with fuzzed fields, content types
 * and methods, and signed requests with fuzzed keys, timestamps, nonces and signatures (some
 * signed right and then altered, some GitHub webhooks signed right and some not). Every answer is
 * a success or a specific JSON 4xx, never a 5xx; a call's WAMP error comes back in Crossbar's
 * shape. The node logs no error and a WAMP bystander keeps working.
 */

const key = 'fuzzapp';
const secret = 'fuzz-secret';
const githubSecret = 'fuzz-github';
const signed: HttpBridgeOptions = { ...bridgeDefaults, signature: { key, secret, timestampDeltaLimitSeconds: 10 } };

const json = fc.jsonValue({ maxDepth: 2 });
/** Mostly `usual`, sometimes `unusual`: deep paths are reached only by inputs that pass the first checks. */
const mostly = <T, U>(usual: fc.Arbitrary<T>, unusual: fc.Arbitrary<U>, weight = 4): fc.Arbitrary<T | U> => fc.oneof({ weight, arbitrary: usual }, { weight: 1, arbitrary: unusual });
const uri = mostly(fc.constantFrom('bystander.events', 'bystander.echo', 'fuzz.topic', 'no.such.procedure', 'wamp.session.get'),
  fc.oneof(fc.constantFrom('wamp.x', '', 'a..b', 'A B', '.a', 'x'.repeat(5_000)), fc.string({ maxLength: 12 })));
const sessionIds = fc.array(fc.oneof(fc.nat(), fc.maxSafeInteger(), fc.string({ maxLength: 4 }), fc.double()), { maxLength: 3 });
const publishOptions = fc.record({
  exclude: sessionIds, eligible: sessionIds,
  exclude_authid: fc.array(fc.string({ maxLength: 6 }), { maxLength: 2 }), eligible_authrole: fc.oneof(json, fc.array(fc.string({ maxLength: 6 }))),
  retain: fc.oneof(fc.boolean(), json),
  _mqtt: fc.oneof(json, fc.record({ qos: fc.oneof(fc.constantFrom(0, 1, 2, 3, -1), json), message_expiry_interval: json }, { requiredKeys: [] })),
  acknowledge: json, unknown: json,
}, { requiredKeys: [] });
const callOptions = fc.record({ timeout: fc.oneof(fc.constantFrom(0, 1, 100, 1_999, 2_001, -1, 1e308, 0.5), json), receive_progress: json, unknown: json }, { requiredKeys: [] });

/** A body that is a JSON object with the bridge's keys, fuzzed; or any JSON; or not JSON at all. */
function bodyWith(name: 'topic' | 'procedure', options: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  const fields = fc.record({
    [name]: mostly(uri, json),
    args: mostly(fc.array(json, { maxLength: 3 }), json),
    kwargs: mostly(fc.dictionary(fc.string({ maxLength: 5 }), json, { maxKeys: 3 }), json),
    options: mostly(options, json),
  }, { requiredKeys: [] }).chain((value) => fc.oneof(
    { weight: 9, arbitrary: fc.constant(value) },
    { weight: 1, arbitrary: json.map((extra) => ({ ...value, extra })) },
  )).map((value) => JSON.stringify(value));
  return fc.oneof({ weight: 6, arbitrary: fields }, json.map((value) => JSON.stringify(value)), fc.string({ maxLength: 30 }), fc.constant(''));
}

const contentType = mostly(fc.constantFrom('application/json', 'application/json; charset=utf-8'),
  fc.oneof(fc.constantFrom(undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'APPLICATION/JSON'), fuzzedHeaderValue));
const method = mostly(fc.constant('POST'), fc.constantFrom('PUT', 'GET', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE'));

/** The signature query of a request: right, or with one field changed after signing, or made up. */
const signing = fc.record({
  key: mostly(fc.constant(key), fc.string({ maxLength: 8 }), 12),
  // Within the 10 s the paths allow, or not; in the ISO form, or not.
  timestamp: mostly(fc.integer({ min: -12, max: 12 }).map((seconds) => new Date(Date.now() + seconds * 1_000).toISOString()), fc.oneof(
    fc.constantFrom('2011-10-14T16:59:51.123Z', '2099-01-01T00:00:00Z', 'now', '', '2026-13-45T99:99:99Z', '1e9', new Date().toISOString().replace('Z', '+00:00'), new Date().toISOString().replace(/\.\d+/, '.1234567')),
    fc.string({ maxLength: 10 }),
  ), 12),
  seq: mostly(fc.constant('1'), fc.oneof(fc.constantFrom('0', '-1', '', '1.5', '99999999999999999999'), fc.string({ maxLength: 4 })), 12),
  nonce: mostly(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }).map(String), fc.oneof(fc.constantFrom('0', '-1', '9007199254740993', '', 'x', '1e3', '007'), fc.string({ maxLength: 6 })), 12),
  tamper: mostly(fc.constant('none'), fc.constantFrom('signature', 'body', 'drop', 'garbage')),
  dropped: fc.constantFrom('key', 'timestamp', 'seq', 'nonce', 'signature'),
  garbage: fc.oneof(fc.base64String({ maxLength: 44 }), fc.string({ maxLength: 20 })),
});

type Signing = typeof signing extends fc.Arbitrary<infer T> ? T : never;

function signedQuery(body: string, sign: Signing): string {
  const fields: Record<string, string> = { key: sign.key, timestamp: sign.timestamp, seq: sign.seq, nonce: sign.nonce };
  const signedBody = sign.tamper === 'body' ? `${body} ` : body;
  fields.signature = createHmac('sha256', secret).update(fields.key + fields.timestamp + fields.seq + fields.nonce + signedBody).digest('base64url');
  if (sign.tamper === 'signature') fields.signature = `${fields.signature.slice(1)}A`;
  if (sign.tamper === 'garbage') fields.signature = sign.garbage;
  if (sign.tamper === 'drop') delete fields[sign.dropped];
  return new URLSearchParams(fields).toString();
}

const request: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc.record({ path: fc.constantFrom('/publish', '/publish-signed'), body: bodyWith('topic', publishOptions), method, contentType, sign: signing, query: fc.option(fuzzedPathPart, { freq: 5, nil: undefined }) }),
  fc.record({ path: fc.constantFrom('/call', '/call-signed'), body: bodyWith('procedure', callOptions), method, contentType, sign: signing, query: fc.option(fuzzedPathPart, { freq: 5, nil: undefined }) }),
  fc.record({
    path: fc.constantFrom('/webhook', '/github'), body: fc.oneof(json.map((value) => JSON.stringify(value)), fc.string({ maxLength: 30 })), method, contentType,
    hub: mostly(fc.constant('right'), fc.oneof(fc.constant('none'), fuzzedHeaderValue, fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => `sha256=${Buffer.from(bytes).toString('hex')}`))),
  }),
).map((input): FuzzRequest => {
  const headers: Record<string, string> = {};
  if (input.contentType !== undefined) headers['content-type'] = input.contentType;
  if ('hub' in input && input.hub !== 'none') {
    headers['x-hub-signature-256'] = input.hub === 'right' ? `sha256=${createHmac('sha256', githubSecret).update(input.body).digest('hex')}` : input.hub;
  }
  let path = input.path;
  if ('sign' in input) {
    if (path.endsWith('-signed')) path += `?${signedQuery(input.body, input.sign)}`;
    if (input.query !== undefined) path += `${path.includes('?') ? '&' : '?'}${input.query}`;
  }
  const withBody = input.method !== 'GET' && input.method !== 'HEAD';
  return { method: input.method, path, headers, ...(withBody ? { body: input.body } : {}) };
});

describe(`HTTP bridge under fuzzed requests (seed ${fuzzSeed})`, () => {
  const log = new CaptureLog();
  let node: Awaited<ReturnType<typeof startTestNode>>;
  let port: number;
  let watch: CrashWatch;
  let bystander: WampBystander;
  let stop: () => Promise<void>;
  const heldGauges = ['junction_sessions', 'junction_session_queued_bytes'] as const;

  before(async () => {
    const webhook = { type: 'webhook', realm: 'realm1', role: 'anonymous', topic: 'fuzz.webhook', successResponse: 'OK', errorResponse: 'NOT OK', options: bridgeDefaults } as const;
    const config = bridgeConfig({
      '/publish': { type: 'publisher', realm: 'realm1', role: 'anonymous', options: bridgeDefaults },
      '/publish-signed': { type: 'publisher', realm: 'realm1', role: 'anonymous', options: signed },
      '/call': { type: 'caller', realm: 'realm1', role: 'anonymous', options: bridgeDefaults, maxTimeoutMs: 2_000 },
      '/call-signed': { type: 'caller', realm: 'realm1', role: 'anonymous', options: signed, maxTimeoutMs: 2_000 },
      '/webhook': webhook,
      '/github': { ...webhook, githubSecret },
    });
    ({ node, watch, bystander, stop } = await startFuzzedNode(config, log));
    port = node.ports.get('test')!;
  });
  after(() => stop());

  it('answers every request with a success or a specific 4xx, and keeps routing for the others', { timeout: fuzzTimeout(120_000) }, async () => {
    const baseline = gauges(node.metrics.exposition(), heldGauges);
    let runs = 0;
    await checkFuzz('http bridge', fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 3 }), async (requests) => {
      const answers = await Promise.all(requests.map((sent) => exchange(port, sent)));
      answers.forEach((answer, index) => {
        const sent = requests[index]!;
        assertSpecificAnswer(answer, sent);
        // A call that reached the router is answered in Crossbar's shape: a result, or the WAMP error it met.
        if (sent.path.startsWith('/call') && answer.status === 200 && sent.method !== 'HEAD') {
          const body = JSON.parse(answer.body.toString()) as { args?: unknown; error?: unknown };
          assert.ok(Array.isArray(body.args) || typeof body.error === 'string', answer.body.toString());
        }
      });
      watch.assertQuiet('HTTP bridge requests');
      runs += 1;
      if (runs % 50 === 0) await bystander.works(`after ${runs} fuzzed bridge runs`);
    }), 120);
    await bystander.works('after the bridge fuzzing');
    const published = await exchange(port, { method: 'POST', path: '/call', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ procedure: 'bystander.echo', args: ['bridge'] }) });
    assert.deepEqual(JSON.parse(published.body.toString()), { args: ['bridge'] });
    await gaugesBackTo(() => node.metrics.exposition(), baseline, heldGauges);
    watch.assertQuiet('the bridge fuzzing');
  });
});
