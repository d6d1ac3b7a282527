import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { RestCalleeSettings } from '../../src/node/bridge/rest-callee/component.js';
import { refusal, signIn } from '../auth/support/sign-in.js';
import { openAutobahn } from '../support/autobahn.js';
import { startTestNode, testConfig, webSocketPath } from '../support/node.js';

/**
 * The recipe of docs/rest-procedures.md: a realm's ticket sign-in decided by a plain HTTP app
 * with no WAMP code in it. A RESTCallee in authenticator mode registers the dynamic
 * authenticator; each sign-in becomes one POST to the app, which answers with the principal
 * (200) or refuses (401 / 403).
 */

const routerKey = 'router-to-app-shared-key';
const asked: { headers: IncomingMessage['headers']; body: Record<string, any> }[] = [];

/** The app's sign-in endpoint, as a PHP or Flask app would write it. */
function app(request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const answer = (status: number, body: unknown, type = 'application/json') => response.writeHead(status, { 'content-type': type }).end(typeof body === 'string' ? body : JSON.stringify(body));
    if (request.method !== 'POST' || request.url !== '/auth') return answer(404, { error: 'not found' });
    if (request.headers['x-router-key'] !== routerKey) return answer(403, { error: 'not from our router' });
    const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, any>;
    asked.push({ headers: request.headers, body });
    switch (body.authid) {
      case 'broken': return answer(500, { error: 'database down' });
      case 'garbled': return answer(200, 'welcome!', 'text/plain');
      case 'renamed': return answer(200, { role: 'user', authid: 'renamed-by-app' });
      default:
        if (body.ticket !== `${body.authid}-secret`) return answer(401, { error: 'wrong ticket' });
        return answer(200, { role: 'user', extra: { plan: 'gold' } });
    }
  });
}

let server: Server;
let node: Awaited<ReturnType<typeof startTestNode>>;
let url: string;

before(async () => {
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const config = testConfig();
  config.signIn.failureBudget = 100; // this test fails on purpose more often than a real client would
  config.realms[0]!.roles.push({
    name: 'user',
    permissions: [{ uri: 'com.example.', match: 'prefix', cache: true, allow: { call: true, register: false, publish: true, subscribe: true }, disclose: { caller: false, publisher: false } }],
  });
  config.listeners[0]!.paths['/members'] = { ...webSocketPath(config), auth: { ticket: { type: 'dynamic', authenticator: 'com.example.authenticate' } } };
  const authenticator: RestCalleeSettings = {
    kind: 'rest-callee', id: 'sign-in', realm: 'realm1', procedure: 'com.example.authenticate',
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth`,
    headers: { 'X-Router-Key': routerKey }, timeoutMs: 5_000, errorOn4xx: false, errorOn5xx: false, maxResponseBytes: 65_536,
    authenticator: true,
  };
  config.components.push(authenticator);
  node = await startTestNode(config);
  url = node.url.replace(/\/ws$/, '/members');
});

after(async () => {
  await node?.stop();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

const ticket = (value: string) => () => value;

describe('dynamic authenticator through HTTP', () => {
  it('welcomes a client whose ticket the app accepts, with the role and extra the app answered', async () => {
    const joe = await signIn(url, { authmethods: ['ticket'], authid: 'joe', onchallenge: ticket('joe-secret') });
    assert.deepEqual(
      [joe.details.authid, joe.details.authrole, joe.details.authmethod, joe.details.authprovider, joe.details.authextra],
      ['joe', 'user', 'ticket', 'dynamic', { plan: 'gold' }],
    );
    await joe.close();
  });

  it('posts {realm, authid, authmethod, ticket, details} as JSON, with the configured headers', async () => {
    const ann = await signIn(url, { authmethods: ['ticket'], authid: 'ann', authextra: { device: 'phone' }, onchallenge: ticket('ann-secret') });
    await ann.close();
    const { headers, body } = asked.at(-1)!;
    assert.equal(headers['content-type'], 'application/json');
    assert.deepEqual([body.realm, body.authid, body.authmethod, body.ticket], ['realm1', 'ann', 'ticket', 'ann-secret']);
    assert.equal(body.details.ticket, undefined, 'the ticket is given once, at the top');
    assert.deepEqual(body.details.authextra, { device: 'phone' });
    assert.equal(typeof body.details.session, 'number');
    assert.equal(typeof body.details.transport, 'object');
  });

  it('lets the app choose the authid', async () => {
    const renamed = await signIn(url, { authmethods: ['ticket'], authid: 'renamed', onchallenge: ticket('anything') });
    assert.equal(renamed.details.authid, 'renamed-by-app');
    await renamed.close();
  });

  it('refuses the client when the app answers 401 or 403', async () => {
    const wrong = await refusal(signIn(url, { authmethods: ['ticket'], authid: 'joe', onchallenge: ticket('guess') }));
    assert.equal(wrong.reason, 'wamp.error.authentication_failed');
    assert.deepEqual([asked.at(-1)!.body.authid, asked.at(-1)!.body.ticket], ['joe', 'guess'], 'the app decided');
  });

  it('refuses the client when the app fails or answers something that is not a principal', async () => {
    for (const authid of ['broken', 'garbled']) {
      const refused = await refusal(signIn(url, { authmethods: ['ticket'], authid, onchallenge: ticket(`${authid}-secret`) }));
      assert.equal(refused.reason, 'wamp.error.authentication_failed', authid);
      assert.equal(asked.at(-1)!.body.authid, authid, 'the app was asked');
    }
  });

  it('answers the router with an error URI that says why (seen by calling the procedure directly)', async () => {
    const backend = await openAutobahn(node.url);
    const outcome = async (authid: string, secret: string) => {
      try {
        return await backend.session.call('com.example.authenticate', ['realm1', authid, { authmethod: 'ticket', ticket: secret }]);
      } catch (error) {
        const failure = error as { error: string; kwargs: { status?: number } };
        return [failure.error, failure.kwargs.status];
      }
    };
    assert.deepEqual(await outcome('joe', 'joe-secret'), { role: 'user', extra: { plan: 'gold' } });
    assert.deepEqual(await outcome('joe', 'guess'), ['junction.error.rest.denied', 401]);
    assert.deepEqual(await outcome('broken', 'x'), ['junction.error.rest.http_status', 500]);
    assert.deepEqual(await outcome('garbled', 'x'), ['junction.error.rest.bad_answer', 200]);
    await backend.close();
  });
});
