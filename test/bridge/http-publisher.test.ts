import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { debianNeed, skipWithoutDebian } from '../support/debian.js';
import { startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';
import { bridgeConfig, bridgeDefaults, EventLog, post } from './http-support.js';

/** The HTTP publisher end to end: a POST reaches AutobahnJS subscribers; every bad request gets its precise 4xx. */

const config = bridgeConfig({
  '/publish': { type: 'publisher', realm: 'realm1', role: 'anonymous', options: bridgeDefaults },
  '/publish-denied': { type: 'publisher', realm: 'realm1', role: 'listener', options: bridgeDefaults },
});
const node = await startTestNode(config);
const base = `http://127.0.0.1:${node.ports.get('test')}`;
const publish = `${base}/publish`;
let alice: OpenSession;
let bob: OpenSession;

before(async () => {
  alice = await openAutobahn(node.url);
  bob = await openAutobahn(node.url);
});

after(async () => {
  await alice?.close();
  await bob?.close();
  await node.stop();
});

describe('HTTP publisher', () => {
  it('publishes args to an AutobahnJS subscriber and answers with the publication id', async () => {
    const events = await EventLog.subscribe(alice.session, 'some_channel');
    const answer = await post(publish, { topic: 'some_channel', args: [{ foo: 'bar' }] });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    const event = await events.next();
    assert.deepEqual(event.args, [{ foo: 'bar' }]);
    assert.deepEqual(answer.json, { id: event.details.publication });
  });

  it('works with the curl command line from the issue', { skip: skipWithoutDebian('curl') }, async () => {
    const events = await EventLog.subscribe(alice.session, 'com.myapp.topic1');
    const { stdout } = await promisify(execFile)(debianNeed('curl').file, ['-s', '-H', 'Content-Type: application/json',
      '-d', '{"topic": "com.myapp.topic1", "args": [{"foo": "bar"}], "kwargs": {"n": 1}}', publish]);
    const event = await events.next();
    assert.deepEqual([event.args, event.kwargs], [[{ foo: 'bar' }], { n: 1 }]);
    assert.deepEqual(JSON.parse(stdout), { id: event.details.publication });
  });

  it('honours eligible and exclude (session IDs) and exclude_authrole', async () => {
    const atAlice = await EventLog.subscribe(alice.session, 'com.example.filtered');
    const atBob = await EventLog.subscribe(bob.session, 'com.example.filtered');
    const topic = 'com.example.filtered';
    assert.equal((await post(publish, { topic, args: ['for alice'], options: { eligible: [alice.session.id] } })).status, 200);
    assert.equal((await post(publish, { topic, args: ['not for alice'], options: { exclude: [alice.session.id] } })).status, 200);
    assert.equal((await post(publish, { topic, args: ['for nobody'], options: { exclude_authrole: ['anonymous'] } })).status, 200);
    assert.equal((await post(publish, { topic, args: ['for all'] })).status, 200);
    await atAlice.next();
    await atAlice.next();
    await atBob.next();
    await atBob.next();
    assert.deepEqual(atAlice.events.map((event) => event.args[0]), ['for alice', 'for all']);
    assert.deepEqual(atBob.events.map((event) => event.args[0]), ['not for alice', 'for all']);
  });

  it('retains an event when asked, for subscribers that come later', async () => {
    const answer = await post(publish, { topic: 'com.example.status', args: ['green'], options: { retain: true } });
    assert.equal(answer.status, 200);
    const late = await EventLog.subscribe(bob.session, 'com.example.status', { get_retained: true });
    const event = await late.next();
    assert.deepEqual([event.args, event.details.publication], [['green'], answer.json.id]);
  });

  it('answers 403 with the router\'s reason when the role may not publish', async () => {
    const answer = await post(`${base}/publish-denied`, { topic: 'com.example.secret', args: [1] });
    assert.equal(answer.status, 403);
    assert.equal(answer.json.error, 'wamp.error.not_authorized');
    assert.match(answer.json.message, /com\.example\.secret/);
  });

  describe('bad requests', () => {
    const cases: { name: string; body: unknown; headers?: Record<string, string>; method?: string; status: number; error: string; message: RegExp }[] = [
      { name: 'not JSON', body: '{"topic": "a"', status: 400, error: 'invalid_json', message: /^the body is not valid JSON: / },
      { name: 'not UTF-8', body: new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]), status: 400, error: 'invalid_utf8', message: /UTF-8/ },
      { name: 'not an object', body: '["some_channel"]', status: 400, error: 'not_an_object', message: /must be a JSON object, not a list/ },
      { name: 'missing topic', body: { args: [1] }, status: 400, error: 'missing_field', message: /no "topic"/ },
      { name: 'topic not a string', body: { topic: ['a'] }, status: 400, error: 'invalid_field', message: /"topic" must be a string, not a list/ },
      { name: 'invalid URI (strict realm)', body: { topic: 'some-channel' }, status: 400, error: 'invalid_uri', message: /"topic" "some-channel" is not a valid URI/ },
      { name: 'reserved wamp. topic', body: { topic: 'wamp.session.on_join' }, status: 400, error: 'wamp.error.invalid_uri', message: /reserved/ },
      { name: 'args not a list', body: { topic: 'a', args: 'x' }, status: 400, error: 'invalid_field', message: /"args" must be a list, not a string/ },
      { name: 'kwargs not an object', body: { topic: 'a', kwargs: [1] }, status: 400, error: 'invalid_field', message: /"kwargs" must be an object, not a list/ },
      { name: 'options not an object', body: { topic: 'a', options: true }, status: 400, error: 'invalid_field', message: /"options" must be an object/ },
      { name: 'unknown option', body: { topic: 'a', options: { acknowledge: false } }, status: 400, error: 'unknown_option', message: /"acknowledge"/ },
      { name: 'option of the wrong type', body: { topic: 'a', options: { eligible: 'me' } }, status: 400, error: 'invalid_option', message: /"eligible" must be a list of session IDs/ },
      { name: 'unknown field', body: { topic: 'a', arg: [] }, status: 400, error: 'unknown_field', message: /"arg"/ },
      { name: 'wrong content type', body: 'topic=a', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, error: 'unsupported_content_type', message: /application\/json/ },
      { name: 'wrong method', body: undefined, method: 'GET', status: 405, error: 'method_not_allowed', message: /GET is not accepted/ },
    ];
    for (const { name, body, headers, method, status, error, message } of cases) {
      it(`${name}: ${status} ${error}`, async () => {
        const answer = await post(publish, body, { headers, method });
        assert.equal(answer.status, status, answer.text);
        assert.equal(answer.json.error, error);
        assert.match(answer.json.message, message);
      });
    }

    it('answers a CORS-less OPTIONS with the allowed methods', async () => {
      const answer = await post(publish, undefined, { method: 'OPTIONS' });
      assert.equal(answer.status, 204);
      assert.equal(answer.headers.get('allow'), 'POST, PUT, OPTIONS');
    });
  });

  it('counts accepted and refused requests by path and reason', () => {
    const text = node.metrics.exposition();
    assert.match(text, /junction_http_bridge_requests_total\{outcome="accepted",path="\/publish",service="publisher"\} [1-9]/);
    assert.match(text, /junction_http_bridge_requests_total\{outcome="invalid_json",path="\/publish",service="publisher"\} 1/);
    assert.match(text, /junction_http_bridge_requests_total\{outcome="not_authorized",path="\/publish-denied",service="publisher"\} 1/);
  });

  it('fails the node\'s start when its realm does not exist, naming the path', async () => {
    const broken = bridgeConfig({ '/elsewhere': { type: 'publisher', realm: 'nowhere', role: 'anonymous', options: bridgeDefaults } });
    await assert.rejects(startTestNode(broken), /transport "test" path "\/elsewhere": realm "nowhere" is not configured/);
  });

  it('joins again when its router session is killed', async () => {
    const ids: number[] = await alice.session.call('wamp.session.list');
    let bridge: number | undefined;
    for (const id of ids) {
      const details = await alice.session.call('wamp.session.get', [id]);
      if (details.authid === 'http-publisher' && details.authrole === 'anonymous') bridge = id;
    }
    assert.ok(bridge, 'the bridge session is listed by the meta API');
    await alice.session.call('wamp.session.kill', [bridge]);
    await waitFor(() => node.router.realm('realm1')?.session(bridge!) === undefined, 'the bridge session to close');
    const events = await EventLog.subscribe(bob.session, 'com.example.after_kill');
    const answer = await post(publish, { topic: 'com.example.after_kill', args: ['still here'] });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual((await events.next()).args, ['still here']);
  });
});
