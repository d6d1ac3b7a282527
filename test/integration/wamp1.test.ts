import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import autobahn from 'autobahn';
import WebSocket from 'ws';
import type { JunctionConfig } from '../../src/config/model.js';
import { CaptureLog } from '../auth/support/capture-log.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { startTestNode, testConfig, webSocketPath } from '../support/node.js';
import { waitFor } from '../support/wait.js';
import { Wamp1Client } from '../support/wamp1-client.js';

/**
 * WAMP v1 on the same WebSocket path as v2 (options.wamp1): a v1 client written from the v1
 * message table drives PREFIX, CALL, SUBSCRIBE, PUBLISH (excludeMe, exclude, eligible) and gets
 * CALLRESULT, CALLERROR and EVENT; v1 sessions are ordinary sessions of the realm, so they meet
 * AutobahnJS v2 sessions there.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function wamp1Config(): JunctionConfig {
  const config = testConfig();
  webSocketPath(config).options.wamp1 = { realm: 'realm1', role: 'anonymous', uris: [{ v1: 'http://example.com/form#', v2: 'com.example.form.' }], maxPrefixes: 4 };
  return config;
}

async function startNode(config = wamp1Config(), log?: CaptureLog) {
  const node = await startTestNode(config, { log });
  cleanups.push(() => node.stop());
  return node;
}

async function v1(url: string): Promise<Wamp1Client> {
  const client = await Wamp1Client.connect(url);
  cleanups.push(() => client.close());
  return client;
}

async function v2(url: string): Promise<OpenSession> {
  const client = await openAutobahn(url);
  cleanups.push(() => client.close());
  return client;
}

/** Lets messages already sent reach the router before the test looks for what did not happen. */
async function roundTrip(client: Wamp1Client): Promise<void> {
  await client.call('wamp.session.count');
}

describe('WAMP v1 (options.wamp1)', () => {
  it('welcomes a v1 client with its session ID; the session is an ordinary one of the realm, visible to the meta API', async () => {
    const node = await startNode();
    const page = await v1(node.url);
    assert.equal(page.ws.protocol, 'wamp');
    assert.match(page.sessionId, /^\d+$/);
    assert.match(page.serverIdent, /^Junction\//);
    const app = await v2(node.url);
    const details = await app.session.call('wamp.session.get', [Number(page.sessionId)]);
    assert.equal(details.authrole, 'anonymous');
    assert.equal(details.authprovider, 'wamp1');
    assert.equal(details.transport.type, 'wamp1');
    assert.match(details.transport.peer, /^tcp4:127\.0\.0\.1:\d+$/);
  });

  it('PREFIX and CALL: a CURIE and a full URI reach a v2 callee through the URI rule; CALLRESULT carries its result', async () => {
    const node = await startNode();
    const app = await v2(node.url);
    await app.session.register('com.example.form.echo', (args: unknown[], kwargs: Record<string, unknown>) => ({ args, kwargs }));
    await app.session.register('form-lock', (args: unknown[]) => new autobahn.Result([], { event: 'lock', got: args[0] }));
    const page = await v1(node.url);
    page.prefix('form', 'http://example.com/form#');
    assert.deepEqual(await page.call('form:echo', 1, 'two'), [3, 'call-1', { args: [1, 'two'], kwargs: {} }]);
    assert.deepEqual(await page.call('http://example.com/form#echo'), [3, 'call-2', { args: [], kwargs: {} }]);
    assert.deepEqual(await page.call('form-lock', { form: 'example.1' }), [3, 'call-3', { event: 'lock', got: { form: 'example.1' } }], 'a simple name is kept as it is');
  });

  it('CALLERROR: errorUri mapped back to v1, errorDesc and errorDetails from the v2 error; unknown procedures', async () => {
    const node = await startNode();
    const app = await v2(node.url);
    await app.session.register('com.example.form.lock', () => {
      throw new autobahn.Error('com.example.form.locked', ['Form was locked'], { form: 'example.1', status: 'locked' });
    });
    const page = await v1(node.url);
    page.prefix('form', 'http://example.com/form#');
    assert.deepEqual(await page.call('form:lock', { form: 'example.1' }),
      [4, 'call-1', 'http://example.com/form#locked', 'Form was locked', { form: 'example.1', status: 'locked' }]);
    const [type, , errorUri, errorDesc, errorDetails] = await page.call('nothing.here');
    assert.equal(type, 4);
    assert.equal(errorUri, 'wamp.error.no_such_procedure');
    assert.match(errorDesc as string, /nothing\.here/);
    assert.equal(errorDetails, undefined);
  });

  it('SUBSCRIBE and PUBLISH among v1 clients: the publisher left out by default, excludeMe false, exclude and eligible lists', async () => {
    const node = await startNode();
    const [a, b, c] = [await v1(node.url), await v1(node.url), await v1(node.url)];
    for (const client of [a, b, c]) client.subscribe('com.example.news');
    await Promise.all([a, b, c].map(roundTrip));

    a.publish('com.example.news', 'default');
    a.publish('com.example.news', 'with me', false);
    a.publish('com.example.news', 'not b', [b.sessionId]);
    a.publish('com.example.news', 'only c', [], [c.sessionId]);
    a.publish('com.example.news', 'c but not c', [c.sessionId], [c.sessionId]);
    await c.until(() => c.events('com.example.news').length === 4, 'c\'s four events');
    await Promise.all([a, b].map(roundTrip));
    assert.deepEqual(a.events('com.example.news'), ['with me', 'not b']);
    assert.deepEqual(b.events('com.example.news'), ['default', 'with me']);
    assert.deepEqual(c.events('com.example.news'), ['default', 'with me', 'not b', 'only c'], 'exclusion wins over eligibility ("c but not c")');

    c.unsubscribe('com.example.news');
    await roundTrip(c);
    a.publish('com.example.news', 'after unsubscribe');
    await b.until(() => b.events('com.example.news').includes('after unsubscribe'), 'b gets it');
    await roundTrip(c);
    assert.ok(!c.events('com.example.news').includes('after unsubscribe'));
  });

  it('a v1 page and an AutobahnJS v2 client exchange events and calls', async () => {
    const node = await startNode();
    const app = await v2(node.url);
    const page = await v1(node.url);
    const fromPage: unknown[][] = [];
    await app.session.subscribe('com.example.form.chat', (args: unknown[], kwargs: Record<string, unknown>) => fromPage.push([args, kwargs]));
    page.prefix('form', 'http://example.com/form#');
    page.subscribe('form:chat');
    await roundTrip(page);

    await app.session.publish('com.example.form.chat', [{ from: 'v2' }], {}, { acknowledge: true });
    await app.session.publish('com.example.form.chat', ['a', 'b'], {}, { acknowledge: true });
    await app.session.publish('com.example.form.chat', [], { k: 1 }, { acknowledge: true });
    await page.until(() => page.events('http://example.com/form#chat').length === 3, 'three events, under the URI the page subscribed with');
    assert.deepEqual(page.events('http://example.com/form#chat'), [{ from: 'v2' }, ['a', 'b'], { k: 1 }]);

    page.publish('form:chat', { from: 'v1' });
    await waitFor(() => fromPage.length === 1, 'the page\'s event at the v2 client');
    assert.deepEqual(fromPage, [[[{ from: 'v1' }], {}]]);

    await app.session.register('com.example.form.add', (args: number[]) => args[0]! + args[1]!);
    assert.deepEqual(await page.call('form:add', 2, 3), [3, 'call-2', 5]);
  });

  it('closes the connection (1008) with the reason for a protocol violation, a message nested too deep or too many prefixes; others are unaffected', async () => {
    const node = await startNode();
    const other = await v1(node.url);
    const cases: [unknown, RegExp][] = [
      ['not json', /not JSON/],
      [[9, 'x'], /unknown or server-only WAMP v1 message type 9/],
      [[2, 'c1'], /CALL: the procedure URI must be a non-empty string/],
      [[7, 'com.example.t', 'e', ['ok'], 'x'], /eligible must be a list of session IDs/],
      // The issue-11 payload: 1,500 levels, refused at the door like a v2 message.
      [`[7,"com.example.t",${'['.repeat(1500)}${']'.repeat(1500)}]`, /more than 100 levels deep/],
    ];
    for (const [message, reason] of cases) {
      const page = await v1(node.url);
      const closed = new Promise<{ code: number; reason: string }>((resolve) => page.ws.once('close', (code, why) => resolve({ code, reason: String(why) })));
      page.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
      const { code, reason: why } = await closed;
      assert.equal(code, 1008);
      assert.match(why, reason);
    }
    const page = await v1(node.url);
    const closed = new Promise<string>((resolve) => page.ws.once('close', (_code, why) => resolve(String(why))));
    for (let i = 0; i < 5; i++) page.prefix(`p${i}`, `http://example.com/${i}#`);
    assert.match(await closed, /more than 4 prefixes/);
    assert.equal(node.metrics.counter('junction_wamp1_prefix_limit_closed_total', '').value(), 1);
    assert.deepEqual((await other.call('wamp.session.count'))[0], 3, 'the other v1 client still works');
  });

  it('logs a connection\'s refused subscriptions (v1 cannot be told) at most once per 10 s, with the count, not once per message', async () => {
    const log = new CaptureLog();
    const node = await startNode(wamp1Config(), log);
    const page = await v1(node.url);
    for (let i = 0; i < 20; i++) page.subscribe(`not a uri ${i}`);
    await roundTrip(page);
    const refusals = log.lines.filter((line) => /WAMP v1 subscription refused/.test(line.message));
    assert.equal(refusals.length, 1);
    assert.match(String(refusals[0]!.fields.reason), /not a valid URI/);
  });

  it('acts on nothing the client sent after the message that closed its connection: counted and warned once, nothing routed', async () => {
    const node = await startNode();
    const listener = await v1(node.url);
    listener.subscribe('com.example.news');
    await roundTrip(listener);
    const page = await v1(node.url);
    const closed = new Promise<string>((resolve) => page.ws.once('close', (_code, why) => resolve(String(why))));
    // One burst: the fifth PREFIX passes max_prefixes (4); what follows arrives before the close completes.
    for (let i = 0; i < 7; i++) page.prefix(`p${i}`, `http://example.com/${i}#`);
    page.publish('com.example.news', 'after the close', false);
    assert.match(await closed, /more than 4 prefixes/);
    await roundTrip(listener);
    assert.equal(node.metrics.counter('junction_wamp1_prefix_limit_closed_total', '').value(), 1);
    assert.deepEqual(listener.events('com.example.news'), []);
  });

  it('closes a v1 connection that opens while the router shuts down with 1001 (going away) and the router\'s reason, not as an internal error', async () => {
    const node = await startNode();
    await node.router.shutdown(0);
    const ws = new WebSocket(node.url, 'wamp');
    const frames: string[] = [];
    ws.on('message', (data) => frames.push(String(data)));
    // ws gives up on a closing handshake after 30 s (closeTimeout) and then drops the connection:
    // a close before half of that is the router completing the handshake, not the timeout ending it.
    const handshakeBound = 15_000;
    const closed = await new Promise<{ code: number; reason: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no close within ${handshakeBound} ms: the router never read the client's closing frame`)), handshakeBound);
      ws.once('close', (code, why) => {
        clearTimeout(timer);
        resolve({ code, reason: String(why) });
      });
    });
    assert.equal(closed.code, 1001);
    assert.match(closed.reason, /could not join: wamp\.close\.system_shutdown: the router is shutting down/);
    assert.deepEqual(frames, [], 'no WELCOME');
  });

  it('refuses the "wamp" subprotocol where options.wamp1 is absent, as before', async () => {
    const node = await startNode(testConfig());
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(node.url, ['wamp']);
      ws.on('unexpected-response', (_request, response) => resolve(response.statusCode!));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    assert.equal(refused, 400);
  });
});
