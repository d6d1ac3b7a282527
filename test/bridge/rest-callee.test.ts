import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { RestCalleeComponentConfig } from '../../src/config/model.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { freePort } from '../support/cli.js';
import { startTestNode, testConfig } from '../support/node.js';
import { waitFor } from '../support/wait.js';

/**
 * A client calls procedures served by a small HTTP app through RESTCallee components: the app
 * sees the request the caller described, the caller gets {code, content, headers}, and every
 * failure comes back as a WAMP error that says what happened.
 */

interface Seen {
  method: string;
  path: string;
  query: Record<string, string[]>;
  headers: IncomingMessage['headers'];
  body: string;
}

const seen: Seen[] = [];
const stalled = new Set<ServerResponse>();

function app(request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const url = new URL(request.url!, 'http://app');
    const query: Record<string, string[]> = {};
    for (const [name, value] of url.searchParams) (query[name] ??= []).push(value);
    const record = { method: request.method!, path: url.pathname, query, headers: request.headers, body: Buffer.concat(chunks).toString() };
    seen.push(record);
    const route = url.pathname.replace(/^\/app/, '');
    switch (route) {
      case '/slow':
        stalled.add(response); // never answers
        return;
      case '/slow-body':
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.write('partial');
        stalled.add(response); // headers, then the body stalls
        return;
      case '/missing':
        response.writeHead(404, { 'content-type': 'text/plain' }).end('no such item');
        return;
      case '/broken':
        response.writeHead(503, { 'content-type': 'text/plain' }).end('database down');
        return;
      case '/big':
        response.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(2_000));
        return;
      case '/big-chunked':
        response.writeHead(200, { 'content-type': 'text/plain' });
        for (let index = 0; index < 20; index += 1) response.write('y'.repeat(100));
        response.end();
        return;
      case '/redirect':
        response.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
        return;
      default:
        response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-app': 'legacy' });
        response.end(JSON.stringify({ method: record.method, path: record.path }));
    }
  });
}

let server: Server;
let node: Awaited<ReturnType<typeof startTestNode>>;
let client: OpenSession;

function component(id: string, procedure: string, baseUrl: string, more: Partial<RestCalleeComponentConfig> = {}): RestCalleeComponentConfig {
  return {
    kind: 'rest-callee', id, realm: 'realm1', procedure, baseUrl,
    headers: {}, timeoutMs: 10_000, errorOn4xx: false, errorOn5xx: false, maxResponseBytes: 1_048_576,
    ...more,
  };
}

before(async () => {
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/app/`;
  const config = testConfig();
  config.components.push(
    component('api', 'webapp.api', base, { role: 'anonymous', headers: { Authorization: 'Bearer app-secret', 'X-Via': 'junction' } }),
    component('strict', 'webapp.strict', base, { errorOn4xx: true, errorOn5xx: true, timeoutMs: 300, maxResponseBytes: 1_024 }),
    component('down', 'webapp.down', `http://127.0.0.1:${await freePort()}/`),
  );
  node = await startTestNode(config);
  client = await openAutobahn(node.url);
});

after(async () => {
  await client?.close();
  await node?.stop();
  for (const response of stalled) response.destroy();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

/** The call's WAMP error as {error, args, kwargs}; fails when the call succeeds. */
async function callError(procedure: string, kwargs: Record<string, unknown>): Promise<{ error: string; args: unknown[]; kwargs: Record<string, unknown> }> {
  try {
    const result: unknown = await client.session.call(procedure, [], kwargs);
    assert.fail(`expected an error, got ${JSON.stringify(result)}`);
  } catch (error) {
    const failure = error as { error?: string; args: unknown[]; kwargs: Record<string, unknown> };
    if (failure.error === undefined) throw error;
    return { error: failure.error, args: failure.args, kwargs: failure.kwargs };
  }
}

describe('RESTCallee', () => {
  it('turns a call into the request it describes and answers {code, content, headers}', async () => {
    const result = await client.session.call('webapp.api', [], {
      method: 'get', url: 'users/42', params: { fields: 'name', tag: ['a', 'b c'] }, headers: { Accept: ['application/json'], 'X-Via': 'caller' },
    });
    const request = seen.at(-1)!;
    assert.deepEqual([request.method, request.path, request.query], ['GET', '/app/users/42', { fields: ['name'], tag: ['a', 'b c'] }]);
    assert.equal(request.headers.authorization, 'Bearer app-secret', 'configured header');
    assert.equal(request.headers['x-via'], 'caller', 'the caller\'s header wins over the configured one');
    assert.equal(request.headers.accept, 'application/json');
    assert.equal(result.code, 200);
    assert.deepEqual(JSON.parse(result.content), { method: 'GET', path: '/app/users/42' });
    assert.deepEqual(result.headers['Content-Type'], ['application/json; charset=utf-8']);
    assert.deepEqual(result.headers['X-App'], ['legacy']);
  });

  it('sends a JSON body as application/json and a string body as it is', async () => {
    await client.session.call('webapp.api', [], { method: 'POST', url: 'orders', body: { item: 'tea', qty: 2 } });
    let request = seen.at(-1)!;
    assert.deepEqual([request.method, request.headers['content-type'], JSON.parse(request.body)], ['POST', 'application/json', { item: 'tea', qty: 2 }]);
    await client.session.call('webapp.api', ['PUT', 'notes/1', 'plain words', { 'Content-Type': ['text/plain'] }]);
    request = seen.at(-1)!;
    assert.deepEqual([request.method, request.path, request.headers['content-type'], request.body], ['PUT', '/app/notes/1', 'text/plain', 'plain words']);
  });

  it('returns a 4xx or 5xx as a result by default, as Crossbar does', async () => {
    const missing = await client.session.call('webapp.api', [], { method: 'GET', url: 'missing' });
    assert.deepEqual([missing.code, missing.content], [404, 'no such item']);
    const broken = await client.session.call('webapp.api', [], { method: 'GET', url: 'broken' });
    assert.equal(broken.code, 503);
  });

  it('maps 4xx and 5xx to junction.error.rest.http_status when configured to', async () => {
    const missing = await callError('webapp.strict', { method: 'GET', url: 'missing' });
    assert.equal(missing.error, 'junction.error.rest.http_status');
    assert.match(String(missing.args[0]), /answered HTTP 404/);
    assert.deepEqual([missing.kwargs.status, missing.kwargs.method, missing.kwargs.content], [404, 'GET', 'no such item']);
    assert.match(String(missing.kwargs.url), /\/app\/missing$/);
    const broken = await callError('webapp.strict', { method: 'DELETE', url: 'broken' });
    assert.deepEqual([broken.error, broken.kwargs.status], ['junction.error.rest.http_status', 503]);
  });

  it('refuses every url that would leave the base URL, before any request is made', async () => {
    const before = seen.length;
    const port = (server.address() as AddressInfo).port;
    for (const url of ['../secret', 'a/../../secret', '%2e%2e/secret', '.%2e/secret', 'x%2f..%2f..%2fsecret', `http://127.0.0.1:${port}/secret`, `//127.0.0.1:${port}/secret`, '..\\secret', '.\n./secret']) {
      const refused = await callError('webapp.api', { method: 'GET', url });
      assert.equal(refused.error, 'junction.error.rest.bad_url', url);
      assert.match(String(refused.args[0]), /refused: .+ \(base URL http:\/\/127\.0\.0\.1:\d+\/app\/\)/, url);
    }
    assert.equal(seen.length, before, 'the app received none of them');
  });

  it('refuses a method outside the whitelist and malformed arguments', async () => {
    const trace = await callError('webapp.api', { method: 'TRACE', url: '' });
    assert.equal(trace.error, 'wamp.error.invalid_argument');
    assert.match(String(trace.args[0]), /method "TRACE" is not allowed/);
    const typo = await callError('webapp.api', { method: 'GET', header: {} });
    assert.match(String(typo.args[0]), /unknown keyword argument "header"/);
  });

  it('does not follow redirects: a 3xx is the result', async () => {
    const result = await client.session.call('webapp.api', [], { method: 'GET', url: 'redirect' });
    assert.deepEqual([result.code, result.headers.Location], [302, ['http://127.0.0.1:1/elsewhere']]);
  });

  it('fails with junction.error.rest.timeout when the app does not answer in time', async () => {
    const silent = await callError('webapp.strict', { method: 'GET', url: 'slow' });
    assert.equal(silent.error, 'junction.error.rest.timeout');
    assert.match(String(silent.args[0]), /no complete response from GET http:.+\/app\/slow within 300 ms/);
    assert.equal(silent.kwargs.method, 'GET');
    const stalledBody = await callError('webapp.strict', { method: 'GET', url: 'slow-body' });
    assert.equal(stalledBody.error, 'junction.error.rest.timeout');
  });

  it('fails with junction.error.rest.connection_failed when the app is down', async () => {
    const down = await callError('webapp.down', { method: 'GET', url: 'anything' });
    assert.equal(down.error, 'junction.error.rest.connection_failed');
    assert.match(String(down.args[0]), /connection refused \(ECONNREFUSED\)/);
    assert.match(String(down.kwargs.url), /^http:\/\/127\.0\.0\.1:\d+\/anything$/);
  });

  it('fails with junction.error.rest.response_too_large past max_response_bytes, declared or streamed', async () => {
    for (const url of ['big', 'big-chunked']) {
      const big = await callError('webapp.strict', { method: 'GET', url });
      assert.equal(big.error, 'junction.error.rest.response_too_large', url);
      assert.match(String(big.args[0]), /larger than 1024 bytes/);
      assert.equal(big.kwargs.status, 200);
    }
    const small = await client.session.call('webapp.strict', [], { method: 'GET', url: 'small' });
    assert.equal(small.code, 200, 'the component still serves after refusing');
  });

  it('answers HEAD and OPTIONS with an empty content', async () => {
    const head = await client.session.call('webapp.api', [], { method: 'HEAD', url: 'x' });
    assert.deepEqual([head.code, head.content, seen.at(-1)!.method], [200, '', 'HEAD']);
    await client.session.call('webapp.api', [], { method: 'OPTIONS', url: 'x' });
    assert.equal(seen.at(-1)!.method, 'OPTIONS');
  });

  it('serves concurrent calls', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => client.session.call('webapp.api', [], { method: 'GET', url: `item/${index}` })));
    assert.deepEqual(results.map((result: { content: string }) => JSON.parse(result.content).path), Array.from({ length: 20 }, (_, index) => `/app/item/${index}`));
  });
});

describe('RESTCallee start-up', () => {
  it('refuses a base URL with credentials, naming the component', async () => {
    const config = testConfig();
    config.components.push(component('creds', 'webapp.creds', 'http://user:pw@127.0.0.1:9/'));
    await assert.rejects(startTestNode(config), /component "creds": baseurl must not carry a user name or password/);
  });

  it('fails start-up when its role may not register the procedure', async () => {
    const config = testConfig();
    config.realms[0]!.roles.push({ name: 'reader', permissions: [] });
    config.components.push(component('unauthorized', 'webapp.nope', 'http://127.0.0.1:9/', { role: 'reader' }));
    await assert.rejects(startTestNode(config), /component "unauthorized": could not register "webapp.nope" in realm "realm1": wamp.error.not_authorized/);
  });
});

describe('RESTCallee when the app does not keep up', () => {
  it('refuses calls past 256 requests in flight as busy, and counts them', async () => {
    const settled: string[] = [];
    for (let call = 0; call < 256 + 8; call += 1) {
      client.session.call('webapp.api', [], { method: 'GET', url: 'slow' })
        .then(() => 'answered', (error: { error?: string }) => error.error ?? String(error))
        .then((outcome: string) => void settled.push(outcome));
    }
    // The refusals come at once; the 256 in flight wait for the app (until the node stops).
    await waitFor(() => settled.length === 8, 'eight calls answered');
    assert.deepEqual(settled, Array(8).fill('junction.error.rest.busy'));
    assert.match(node.metrics.exposition(), /^junction_rest_busy_total\{component="api"\} 8$/m);
  });
});
