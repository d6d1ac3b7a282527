import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RawClient } from '../support/raw-client.js';
import { startTestNode, testConfig, webSocketPath } from '../support/node.js';
import { addRawSocketListener } from '../transport/rawsocket-support.js';
import { RawSocketClient } from '../transport/rawsocket-client.js';

/**
 * What other routers' clients expect of us, over real transports: Crossbar's "everything"
 * subscription, empty URIs answered rather than aborted, and several sessions one after another
 * on one connection (GOODBYE, then a new HELLO).
 */

// Short, for the test that waits for it; long enough that a loaded machine's client sends HELLO in time
// (400 ms failed a run at load 15).
const HANDSHAKE_TIMEOUT_MS = 2_000;
const config = testConfig({ openHandshakeTimeout: HANDSHAKE_TIMEOUT_MS });
const realm = config.realms[0]!;
realm.roles.push({
  name: 'limited',
  permissions: [{
    uri: 'com.', match: 'prefix', cache: true,
    allow: { call: true, register: true, publish: true, subscribe: true },
    disclose: { caller: false, publisher: false },
  }],
});
const everythingPath = webSocketPath(config);
config.listeners[0]!.paths['/limited'] = { ...everythingPath, auth: { anonymous: { type: 'static', role: 'limited' } } };
addRawSocketListener(config, 'raw', { openHandshakeTimeout: HANDSHAKE_TIMEOUT_MS });

const node = await startTestNode(config);
after(() => node.stop());
const limitedUrl = node.url.replace(/\/ws$/, '/limited');
const rawPort = node.ports.get('raw')!;

const T = { HELLO: 1, WELCOME: 2, ABORT: 3, GOODBYE: 6, ERROR: 8, PUBLISH: 16, PUBLISHED: 17, SUBSCRIBE: 32, SUBSCRIBED: 33, EVENT: 36, CALL: 48, RESULT: 50, REGISTER: 64 } as const;

async function joined(url = node.url): Promise<RawClient> {
  const client = await RawClient.open(url);
  const welcome = await client.hello();
  assert.equal(welcome[0], T.WELCOME, JSON.stringify(welcome));
  return client;
}

/** The reply to request `request` (answer types SUBSCRIBED, ERROR...). */
const replyTo = (request: number) => (message: unknown[]): boolean => message[1] === request || (message[0] === T.ERROR && message[2] === request);

describe('the "everything" subscription: "" with match prefix', () => {
  it('is allowed for a role with a permission on the empty prefix, and gets every event with its topic', async () => {
    const subscriber = await joined();
    subscriber.send([T.SUBSCRIBE, 1, { match: 'prefix' }, '']);
    const subscribed = await subscriber.next(replyTo(1));
    assert.equal(subscribed[0], T.SUBSCRIBED, JSON.stringify(subscribed));
    subscriber.send([T.CALL, 9, {}, 'wamp.subscription.lookup', ['', { match: 'prefix' }]]);
    assert.deepEqual((await subscriber.next(replyTo(9)))[3], [subscribed[2]], 'the meta API finds it too');
    const publisher = await joined();
    publisher.send([T.PUBLISH, 2, { acknowledge: true }, 'any.topic', ['a']]);
    publisher.send([T.PUBLISH, 3, { acknowledge: true }, 'com.other', ['b']]);
    await publisher.next(replyTo(3));
    // It sees the meta API's events too (wamp.subscription.on_create...): that is what Crossbar's meta example wants.
    const application = (m: unknown[]): boolean => m[0] === T.EVENT && !String((m[3] as { topic: string }).topic).startsWith('wamp.');
    const first = await subscriber.next(application);
    const second = await subscriber.next(application);
    assert.ok(subscriber.messages.some((m) => m[0] === T.EVENT && (m[3] as { topic: string }).topic === 'wamp.subscription.on_create'));
    assert.deepEqual([first[3], first[4]], [{ topic: 'any.topic' }, ['a']]);
    assert.deepEqual([second[3], second[4]], [{ topic: 'com.other' }, ['b']]);
    subscriber.close();
    publisher.close();
  });

  it('is refused with ERROR not_authorized (not an abort) for a role allowed only below "com."', async () => {
    const client = await joined(limitedUrl);
    client.send([T.SUBSCRIBE, 1, { match: 'prefix' }, '']);
    const refused = await client.next(replyTo(1));
    assert.deepEqual(refused.slice(0, 5), [T.ERROR, T.SUBSCRIBE, 1, {}, 'wamp.error.not_authorized']);
    client.send([T.SUBSCRIBE, 2, { match: 'prefix' }, 'com.']);
    assert.equal((await client.next(replyTo(2)))[0], T.SUBSCRIBED, 'the session keeps working');
    client.close();
  });

  it('is only for prefix: "" exact or wildcard is an invalid URI', async () => {
    const client = await joined();
    client.send([T.SUBSCRIBE, 1, {}, '']);
    client.send([T.SUBSCRIBE, 2, { match: 'wildcard' }, '']);
    for (const request of [1, 2]) {
      const refused = await client.next(replyTo(request));
      assert.deepEqual(refused.slice(0, 5), [T.ERROR, T.SUBSCRIBE, request, {}, 'wamp.error.invalid_uri']);
    }
    client.close();
  });
});

describe('an empty URI is answered, not aborted', () => {
  it('CALL, REGISTER and acknowledged PUBLISH get ERROR invalid_uri; the session keeps working', async () => {
    const client = await joined();
    client.send([T.CALL, 1, {}, '']);
    client.send([T.REGISTER, 2, {}, '']);
    client.send([T.REGISTER, 3, { match: 'prefix' }, '']);
    client.send([T.PUBLISH, 4, { acknowledge: true }, '']);
    client.send([T.PUBLISH, 5, {}, '']);
    for (const [request, type] of [[1, T.CALL], [2, T.REGISTER], [3, T.REGISTER], [4, T.PUBLISH]] as const) {
      const refused = await client.next(replyTo(request));
      assert.deepEqual(refused.slice(0, 5), [T.ERROR, type, request, {}, 'wamp.error.invalid_uri'], JSON.stringify(refused));
      assert.match(String((refused[5] as unknown[])[0]), /empty string is not a valid URI/);
    }
    client.send([T.SUBSCRIBE, 6, {}, 'still.here']);
    assert.equal((await client.next(replyTo(6)))[0], T.SUBSCRIBED);
    assert.equal(client.messages.length, 0, 'an unacknowledged PUBLISH to "" gets no reply');
    client.close();
  });

  it('HELLO with an empty realm gets ABORT invalid_uri', async () => {
    const client = await RawClient.open(node.url);
    client.send([T.HELLO, '', { roles: { subscriber: {} } }]);
    const abort = await client.next();
    assert.deepEqual(abort.slice(0, 1).concat(abort.slice(2)), [T.ABORT, 'wamp.error.invalid_uri']);
    await client.closed;
  });
});

describe('a new HELLO after GOODBYE on the same connection (a session series)', () => {
  it('WebSocket: GOODBYE is answered, the connection stays open, and a new session starts', async () => {
    const client = await joined();
    client.send([T.SUBSCRIBE, 1, {}, 'series.topic']);
    await client.next(replyTo(1));
    client.send([T.GOODBYE, {}, 'wamp.close.close_realm']);
    assert.deepEqual(await client.next(), [T.GOODBYE, {}, 'wamp.close.normal']);
    const welcome = await client.hello();
    assert.equal(welcome[0], T.WELCOME);
    client.send([T.CALL, 2, {}, 'wamp.subscription.lookup', ['series.topic']]);
    const lookup = await client.next(replyTo(2));
    assert.deepEqual(lookup.slice(0, 1).concat(lookup.slice(3)), [T.RESULT, [null]], 'the first session\'s subscription ended with it');
    assert.equal(client.closeCode, undefined);
    client.close();
  });

  it('WebSocket: a HELLO sent right behind GOODBYE is not lost', async () => {
    const client = await joined();
    client.send([T.GOODBYE, {}, 'wamp.close.close_realm']);
    client.send([T.HELLO, 'realm1', { roles: { subscriber: {} } }]);
    assert.equal((await client.next((m) => m[0] === T.GOODBYE))[2], 'wamp.close.normal');
    assert.equal((await client.next((m) => m[0] === T.WELCOME))[0], T.WELCOME);
    client.close();
  });

  it('WebSocket: after GOODBYE, a connection that sends no HELLO is closed at the handshake timeout, without ABORT', async () => {
    const client = await joined();
    client.send([T.GOODBYE, {}, 'wamp.close.close_realm']);
    await client.closed;
    assert.deepEqual(client.messages, [[T.GOODBYE, {}, 'wamp.close.normal']]);
    assert.equal(client.closeCode, 1000);
  });

  it('WebSocket: after GOODBYE, anything but HELLO is a violation of the new session', async () => {
    const client = await joined();
    client.send([T.GOODBYE, {}, 'wamp.close.close_realm']);
    await client.next((m) => m[0] === T.GOODBYE);
    client.send([T.PUBLISH, 1, {}, 'too.late']);
    const abort = await client.next((m) => m[0] === T.ABORT);
    assert.deepEqual([abort[1], abort[2]], [{ message: 'PUBLISH received before HELLO' }, 'wamp.error.protocol_violation']);
    await client.closed;
  });

  it('RawSocket: GOODBYE, then a new HELLO gets a new session on the same connection', async () => {
    const client = await RawSocketClient.open({ port: rawPort });
    const first = await client.hello();
    assert.equal(first[0], T.WELCOME);
    client.send([T.GOODBYE, {}, 'wamp.close.close_realm']);
    assert.deepEqual(await client.next(), [T.GOODBYE, {}, 'wamp.close.normal']);
    const second = await client.hello();
    assert.equal(second[0], T.WELCOME);
    assert.notEqual(second[1], first[1], 'a new session ID');
    client.send([T.PUBLISH, 1, { acknowledge: true }, 'series.raw']);
    assert.equal((await client.next())[0], T.PUBLISHED);
    client.close();
  });
});
