import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { WsgiService } from '../../src/config/model.js';
import { skipWithoutDebian } from '../support/debian.js';
import {
  assertSpecificAnswer, checkFuzz, exchange, exchangeOrCut, fuzzedHeaderValue, fuzzedPathPart, fuzzedWebPaths, fuzzSeed, fuzzTimeout, gauges, gaugesBackTo, type FuzzRequest,
} from '../support/fuzz.js';

/**
 * Hostile input against a `wsgi` path (node/workers/wsgi-host.ts, python/junction_wsgi.py): fuzzed
 * requests to a WSGI app that echoes them, raises, breaks the WSGI protocol (a bad status, a bad
 * header, no start_response), fails mid-answer, sleeps past options.timeout or answers a lot.
 * The echo always comes back whole; an answer Junction makes is a specific JSON error; the node
 * logs no error; the WSGI host keeps serving; the in-flight gauge comes back to 0.
 */

const app = `
import json, time

def application(environ, start_response):
    kind = environ.get('PATH_INFO', '/').split('/')[1] if environ.get('PATH_INFO', '/').count('/') else ''
    length = int(environ.get('CONTENT_LENGTH') or 0)
    body = environ['wsgi.input'].read(length)
    if kind == 'raise':
        raise RuntimeError('the app failed')
    if kind == 'badstatus':
        start_response('not a status', [])
        return [b'x']
    if kind == 'badheader':
        start_response('200 OK', [('X-Bad', 'a\\r\\nInjected: yes')])
        return [b'x']
    if kind == 'nostart':
        return [b'no start_response']
    if kind == 'midraise':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        def broken():
            yield b'first'
            raise RuntimeError('mid-answer')
        return broken()
    if kind == 'slow':
        time.sleep(1.0)
    if kind == 'huge':
        start_response('200 OK', [('Content-Type', 'application/octet-stream')])
        return [b'h' * 262144 for _ in range(8)]
    answer = json.dumps({'length': len(body), 'method': environ['REQUEST_METHOD']}).encode()
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(answer)))])
    return [answer]
`;

const kinds = ['echo', 'echo', 'echo', 'raise', 'badstatus', 'badheader', 'nostart', 'midraise', 'slow', 'huge'] as const;
const wsgiRequest = fc.record({
  kind: fc.constantFrom(...kinds),
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'),
  path: fc.array(fuzzedPathPart, { maxLength: 3 }).map((parts) => parts.join('/')),
  query: fc.option(fuzzedPathPart, { nil: undefined }),
  headers: fc.dictionary(fc.constantFrom('content-type', 'x-forwarded-for', 'x-real-ip', 'x-forwarded-proto', 'x-forwarded-port', 'host', 'cookie', 'x-app', 'connection'),
    fc.oneof(fuzzedHeaderValue, fc.constantFrom('https', '99999', 'abc', 'close', '::1', '127.0.0.1:1')), { maxKeys: 3 }),
  body: fc.option(fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)), { nil: undefined }),
});

const inFlightGauge = ['junction_http_forward_requests_in_flight'] as const;

describe(`wsgi path under hostile requests and a broken app (seed ${fuzzSeed})`, { skip: skipWithoutDebian('python3-twisted') }, () => {
  const web = fuzzedWebPaths('junction-wsgi-fuzz-', (home) => {
    writeFileSync(join(home, 'fuzzapp.py'), app);
    const wsgi: WsgiService = {
      type: 'wsgi', module: 'fuzzapp', object: 'application', minThreads: 0, maxThreads: 8,
      python: { at: 'workers[0]', executable: '/usr/bin/python3', interpreterGiven: false, pythonpath: [home], env: { inherit: true, vars: {} }, workdir: home },
      options: { timeoutMs: 500, maxRequestsInFlight: 8 },
    };
    return { '/app': wsgi };
  });

  async function echoWorks(what: string): Promise<void> {
    const answer = await exchange(web.port, { method: 'POST', path: '/app/echo/x', body: 'abcd' });
    assert.equal(answer.status, 200, `the echo ${what}: ${answer.body.toString()}`);
    assert.deepEqual(JSON.parse(answer.body.toString()), { length: 4, method: 'POST' });
    await web.fuzzed.bystander.works(what);
  }

  it('the echo comes back whole; a broken app gets its client its own answer, a specific 5xx, or a cut connection', { timeout: fuzzTimeout(120_000) }, async () => {
    await echoWorks('before the fuzzing');
    const baseline = gauges(web.fuzzed.node.metrics.exposition(), inFlightGauge);
    await checkFuzz('wsgi', fc.asyncProperty(fc.array(wsgiRequest, { minLength: 1, maxLength: 3 }), async (requests) => {
      const sent = requests.map((request): FuzzRequest => ({
        method: request.method, path: `/app/${request.kind}/${request.path}${request.query === undefined ? '' : `?${request.query}`}`, headers: request.headers,
        ...(request.body === undefined || request.method === 'GET' || request.method === 'HEAD' ? {} : { body: request.body }),
      }));
      const answers = await Promise.all(sent.map((request) => exchangeOrCut(web.port, request)));
      answers.forEach((answer, index) => {
        const request = requests[index]!;
        const what = `${request.kind} ${sent[index]!.method} ${sent[index]!.path.slice(0, 100)} ${JSON.stringify(request.headers)} -> ${answer.status} ${answer.body.toString().slice(0, 200)}`;
        if (answer.status >= 400 && answer.status < 500) return assertSpecificAnswer(answer, sent[index]!);
        if (request.kind === 'echo' && request.method !== 'HEAD') {
          assert.equal(answer.status, 200, what);
          assert.deepEqual(JSON.parse(answer.body.toString()), { length: sent[index]!.body === undefined ? 0 : Buffer.byteLength(sent[index]!.body!), method: request.method }, what);
        }
        if ([502, 503, 504].includes(answer.status) && request.method !== 'HEAD' && String(answer.headers['content-type']).startsWith('application/json')) {
          const error = (JSON.parse(answer.body.toString()) as { error?: string }).error;
          assert.ok(['upstream_timeout', 'upstream_failed', 'upstream_unreachable', 'too_many_requests'].includes(String(error)), what);
        }
        if (request.kind === 'badheader') assert.equal(answer.headers.injected, undefined, `a header the app smuggled in: ${what}`);
      });
      web.fuzzed.watch.assertQuiet('fuzzed WSGI requests');
    }), 15);
    await echoWorks('after the fuzzing');
    await gaugesBackTo(() => web.fuzzed.node.metrics.exposition(), baseline, inFlightGauge);
    web.fuzzed.watch.assertQuiet('the WSGI fuzzing');
  });
});
