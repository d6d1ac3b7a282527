import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import autobahn from 'autobahn';
import { InternalSession } from '../../src/router/internal-session.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';
import { bridgeConfig, bridgeDefaults, post } from './http-support.js';

/** The HTTP caller end to end against procedures registered by AutobahnJS. */

const config = bridgeConfig({
  '/call': { type: 'caller', realm: 'realm1', role: 'anonymous', options: bridgeDefaults, maxTimeoutMs: 60_000 },
  '/call-denied': { type: 'caller', realm: 'realm1', role: 'listener', options: bridgeDefaults, maxTimeoutMs: 60_000 },
  '/call-short': { type: 'caller', realm: 'realm1', role: 'anonymous', options: bridgeDefaults, maxTimeoutMs: 200 },
});
const node = await startTestNode(config);
const base = `http://127.0.0.1:${node.ports.get('test')}`;
const call = `${base}/call`;
let callee: OpenSession;
const held: (() => void)[] = [];

before(async () => {
  callee = await openAutobahn(node.url);
  const session = callee.session;
  await session.register('com.example.add2', (args: number[]) => args[0]! + args[1]!);
  await session.register('com.example.split', (args: string[], kwargs: { separator?: string }) =>
    new autobahn.Result(args[0]!.split(kwargs.separator ?? ' '), { count: args[0]!.split(kwargs.separator ?? ' ').length }));
  await session.register('com.example.nothing', () => undefined);
  await session.register('com.example.totals', () => new autobahn.Result([], { total: 7 }));
  await session.register('com.example.fail', () => {
    throw new autobahn.Error('com.example.error.out_of_stock', ['no more apples'], { item: 'apple' });
  });
  await session.register('com.example.slow', () => new Promise<string>((resolve) => held.push(() => resolve('late'))));
});

after(async () => {
  for (const release of held) release();
  await callee?.close();
  await node.stop();
});

describe('HTTP caller', () => {
  it('answers a single result as {"args": [result]}', async () => {
    const answer = await post(call, { procedure: 'com.example.add2', args: [1, 2] });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, { args: [3] });
  });

  it('answers several results with their kwargs', async () => {
    const answer = await post(call, { procedure: 'com.example.split', args: ['a,b,c'], kwargs: { separator: ',' } });
    assert.deepEqual(answer.json, { args: ['a', 'b', 'c'], kwargs: { count: 3 } });
  });

  it('answers a result of kwargs only as {"kwargs": {...}}, without empty args, as Crossbar', async () => {
    assert.deepEqual((await post(call, { procedure: 'com.example.totals' })).json, { kwargs: { total: 7 } });
  });

  it('answers exactly the args the callee yielded (AutobahnJS yields [null] for a function without a result)', async () => {
    assert.deepEqual((await post(call, { procedure: 'com.example.nothing' })).json, { args: [null] });
  });

  it('answers a callee\'s error as {"error", "args", "kwargs"} with status 200, as Crossbar', async () => {
    const answer = await post(call, { procedure: 'com.example.fail' });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, { error: 'com.example.error.out_of_stock', args: ['no more apples'], kwargs: { item: 'apple' } });
  });

  it('answers an unknown procedure with wamp.error.no_such_procedure', async () => {
    const answer = await post(call, { procedure: 'com.example.missing' });
    assert.equal(answer.status, 200);
    assert.equal(answer.json.error, 'wamp.error.no_such_procedure');
  });

  it('answers 403 when the role may not call', async () => {
    const answer = await post(`${base}/call-denied`, { procedure: 'com.example.add2', args: [1, 2] });
    assert.equal(answer.status, 403);
    assert.equal(answer.json.error, 'wamp.error.not_authorized');
    assert.match(answer.json.message, /com\.example\.add2/);
  });

  it('answers 504 wamp.error.timeout when the call outlives options.timeout', async () => {
    const answer = await post(call, { procedure: 'com.example.slow', options: { timeout: 50 } });
    assert.equal(answer.status, 504);
    assert.equal(answer.json.error, 'wamp.error.timeout');
    assert.match(answer.json.message, /com\.example\.slow/);
  });

  it('applies the service\'s maxTimeoutMs: the timeout of a call that asks for none, and the most one may ask for', async () => {
    const unbounded = await post(`${base}/call-short`, { procedure: 'com.example.slow' });
    assert.equal(unbounded.status, 504);
    assert.equal(unbounded.json.error, 'wamp.error.timeout');
    const tooLong = await post(`${base}/call-short`, { procedure: 'com.example.add2', args: [1, 2], options: { timeout: 201 } });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.json.error, 'invalid_option');
    assert.match(tooLong.json.message, /"timeout" is 201 ms; this service allows at most 200 ms/);
    assert.deepEqual((await post(`${base}/call-short`, { procedure: 'com.example.add2', args: [1, 2], options: { timeout: 200 } })).json, { args: [3] });
  });

  it('cancels the call when the client leaves before the answer: the callee is interrupted', { timeout: 10_000 }, async () => {
    // An internal session as callee: its handler sees the INTERRUPT as an aborted signal.
    const watcher = await InternalSession.join(node.router.attach.bind(node.router), 'realm1', { authid: 'watcher', authrole: 'anonymous' });
    let reached!: () => void;
    const invoked = new Promise<void>((resolve) => (reached = resolve));
    let interruptedWith!: (reason: unknown) => void;
    const interrupted = new Promise<unknown>((resolve) => (interruptedWith = resolve));
    await watcher.register('com.example.watched', (_args, _kwargs, _details, signal) => new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => {
        interruptedWith(signal.reason);
        reject(signal.reason);
      });
      reached();
    }));
    const request = httpRequest(call, { method: 'POST', headers: { 'content-type': 'application/json' } });
    request.on('error', () => {});
    request.end(JSON.stringify({ procedure: 'com.example.watched', options: { timeout: 60_000 } }));
    await invoked;
    request.destroy();
    assert.ok(await interrupted, 'the callee was interrupted long before the call\'s timeout');
    const gone = /junction_http_bridge_requests_total\{outcome="client_gone",path="\/call",service="caller"\} 1/;
    await waitFor(() => gone.test(node.metrics.exposition()), 'the caller to count the departed client');
    watcher.leave();
  });

  describe('bad requests', () => {
    const cases: { name: string; body: unknown; error: string; message: RegExp }[] = [
      { name: 'missing procedure', body: { args: [1] }, error: 'missing_field', message: /no "procedure"/ },
      { name: 'procedure not a string', body: { procedure: 12 }, error: 'invalid_field', message: /"procedure" must be a string, not a number/ },
      { name: 'invalid procedure URI', body: { procedure: 'com..add' }, error: 'invalid_uri', message: /"procedure" "com..add" is not a valid URI/ },
      { name: 'unknown option', body: { procedure: 'com.example.add2', options: { disclose_me: true } }, error: 'unknown_option', message: /"disclose_me"/ },
      { name: 'timeout not a number', body: { procedure: 'com.example.add2', options: { timeout: '5s' } }, error: 'invalid_option', message: /"timeout" must be a whole number of milliseconds/ },
      { name: 'timeout above the limit', body: { procedure: 'com.example.add2', options: { timeout: 3_600_000 } }, error: 'invalid_option', message: /at most 60000 ms/ },
      { name: 'topic instead of procedure', body: { topic: 'com.example.add2' }, error: 'unknown_field', message: /"topic"/ },
    ];
    for (const { name, body, error, message } of cases) {
      it(`${name}: 400 ${error}`, async () => {
        const answer = await post(call, body);
        assert.equal(answer.status, 400, answer.text);
        assert.equal(answer.json.error, error);
        assert.match(answer.json.message, message);
      });
    }
  });
});
