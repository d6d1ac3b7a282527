/**
 * A `reverseproxy` path of a real node forwarding to a real HTTP server (node:http on a free
 * loopback port): what the server gets (method, path below the prefix, query, body, headers
 * without hop-by-hop ones, X-Forwarded-* set by Junction), what the client gets back (status,
 * headers, body, streamed both ways), and the bounds: a server that is down (502), one that does
 * not answer (504), max_requests_in_flight (503), a client that leaves, "." segments (400).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import type { Logger } from '../../src/router/log.js';
import { freePort } from '../support/cli.js';
import { waitFor } from '../support/wait.js';
import { httpExchange, type HttpAnswer, type HttpExchangeOptions } from '../support/http-exchange.js';

/** What the upstream server saw of one request. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaderNames: string[];
  body: string;
}

const warnings: string[] = [];
const log: Logger = { debug() {}, info() {}, error() {}, warn: (_fields, message) => warnings.push(message), child: () => log };

describe('reverseproxy path', { timeout: 60_000 }, () => {
  let node: RunningNode;
  let port: number;
  let upstream: Server;
  let upstreamPort: number;
  let downPort: number;
  const seen: Seen[] = [];
  /** Requests to /hold wait here until released. */
  const held: { request: IncomingMessage; response: ServerResponse }[] = [];
  const closedEarly: string[] = [];

  /** The node's file; `appTimeout` is the /app path's options.timeout (a reload changes it). */
  const configWith = (appTimeout: number) => parseConfig({
    version: 2,
    workers: [{
      type: 'router',
      realms: [],
      transports: [{
        type: 'web', id: 'web',
        endpoint: { type: 'tcp', interface: '127.0.0.1', port: 0 },
        options: { trusted_proxies: ['127.0.0.2'] },
        paths: {
          app: { type: 'reverseproxy', host: '127.0.0.1', port: upstreamPort, path: '/base', options: { timeout: appTimeout } },
          root: { type: 'reverseproxy', host: '127.0.0.1', port: upstreamPort },
          down: { type: 'reverseproxy', host: '127.0.0.1', port: downPort },
          slow: { type: 'reverseproxy', host: '127.0.0.1', port: upstreamPort, options: { timeout: 300 } },
          narrow: { type: 'reverseproxy', host: '127.0.0.1', port: upstreamPort, options: { max_requests_in_flight: 2 } },
        },
      }],
    }],
  }, { source: 'reverse proxy test', env: {} });

  before(async () => {
    upstream = createServer((request, response) => {
      if (request.url!.includes('/echo')) {
        // Answers at once and echoes the body as it arrives.
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        request.pipe(response);
        return;
      }
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        const names: string[] = request.rawHeaders.filter((_, index) => index % 2 === 0);
        seen.push({ method: request.method!, url: request.url!, headers: request.headers, rawHeaderNames: names, body });
        if (request.url!.includes('/hold') || request.url!.includes('/silent')) {
          held.push({ request, response });
          response.on('close', () => { if (!response.writableFinished) closedEarly.push(request.url!); });
          return;
        }
        if (request.url!.includes('/stream')) {
          response.writeHead(200, { 'content-type': 'text/plain' });
          response.write('first;');
          held.push({ request, response });
          return;
        }
        response.writeHead(201, { 'content-type': 'application/json', 'x-app': 'yes', 'set-cookie': ['a=1', 'b=2'], connection: 'keep-alive, x-private', 'x-private': 'hop' });
        response.end(JSON.stringify({ length: body.length, echo: body.slice(0, 32) }));
      });
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    upstreamPort = (upstream.address() as AddressInfo).port;
    downPort = await freePort();
    node = await startNode(configWith(60_000), { log, shutdownGraceMs: 200 });
    port = node.ports.get('web')!;
  });

  after(async () => {
    for (const { response } of held) response.destroy();
    await node?.stop();
    upstream?.closeAllConnections();
    upstream?.close();
  });

  const send = (path: string, options: HttpExchangeOptions = {}): Promise<HttpAnswer> => httpExchange(port, path, options);


  const forwardCount = (path: string, outcome: string) =>
    node.metrics.counter('junction_http_forward_requests_total', '').value({ service: 'reverseproxy', transport: 'web', path, outcome });

  it('GET: the path below the service after the prefix, the query, the headers, and the answer as the server gave it', async () => {
    seen.length = 0;
    const answer = await send('/app/a/b%20c?x=1&y=2', {
      headers: { 'X-Custom': 'one', Connection: 'keep-alive, X-Drop', 'X-Drop': 'hop', 'X-Forwarded-For': '6.6.6.6', 'X-Real-IP': '6.6.6.6', 'Proxy-Authorization': 'Basic x' },
    });
    assert.equal(answer.status, 201);
    assert.equal(answer.headers['x-app'], 'yes');
    assert.deepEqual(answer.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(answer.headers['x-private'], undefined, 'a header the server\'s Connection names belongs to its hop');
    const request = seen[0]!;
    assert.equal(request.method, 'GET');
    assert.equal(request.url, '/base/a/b%20c?x=1&y=2');
    assert.equal(request.headers['x-custom'], 'one');
    assert.equal(request.headers['x-drop'], undefined);
    assert.equal(request.headers['proxy-authorization'], undefined);
    assert.equal(request.headers.host, `127.0.0.1:${upstreamPort}`, 'Crossbar sends the server its own host and port');
    assert.equal(request.headers['x-forwarded-host'], `127.0.0.1:${port}`);
    assert.equal(request.headers['x-forwarded-for'], '127.0.0.1', 'a client\'s own X-Forwarded-For is replaced, not passed on');
    assert.equal(request.headers['x-real-ip'], '127.0.0.1');
    assert.equal(request.headers['x-forwarded-proto'], 'http');
    assert.equal(request.headers['x-forwarded-port'], String(port));
    assert.equal(forwardCount('/app', 'answered'), 1);
  });

  it('the service path itself, at the root of a server without a prefix', async () => {
    seen.length = 0;
    assert.equal((await send('/root')).status, 201);
    assert.equal((await send('/root/?q')).status, 201);
    assert.deepEqual(seen.map((request) => request.url), ['/', '/?q']);
  });

  it('behind a trusted proxy: its client and scheme are forwarded', async () => {
    seen.length = 0;
    await send('/app', { localAddress: '127.0.0.2', headers: { 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https' } });
    assert.equal(seen[0]!.headers['x-forwarded-for'], '203.0.113.9');
    assert.equal(seen[0]!.headers['x-forwarded-proto'], 'https');
  });

  it('POST: a large body and a chunked one reach the server whole', async () => {
    seen.length = 0;
    const large = Buffer.alloc(3 * 1024 * 1024, 'x');
    const answer = await send('/app/upload', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: large });
    assert.deepEqual(JSON.parse(answer.body), { length: large.length, echo: 'x'.repeat(32) });
    const chunked = await send('/app/upload', { method: 'PUT', body: 'hello, chunked world', chunked: true });
    assert.deepEqual(JSON.parse(chunked.body), { length: 20, echo: 'hello, chunked world' });
    assert.deepEqual(seen.map((request) => [request.method, request.url, request.body.length]), [['POST', '/base/upload', large.length], ['PUT', '/base/upload', 20]]);
  });

  it('Expect: 100-continue: the client is told to go on, and the server gets the body without the Expect', async () => {
    seen.length = 0;
    const request = httpRequest({ host: '127.0.0.1', port, path: '/app/expect', method: 'POST', headers: { expect: '100-continue', 'content-length': '4' } });
    request.on('continue', () => request.end('body'));
    const [response] = (await once(request, 'response')) as [IncomingMessage];
    response.resume();
    await once(response, 'end');
    assert.equal(response.statusCode, 201);
    assert.equal(seen[0]!.body, 'body');
    assert.equal(seen[0]!.headers.expect, undefined);
  });

  it('streams the request body: the server echoes the first part before the client sends the rest', async () => {
    const request = httpRequest({ host: '127.0.0.1', port, path: '/app/echo', method: 'POST' });
    request.write('part one;');
    const [response] = (await once(request, 'response')) as [IncomingMessage];
    response.setEncoding('utf8');
    const [first] = (await once(response, 'data')) as [string];
    assert.equal(first, 'part one;');
    let rest = '';
    response.on('data', (chunk: string) => (rest += chunk));
    const ended = once(response, 'end');
    request.end('part two');
    await ended;
    assert.equal(rest, 'part two');
  });

  it('streams the answer: the client reads the first part while the server still writes', async () => {
    held.length = 0;
    const firstPart = new Promise<{ first: string; rest: Promise<string> }>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port, path: '/app/stream' }, (response) => {
        response.setEncoding('utf8');
        let body = '';
        const rest = new Promise<string>((done) => response.on('end', () => done(body)));
        response.once('data', (chunk: string) => {
          body += chunk;
          response.on('data', (more: string) => (body += more));
          resolve({ first: chunk, rest });
        });
      }).on('error', reject).end();
    });
    const { first, rest } = await firstPart;
    assert.equal(first, 'first;');
    await waitFor(() => held.length === 1, 'the server holds the stream');
    held[0]!.response.end('second');
    assert.equal(await rest, 'first;second');
  });

  it('a server that is down: 502 with what failed, counted and warned', async () => {
    warnings.length = 0;
    const answer = await send('/down/x');
    assert.equal(answer.status, 502);
    assert.deepEqual(JSON.parse(answer.body), { error: 'upstream_unreachable', message: `the server at 127.0.0.1:${downPort} cannot be reached (ECONNREFUSED)` });
    assert.equal(forwardCount('/down', 'unreachable'), 1);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /cannot be reached/);
  });

  it('a server that does not answer within options.timeout: 504, and the server\'s request is closed', async () => {
    held.length = 0;
    const answer = await send('/slow/silent');
    assert.equal(answer.status, 504);
    assert.deepEqual(JSON.parse(answer.body), { error: 'upstream_timeout', message: 'the server did not answer within 300 ms (options.timeout)' });
    assert.equal(forwardCount('/slow', 'timeout'), 1);
    await waitFor(() => closedEarly.includes('/silent'), 'the server sees the forwarded request closed');
  });

  it('max_requests_in_flight: past it 503 at once with Retry-After; the gauge shows those held', async () => {
    held.length = 0;
    const first = send('/narrow/hold');
    const second = send('/narrow/hold');
    await waitFor(() => held.length === 2, 'two requests held by the server');
    const gauge = node.metrics.gauge('junction_http_forward_requests_in_flight', '');
    assert.equal(gauge.value({ service: 'reverseproxy', transport: 'web', path: '/narrow' }), 2);
    const refused = await send('/narrow/hold');
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(JSON.parse(refused.body).error, 'too_many_requests');
    assert.equal(forwardCount('/narrow', 'busy'), 1);
    for (const { response } of held.splice(0)) response.end('done');
    assert.deepEqual([(await first).body, (await second).body], ['done', 'done']);
    assert.equal(gauge.value({ service: 'reverseproxy', transport: 'web', path: '/narrow' }), 0);
    assert.equal((await send('/narrow/x')).status, 201, 'the slots are free again');
  });

  it('a client that leaves: the forwarded request is closed too, and counted', async () => {
    held.length = 0;
    closedEarly.length = 0;
    const request = httpRequest({ host: '127.0.0.1', port, path: '/app/hold-gone' });
    request.on('error', () => {});
    request.end();
    await waitFor(() => held.length === 1, 'the server holds the request');
    request.destroy();
    await waitFor(() => closedEarly.includes('/base/hold-gone'), 'the server sees the request closed');
    await waitFor(() => forwardCount('/app', 'client_gone') === 1, 'counted as client_gone');
  });

  it('a browser page at a name rebound to this router gets 421, and nothing is forwarded (the transport\'s Host check)', async () => {
    seen.length = 0;
    const answer = await send('/app/x', { method: 'POST', headers: { host: 'evil.example', origin: 'http://evil.example' }, body: 'steal' });
    assert.equal(answer.status, 421);
    assert.equal(JSON.parse(answer.body).error, 'host_not_allowed');
    assert.deepEqual(seen, []);
  });

  it('a reload that rebuilds the path: requests under way finish within the grace, the others get 503', async () => {
    held.length = 0;
    const finishing = send('/app/hold-finishing');
    const waiting = send('/app/hold-waiting');
    await waitFor(() => held.length === 2, 'two requests held by the server');
    const reload = node.reload(configWith(30_000));
    held.find(({ request }) => request.url === '/base/hold-finishing')!.response.end('done');
    assert.equal((await finishing).body, 'done');
    const cut = await waiting;
    assert.equal(cut.status, 503);
    assert.equal(JSON.parse(cut.body).error, 'forwarding_stopped');
    assert.deepEqual((await reload).applied, ['transport "web": paths rebuilt /app']);
    assert.equal((await send('/app/x')).status, 201, 'the rebuilt path forwards');
  });

  it('"." and ".." segments in any spelling are refused, not resolved by the server', async () => {
    for (const path of ['/app/../secret', '/app/a/%2E%2e/b', '/app/./x']) {
      const answer = await send(path);
      assert.equal(answer.status, 400, path);
      assert.equal(JSON.parse(answer.body).error, 'invalid_path');
    }
  });
});
