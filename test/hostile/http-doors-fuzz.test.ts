import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { SseService } from '../../src/config/model.js';
import { allCodecs, jsonCodec } from '../../src/codec/index.js';
import { CaptureLog } from '../auth/support/capture-log.js';
import {
  assertSpecificAnswer, checkFuzz, CrashWatch, exchange, fuzzedHeaderValue, fuzzedPathPart, fuzzSeed, fuzzTimeout, gauges, gaugesBackTo, startFuzzedNode, WampBystander,
  type FuzzRequest,
} from '../support/fuzz.js';
import { startTestNode, testConfig, testLongPoll } from '../support/node.js';
import { decodedMessage, framesFor, samples } from '../support/wamp-fuzz.js';
import { encodeBody, LongPollConnection } from '../transport/behaviour/drivers/longpoll.js';
import { openStream } from '../transport/sse-reader.js';

/**
 * Fuzzing the long-poll and SSE doors over HTTP: fuzzed methods, paths, query strings, headers and
 * bodies, and requests interleaved on one long-poll transport. Every answer is a success or a 4xx
 * with a specific JSON error (never a 5xx); the node logs no error; a well-behaved long-poll
 * client, an SSE stream and a WebSocket client keep working; the transports, streams and sessions
 * gauges come back once the fuzzer has gone.
 */

const methods = fc.oneof(fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH'), fc.constantFrom('FOO', 'CONNECT'));
const headerNames = ['content-type', 'origin', 'access-control-request-headers', 'last-event-id', 'authorization', 'cookie', 'accept', 'x-forwarded-for', 'transfer-encoding'];
const headers = fc.dictionary(fc.constantFrom(...headerNames), fc.oneof(fuzzedHeaderValue, fc.constantFrom('application/json', 'Bearer x', 'Bearer joe:secret', 'junction_ticket=abc', 'junction_ticket="joe:secret"', '4071539862112347:q3ZpL0xA.1k', 'chunked', 'https://a.example')), { maxKeys: 3 })
  .map((fields) => {
    // Node writes transfer-encoding itself; a fuzzed one would make a malformed request, which is Node's parser's to answer.
    delete fields['transfer-encoding'];
    return fields;
  });

// ---- long-poll ----

const protocols = allCodecs.flatMap((codec) => [{ codec, batched: false }, { codec, batched: true }]);
const protocolName = (protocol: { codec: { subprotocol: string }; batched: boolean }) => `${protocol.codec.subprotocol}${protocol.batched ? '.batched' : ''}`;

/** What one request on a long-poll transport does. `{id}` in a raw path stands for the transport's id. */
type Action =
  | { kind: 'send'; body: Uint8Array | 'hello' | 'messages'; messages?: unknown[][] }
  | { kind: 'receive' | 'close' }
  | { kind: 'raw'; method: string; path: string; headers: Record<string, string>; body: Buffer };

type Protocol = (typeof protocols)[number];

/** What a client might do on a transport of `protocol`. */
const action = (protocol: Protocol): fc.Arbitrary<Action> => fc.oneof(
  { weight: 2, arbitrary: fc.constant<Action>({ kind: 'send', body: 'hello' }) },
  { weight: 3, arbitrary: fc.array(fc.oneof(fc.constantFrom(...samples), decodedMessage.map((message) => (Array.isArray(message) ? message : [message]))), { minLength: 1, maxLength: 3 })
    .map((messages): Action => ({ kind: 'send', body: 'messages', messages })) },
  { weight: 2, arbitrary: framesFor(protocol.codec).map((body): Action => ({ kind: 'send', body })) },
  { weight: 2, arbitrary: fc.constantFrom<Action>({ kind: 'receive' }, { kind: 'close' }) },
  { weight: 3, arbitrary: fc.record({
    method: methods,
    path: fc.array(fc.oneof(fc.constantFrom('{id}', 'open', 'send', 'receive', 'close', ''), fuzzedPathPart), { maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
    query: fc.option(fuzzedPathPart, { nil: undefined }),
    headers,
    body: fc.oneof(fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
      fc.jsonValue({ maxDepth: 2 }).map((value) => Buffer.from(JSON.stringify(value))),
      fc.array(fc.oneof(fc.constantFrom(...protocols.map(protocolName)), fc.string({ maxLength: 12 })), { maxLength: 4 }).map((offers) => Buffer.from(JSON.stringify({ protocols: offers })))),
  }).map(({ method, path, query, headers: fields, body }): Action => ({ kind: 'raw', method, path: query === undefined ? path : `${path}?${query}`, headers: fields, body })) },
);

/** A run: a transport opened in some protocol, then groups of requests, each group sent at once (interleaved on the transport). */
const longPollRun = fc.constantFrom(...protocols).chain((protocol) => fc.record({
  protocol: fc.constant(protocol),
  groups: fc.array(fc.array(action(protocol), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
}));

// ---- SSE ----

const sseParameter = fc.tuple(
  fc.oneof(fc.constantFrom('topic', 'topic', 'prefix', 'wildcard', 'match', 'lastEventId', 'ticket', 'authid', '_', '_cache'), fuzzedPathPart),
  fc.oneof(fc.constantFrom('bystander.events', 'fuzz.a', 'fuzz..b', 'exact', 'prefix', 'wildcard', 'a.b:c', '1:2', '', 'joe', 'secret', 'joe%3Asecret',
    '4071539862112347%3Aq3ZpL0xA.1k', '4071539862112347', '1%3A', '%3A%3A'), fuzzedPathPart),
).map(([name, value]) => `${name}=${value}`);
const sseRequest = fc.record({
  method: fc.oneof(fc.constant('GET'), fc.constant('GET'), methods),
  query: fc.array(sseParameter, { maxLength: 5 }).map((parameters) => parameters.join('&')),
  path: fc.constantFrom('/sse', '/sse', '/sse-ticket', '/sse/', '/sse/x'),
  headers,
});

describe(`long-poll and SSE doors under fuzzed HTTP requests (seed ${fuzzSeed})`, () => {
  const log = new CaptureLog();
  let node: Awaited<ReturnType<typeof startTestNode>>;
  let port: number;
  let watch: CrashWatch;
  let bystander: WampBystander;
  let stop: () => Promise<void>;
  const heldGauges = ['junction_sessions', 'junction_longpoll_transports', 'junction_sse_streams_open', 'junction_session_queued_bytes'] as const;

  before(async () => {
    const config = testConfig();
    const sse: SseService = {
      type: 'sse', realm: 'realm1', auth: { anonymous: { type: 'static', role: 'anonymous' } },
      cookieName: 'junction_ticket', heartbeatMs: 15_000, maxTopics: 4, maxBufferedBytes: 65_536, maxStreams: 1_000, maxPerAddress: 1_000, resumeWaitMs: 100,
    };
    Object.assign(config.listeners[0]!.paths, {
      // A transport nobody polls goes after a second, so that the gauges can come back.
      '/lp': testLongPoll({ requestTimeoutMs: 200, sessionTimeoutMs: 1_000, maxMessageSize: 4_096, maxPerAddress: 0, maxTransports: 0 }),
      '/sse': sse,
      // Ticket sign-in only: fuzzed tickets, authids, cookies and Bearer headers meet a real check.
      '/sse-ticket': { ...sse, auth: { ticket: { type: 'static', principals: { joe: { ticket: 'secret', role: 'anonymous' } } } } },
    });
    ({ node, watch, bystander, stop } = await startFuzzedNode(config, log));
    port = node.ports.get('test')!;
  });
  after(() => stop());

  /** A well-behaved long-poll client signs in and calls; an SSE stream hears the bystander's event. */
  async function othersWork(what: string): Promise<void> {
    const client = await LongPollConnection.open(`http://127.0.0.1:${port}/lp`, jsonCodec);
    try {
      assert.equal((await client.hello())[0], 2, `a long-poll WELCOME ${what}`);
      client.send([48, 1, {}, 'bystander.echo', ['lp']]);
      assert.deepEqual(await client.next((message) => message[0] === 50), [50, 1, {}, ['lp']], `a long-poll call ${what}`);
    } finally {
      await client.drop();
    }
    const stream = await openStream(`http://127.0.0.1:${port}/sse?topic=bystander.events`);
    try {
      await bystander.works(what);
      await stream.waitForMessages(1);
    } finally {
      stream.response.destroy();
    }
  }

  it('long-poll: every request is served or refused with a specific 4xx, interleaved on one transport', { timeout: fuzzTimeout(120_000) }, async () => {
    const baseline = gauges(node.metrics.exposition(), heldGauges);
    let runs = 0;
    await checkFuzz('long-poll', fc.asyncProperty(longPollRun, async ({ protocol, groups }) => {
      const base = `/lp`;
      const opening: FuzzRequest = { method: 'POST', path: `${base}/open`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ protocols: [protocolName(protocol)] }) };
      const opened = await exchange(port, opening);
      assert.equal(opened.status, 200, opened.body.toString());
      const id = (JSON.parse(opened.body.toString()) as { transport: string }).transport;
      const requestOf = (step: Action): FuzzRequest => {
        switch (step.kind) {
          case 'send': {
            const body = step.body === 'hello'
              ? encodeBody(protocol.codec, protocol.batched, [samples[0]!])
              : step.body === 'messages'
                ? encodeBody(protocol.codec, protocol.batched, protocol.batched ? step.messages! : step.messages!.slice(0, 1))
                : Buffer.from(step.body);
            return { method: 'POST', path: `${base}/${id}/send`, body };
          }
          case 'receive':
          case 'close':
            return { method: 'POST', path: `${base}/${id}/${step.kind}` };
          case 'raw':
            return { method: step.method, path: `${base}${step.path.replaceAll('{id}', id)}`, headers: step.headers, body: step.method === 'GET' || step.method === 'HEAD' ? undefined : step.body };
        }
      };
      for (const group of groups) {
        const sent = group.map(requestOf);
        const answers = await Promise.all(sent.map((request) => exchange(port, request)));
        answers.forEach((answer, index) => assertSpecificAnswer(answer, sent[index]!));
      }
      // Not part of the fuzz: the transport is closed, as a client that leaves does.
      await exchange(port, { method: 'POST', path: `${base}/${id}/close` });
      watch.assertQuiet('long-poll requests');
      runs += 1;
      if (runs % 40 === 0) await othersWork(`after ${runs} fuzzed long-poll runs`);
    }), 60);
    await othersWork('after the long-poll fuzzing');
    await gaugesBackTo(() => node.metrics.exposition(), baseline, heldGauges);
    watch.assertQuiet('the long-poll fuzzing');
  });

  it('SSE: every request opens a stream or is refused with a specific 4xx', { timeout: fuzzTimeout(120_000) }, async () => {
    const baseline = gauges(node.metrics.exposition(), heldGauges);
    let runs = 0;
    await checkFuzz('sse', fc.asyncProperty(fc.array(sseRequest, { minLength: 1, maxLength: 3 }), async (requests) => {
      const sent = requests.map(({ method, query, path, headers: fields }): FuzzRequest => ({ method, path: `${path}?${query}`, headers: fields }));
      const answers = await Promise.all(sent.map((request) => exchange(port, request)));
      answers.forEach((answer, index) => {
        assertSpecificAnswer(answer, sent[index]!);
        if (answer.status === 200) assert.match(String(answer.headers['content-type']), /^text\/event-stream/);
      });
      watch.assertQuiet('SSE requests');
      runs += 1;
      if (runs % 40 === 0) await othersWork(`after ${runs} fuzzed SSE runs`);
    }), 80);
    await othersWork('after the SSE fuzzing');
    await gaugesBackTo(() => node.metrics.exposition(), baseline, heldGauges);
    watch.assertQuiet('the SSE fuzzing');
  });
});
