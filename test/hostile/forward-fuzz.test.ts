import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { CaptureLog } from '../auth/support/capture-log.js';
import {
  assertSpecificAnswer, checkFuzz, CrashWatch, exchange, exchangeOrCut, fuzzedHeaderValue, fuzzedPathPart, fuzzSeed, fuzzTimeout, gauges, gaugesBackTo, startFuzzedNode, WampBystander,
  type FuzzAnswer, type FuzzRequest,
} from '../support/fuzz.js';
import { testConfig } from '../support/node.js';
import { ScriptedUpstream, type ScriptEnd } from '../support/scripted-upstream.js';
import { waitFor } from '../support/wait.js';

/**
 * Hostile input against the `reverseproxy` path (http-forward.ts, which `wsgi` shares): fuzzed
 * client requests to a well-behaved server, and a server answering fuzzed garbage, half answers,
 * nothing, or resets. Every exchange ends (an answer, or a cut connection when the server's own
 * answer broke off); an answer Junction makes is a specific JSON error; what reaches the server
 * never carries the client's X-Forwarded-* or hop-by-hop headers; the node logs no error; a
 * WAMP client keeps working; the in-flight gauge and the server's connections come back.
 */

const TIMEOUT_MS = 400;
const inFlightGauge = ['junction_http_forward_requests_in_flight'] as const;

const methods = fc.constantFrom('GET', 'GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'FOO');
const headerNames = ['content-type', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-real-ip', 'forwarded', 'connection',
  'keep-alive', 'te', 'upgrade', 'expect', 'proxy-authorization', 'cookie', 'authorization', 'accept-encoding', 'range', 'x-app'];
const headers = fc.dictionary(fc.constantFrom(...headerNames),
  fc.oneof(fuzzedHeaderValue, fc.constantFrom('close', 'keep-alive, x-app', 'x-forwarded-for', 'trailers', 'websocket', '100-continue', '1.2.3.4', 'bytes=0-1', 'gzip')), { maxKeys: 4 });
const body = fc.option(fc.oneof(fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)), fc.constant(Buffer.alloc(200_000, 'b'))), { nil: undefined, freq: 2 });

const clientRequest = fc.record({
  method: methods,
  path: fc.array(fuzzedPathPart, { maxLength: 4 }).map((parts) => parts.join('/')),
  query: fc.option(fuzzedPathPart, { nil: undefined }),
  headers,
  body,
});

/** An answer head from a server: a status line (sometimes broken) and header lines (sometimes broken). */
const statusLine = fc.oneof(
  fc.constantFrom(200, 201, 204, 301, 304, 400, 404, 500, 502, 503).map((status) => `HTTP/1.1 ${status} Fine`),
  fc.constantFrom('HTTP/1.1 100 Continue', 'HTTP/1.1 101 Switching Protocols', 'HTTP/1.1 999 Odd', 'HTTP/1.1 99 Low', 'HTTP/1.0 200 OK', 'HTTP/2 200',
    'HTTP/1.1 200', 'HTTP/1.1 abc', 'ICY 200 OK', '', 'HTTP/1.1 200 OK\r\nHTTP/1.1 200 OK'),
);
const answerHeader = fc.oneof(
  fc.constantFrom('content-length: 5', 'content-length: 0', 'content-length: -1', 'content-length: 5, 6', 'content-length: 99999999999999999999',
    'transfer-encoding: chunked', 'transfer-encoding: gzip', 'connection: close', 'connection: keep-alive, x-hop', 'x-hop: 1', 'keep-alive: timeout=1',
    'set-cookie: a=1', 'upgrade: websocket', 'trailer: x', 'content-type: text/plain', 'x-\u00e9: 1', 'x-bad : 1', ' folded: 1', 'no-colon', ': empty-name'),
  fc.tuple(fc.stringMatching(/^[a-z-]{1,12}$/), fc.string({ maxLength: 20 })).map(([name, value]) => `${name}: ${value}`),
  fc.constant(`x-big: ${'h'.repeat(70_000)}`),
);
const answerBody = fc.oneof(fc.constantFrom('', 'hello', '5\r\nhello\r\n0\r\n\r\n', '5\r\nhel', 'zz\r\n', 'x'.repeat(100_000)), fc.string({ maxLength: 30 }));
const serverAnswer = fc.record({
  bytes: fc.oneof(
    { weight: 4, arbitrary: fc.record({ status: statusLine, fields: fc.array(answerHeader, { maxLength: 4 }), body: answerBody })
      .map(({ status, fields, body: text }) => Buffer.from(`${status}\r\n${fields.map((field) => `${field}\r\n`).join('')}\r\n${text}`, 'latin1')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
  ),
  then: fc.constantFrom<ScriptEnd>('end', 'end', 'stall', 'reset'),
});

/** An answer Junction made itself (not the server's) is a specific JSON error. */
function assertJunctionAnswer(answer: FuzzAnswer, codes: readonly string[], what: string): void {
  assert.match(String(answer.headers['content-type']), /^application\/json/, `not a JSON refusal: ${what}`);
  const error = (JSON.parse(answer.body.toString('utf8')) as { error?: unknown }).error;
  assert.ok(codes.includes(String(error)), `an unexpected error code ${String(error)}: ${what}`);
}

describe(`reverseproxy path under hostile clients and servers (seed ${fuzzSeed})`, () => {
  const log = new CaptureLog();
  let node: Awaited<ReturnType<typeof startFuzzedNode>>['node'];
  let port: number;
  let watch: CrashWatch;
  let bystander: WampBystander;
  let stop: () => Promise<void>;
  let echo: Server;
  let hostile: ScriptedUpstream;
  /** What the well-behaved server saw of each request, by its token. */
  const seen = new Map<string, { headers: Record<string, string | string[] | undefined>; length: number }>();

  before(async () => {
    echo = createServer((request, response) => {
      let length = 0;
      request.on('data', (chunk: Buffer) => (length += chunk.length));
      request.on('end', () => {
        const token = /\/(t\d+x)\//.exec(request.url ?? '')?.[1];
        if (token !== undefined) seen.set(token, { headers: request.headers, length });
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ length }));
      });
    });
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    hostile = await ScriptedUpstream.start();
    const config = testConfig();
    const options = { timeoutMs: TIMEOUT_MS, maxRequestsInFlight: 6 };
    Object.assign(config.listeners[0]!.paths, {
      '/app': { type: 'reverseproxy', host: '127.0.0.1', port: (echo.address() as AddressInfo).port, path: '/base', options },
      '/bad': { type: 'reverseproxy', host: '127.0.0.1', port: hostile.port, path: '', options },
    });
    ({ node, watch, bystander, stop } = await startFuzzedNode(config, log));
    port = node.ports.get('test')!;
  });
  after(async () => {
    await stop();
    await hostile.stop();
    echo.closeAllConnections();
    echo.close();
  });

  /** A request through the proxy to the well-behaved server is answered whole. */
  async function othersWork(what: string): Promise<void> {
    const answer = await exchange(port, { method: 'POST', path: '/app/t0x/healthy', body: 'abc' });
    assert.equal(answer.status, 200, `a healthy request ${what}: ${answer.body.toString()}`);
    assert.deepEqual(JSON.parse(answer.body.toString()), { length: 3 });
    await bystander.works(what);
  }

  it('fuzzed client requests reach a healthy server cleaned, or are refused with a specific 4xx', { timeout: fuzzTimeout(90_000) }, async () => {
    const baseline = gauges(node.metrics.exposition(), inFlightGauge);
    let runs = 0;
    let token = 1_000;
    await checkFuzz('reverseproxy requests', fc.asyncProperty(fc.array(clientRequest, { minLength: 1, maxLength: 3 }), async (requests) => {
      const sent = requests.map((request): FuzzRequest & { token: string } => {
        const mark = `t${++token}x`;
        const bodyless = request.method === 'GET' || request.method === 'HEAD';
        return {
          token: mark, method: request.method, path: `/app/${mark}/${request.path}${request.query === undefined ? '' : `?${request.query}`}`,
          headers: request.headers, ...(bodyless || request.body === undefined ? {} : { body: request.body }),
        };
      });
      const answers = await Promise.all(sent.map((request) => exchangeOrCut(port, request)));
      answers.forEach((answer, index) => {
        const request = sent[index]!;
        const what = `${request.method} ${request.path.slice(0, 120)} ${JSON.stringify(request.headers)} -> ${answer.status} ${answer.body.toString().slice(0, 200)}`;
        if (answer.status >= 400 && answer.status < 500) return assertSpecificAnswer(answer, request);
        assert.equal(answer.status, 200, what);
        const reached = seen.get(request.token);
        assert.ok(reached, `the server never got ${what}`);
        seen.delete(request.token);
        assert.equal(reached.length, request.body === undefined ? 0 : Buffer.byteLength(request.body), `the body arrived altered: ${what}`);
        assert.equal(reached.headers['x-forwarded-for'], '127.0.0.1', `a client's X-Forwarded-For went on: ${what}`);
        assert.equal(reached.headers['x-real-ip'], '127.0.0.1', `a client's X-Real-IP went on: ${what}`);
        assert.equal(reached.headers.forwarded, undefined, `a client's Forwarded went on: ${what}`);
        for (const hop of ['te', 'upgrade', 'keep-alive', 'proxy-authorization', 'trailer', 'expect']) assert.equal(reached.headers[hop], undefined, `${hop} went on: ${what}`);
      });
      watch.assertQuiet('fuzzed requests');
      runs += 1;
      if (runs % 25 === 0) await othersWork(`after ${runs} fuzzed runs`);
    }), 60);
    await othersWork('after the request fuzzing');
    await gaugesBackTo(() => node.metrics.exposition(), baseline, inFlightGauge);
    watch.assertQuiet('the request fuzzing');
  });

  it('a server answering garbage, half answers, nothing or resets gets each client a 502/504 or a cut connection', { timeout: fuzzTimeout(90_000) }, async () => {
    const baseline = gauges(node.metrics.exposition(), inFlightGauge);
    let runs = 0;
    await checkFuzz('reverseproxy servers', fc.asyncProperty(fc.array(fc.tuple(serverAnswer, methods), { minLength: 1, maxLength: 4 }), async (scripted) => {
      const sent = scripted.map(([answer, method]): FuzzRequest => ({ method, path: `/bad/${hostile.script(answer.bytes, answer.then)}/x` }));
      const answers = await Promise.all(sent.map((request) => exchangeOrCut(port, request)));
      answers.forEach((answer, index) => {
        const [{ bytes }] = scripted[index]!;
        const what = `${JSON.stringify(bytes.toString('latin1').slice(0, 200))} ${scripted[index]![0].then} -> ${answer.status} ${answer.body.toString().slice(0, 200)}`;
        const scriptedStatus = /^HTTP\/1\.[01] (\d{3}) /.exec(bytes.toString('latin1'))?.[1];
        if ((answer.status === 502 || answer.status === 504) && scriptedStatus !== String(answer.status) && sent[index]!.method !== 'HEAD') {
          assertJunctionAnswer(answer, ['upstream_failed', 'upstream_timeout', 'upstream_unreachable'], what);
        }
      });
      watch.assertQuiet('hostile server answers');
      runs += 1;
      if (runs % 25 === 0) await othersWork(`after ${runs} hostile server runs`);
    }), 60);
    await othersWork('after the server fuzzing');
    await gaugesBackTo(() => node.metrics.exposition(), baseline, inFlightGauge);
    // The pool lets go of every connection to the hostile server (idle ones within its keep-alive).
    await waitFor(() => hostile.openConnections === 0, 'the connections to the hostile server to close', 15_000);
    watch.assertQuiet('the server fuzzing');
  });

  it('clients vanishing mid-body and mid-answer at the in-flight bound release every slot', { timeout: 60_000 }, async () => {
    const baseline = gauges(node.metrics.exposition(), inFlightGauge);
    const vanish = async (path: string, afterHead: boolean): Promise<void> => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      await once(socket, 'connect');
      socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n${afterHead ? '' : 'partial body'}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.destroy();
    };
    for (let round = 0; round < 3; round++) {
      // More than max_requests_in_flight at once: some are refused 503 and all leave.
      await Promise.all(Array.from({ length: 10 }, (_, index) =>
        vanish(index % 2 === 0 ? '/app/t1x/slow' : `/bad/${hostile.script('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc', 'stall')}/x`, index % 3 === 0)));
    }
    await gaugesBackTo(() => node.metrics.exposition(), baseline, inFlightGauge);
    await othersWork('after the vanishing clients');
    watch.assertQuiet('vanishing clients');
  });
});
