import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { RestCalleeSettings } from '../../src/node/bridge/rest-callee/component.js';
import type { Logger } from '../../src/router/log.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { freePort } from '../support/cli.js';
import { startTestNode, testConfig } from '../support/node.js';

/**
 * Secrets are never logged: a REST-backed procedure (plain or in authenticator mode) whose base URL carries an API key in its
 * query (and a caller whose params carry a token) logs, even at debug level, and answers errors
 * with the URL's query values masked; a base URL with a user name and password is refused
 * without showing them.
 */

const secret = 'SECRET-k3y';
const password = 'pw-Xy9';
const received: string[] = [];
const stalled = new Set<ServerResponse>();

function app(request: IncomingMessage, response: ServerResponse): void {
  received.push(request.url!);
  request.resume();
  request.on('end', () => {
    const path = new URL(request.url!, 'http://app').pathname;
    if (path === '/app/slow') return void stalled.add(response); // never answers
    if (path === '/app/fail') return void response.writeHead(500, { 'content-type': 'text/plain' }).end('database down');
    response.writeHead(200, { 'content-type': 'text/plain' }).end('fine');
  });
}

/** Every line a node logs, at every level, as the JSON a log file would hold. */
const logged: string[] = [];
const everything: Logger = {
  debug: (fields, message) => void logged.push(JSON.stringify({ level: 'debug', ...fields, message })),
  info: (fields, message) => void logged.push(JSON.stringify({ level: 'info', ...fields, message })),
  warn: (fields, message) => void logged.push(JSON.stringify({ level: 'warn', ...fields, message })),
  error: (fields, message) => void logged.push(JSON.stringify({ level: 'error', ...fields, message })),
  child: () => everything,
};

/**
 * How long a component waits for the app. The app here answers at once, but under load its
 * answer took more than 300 ms (the call failed with junction.error.rest.timeout); only the call
 * that is meant to time out (`webapp.keyed.slow`, to an app that never answers) waits briefly.
 */
const answerMs = 10_000;
const stalledMs = 300;

function component(id: string, procedure: string, baseUrl: string, authenticator = false, timeoutMs = answerMs): RestCalleeSettings {
  return {
    kind: 'rest-callee', id, realm: 'realm1', procedure, baseUrl,
    headers: {}, timeoutMs, errorOn4xx: true, errorOn5xx: true, maxResponseBytes: 1_024, authenticator,
  };
}

let server: Server;
let node: Awaited<ReturnType<typeof startTestNode>>;
let client: OpenSession;

before(async () => {
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const config = testConfig();
  const port = (server.address() as AddressInfo).port;
  config.components.push(
    component('keyed', 'webapp.keyed', `http://127.0.0.1:${port}/app/?api_key=${secret}`),
    component('keyed-slow', 'webapp.keyed.slow', `http://127.0.0.1:${port}/app/?api_key=${secret}`, false, stalledMs),
    component('keyed-auth', 'webapp.keyed.auth', `http://127.0.0.1:${port}/app/fail?api_key=${secret}`, true),
    component('keyed-down', 'webapp.keyed.down', `http://127.0.0.1:${await freePort()}/app/?api_key=${secret}`),
  );
  node = await startTestNode(config, { log: everything });
  client = await openAutobahn(node.url);
});

after(async () => {
  await client?.close();
  await node?.stop();
  for (const response of stalled) response.destroy();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

/** The call's WAMP error (URI, args and kwargs) as one JSON text; fails when the call succeeds. An array is the call's args. */
async function callError(procedure: string, kwargs: Record<string, unknown> | unknown[]): Promise<{ uri: string; text: string }> {
  try {
    const result: unknown = await (Array.isArray(kwargs) ? client.session.call(procedure, kwargs) : client.session.call(procedure, [], kwargs));
    assert.fail(`expected an error, got ${JSON.stringify(result)}`);
  } catch (error) {
    const failure = error as { error?: string; args: unknown[]; kwargs: Record<string, unknown> };
    if (failure.error === undefined) throw error;
    return { uri: failure.error, text: JSON.stringify([failure.error, failure.args, failure.kwargs]) };
  }
}

describe('RESTCallee: credentials in URLs', () => {
  it('masks the base URL\'s and the caller\'s query values in every log line and error, succeeding or failing', async () => {
    const params = { token: secret };
    const ok = await client.session.call('webapp.keyed', [], { method: 'GET', url: 'ok', params });
    assert.equal(ok.code, 200);
    assert.ok(received.some((url) => url === `/app/ok?api_key=${secret}&token=${secret}`), 'the app gets the real query');

    const failures = [
      await callError('webapp.keyed', { method: 'GET', url: 'fail', params }),
      await callError('webapp.keyed.slow', { method: 'GET', url: 'slow', params }),
      await callError('webapp.keyed.down', { method: 'GET', url: 'x', params }),
      await callError('webapp.keyed', { method: 'GET', url: `../x?token=${secret}`, params }),
      await callError('webapp.keyed.auth', ['realm1', 'joe', { authmethod: 'ticket', ticket: 'joe-ticket' }]),
    ];
    assert.deepEqual(failures.map((failure) => failure.uri),
      ['junction.error.rest.http_status', 'junction.error.rest.timeout', 'junction.error.rest.connection_failed', 'junction.error.rest.bad_url', 'junction.error.rest.http_status']);
    for (const failure of failures) {
      assert.ok(!failure.text.includes(secret), failure.text);
      assert.match(failure.text, /api_key=\*\*\*\*\*/, 'the error still names the URL, masked');
    }

    const lines = logged.join('\n');
    assert.match(lines, /"level":"debug".*"url":"http:\/\/127\.0\.0\.1:\d+\/app\/ok\?api_key=\*\*\*\*\*&token=\*\*\*\*\*".*request to the app answered/);
    assert.match(lines, /"level":"warn".*request to the app failed/);
    assert.ok(!lines.includes(secret), lines);
  });
});

describe('RESTCallee: a base URL with a user name and password', () => {
  const cases = { http: `http://user:${password}@127.0.0.1:9/?api_key=${secret}`, ftp: `ftp://user:${password}@127.0.0.1:9/?api_key=${secret}`, relative: `not a url?api_key=${secret}` };
  for (const [kind, baseUrl] of Object.entries(cases)) {
    it(`is refused without showing them or a query value (${kind})`, async () => {
      const config = testConfig();
      config.components.push(component('creds', 'webapp.creds', baseUrl));
      const error = await startTestNode(config, { log: everything }).then(() => assert.fail('started'), (failure: Error) => failure);
      assert.match(error.message, /component "creds": baseurl/);
      assert.ok(!error.message.includes(password) && !error.message.includes(secret), error.message);
      assert.ok(!logged.join('\n').includes(password));
    });
  }
});
