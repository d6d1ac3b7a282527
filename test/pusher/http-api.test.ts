import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { API_TIMESTAMP_TOLERANCE_S } from '../../src/transport/pusher/http-api.js';
import { CloseCode } from '../../src/transport/pusher/protocol.js';
import { openAutobahn } from '../support/autobahn.js';
import { waitFor } from '../support/wait.js';
import { APP, connected, once, pusherClient, pusherConfig, pusherFixture, removeDir, serverSdk, startPusherNode, type PusherClient } from './support.js';

/** Every HTTP API call through the official `pusher` SDK, unchanged, plus the signature's refusals. */
describe('pusher HTTP API with the pusher SDK', () => {
  const fx = pusherFixture();
  const client = (user = '1'): PusherClient => fx.track(pusherClient(fx.server.port, {
    channelAuthorization: { endpoint: fx.auth.url, transport: 'ajax', headers: { 'X-User': user } },
    userAuthentication: { endpoint: fx.auth.userUrl, transport: 'ajax', headers: { 'X-User': user } },
  }));
  const json = async (response: { json(): Promise<unknown> }): Promise<any> => response.json();

  it('trigger: several channels, socket_id exclusion, info', async () => {
    const alice = client();
    const bob = client();
    const [aliceSocket] = await Promise.all([connected(alice), connected(bob)]);
    const aliceNews = alice.subscribe('news');
    const bobNews = bob.subscribe('news');
    const bobSport = bob.subscribe('sport');
    await Promise.all([aliceNews, bobNews, bobSport].map((channel) => once(channel, 'pusher:subscription_succeeded')));
    const aliceGot: unknown[] = [];
    aliceNews.bind('update', (data: unknown) => aliceGot.push(data));
    const atBob = [once(bobNews, 'update'), once(bobSport, 'update')];

    const sdk = serverSdk(fx.server.port);
    const response = await sdk.trigger(['news', 'sport'], 'update', { n: 1 }, { socket_id: aliceSocket, info: 'subscription_count' });
    assert.deepEqual(await json(response), { channels: { news: { subscription_count: 2 }, sport: { subscription_count: 1 } } });
    assert.deepEqual(await Promise.all(atBob), [{ n: 1 }, { n: 1 }]);
    // Alice's socket was excluded: a later event to both proves hers would have arrived by now.
    const later = once(aliceNews, 'later');
    await sdk.trigger('news', 'later', {});
    await later;
    assert.deepEqual(aliceGot, []);
  });

  it('triggerBatch, GET /channels with filter_by_prefix and user_count, GET /channels/{name}, its users', async () => {
    const alice = client('7');
    const bob = client('8');
    await Promise.all([connected(alice), connected(bob)]);
    const rooms = [alice.subscribe('presence-lobby'), bob.subscribe('presence-lobby')];
    await Promise.all(rooms.map((room) => once(room, 'pusher:subscription_succeeded')));
    const sdk = serverSdk(fx.server.port);

    const got = once(rooms[1]!, 'batched');
    const batch = await sdk.triggerBatch([
      { channel: 'presence-lobby', name: 'batched', data: { a: 1 } },
      { channel: 'nobody-here', name: 'batched', data: 'text', info: 'subscription_count' } as never,
    ]);
    assert.deepEqual(await json(batch), { batch: [{}, { subscription_count: 0 }] });
    assert.deepEqual(await got, { a: 1 });

    assert.deepEqual(await json(await sdk.get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } })), { channels: { 'presence-lobby': { user_count: 2 } } });
    const all = await json(await sdk.get({ path: '/channels' }));
    assert.ok('presence-lobby' in all.channels);
    assert.deepEqual(await json(await sdk.get({ path: '/channels/presence-lobby', params: { info: 'user_count,subscription_count' } })), { occupied: true, subscription_count: 2, user_count: 2 });
    assert.deepEqual(await json(await sdk.get({ path: '/channels/empty-one' })), { occupied: false });
    const users = await json(await sdk.get({ path: '/channels/presence-lobby/users' }));
    assert.deepEqual(users.users.map((user: { id: string }) => user.id).sort(), ['7', '8']);
    await assert.rejects(sdk.get({ path: '/channels/news/users' }), (error: { status: number; body: string }) => error.status === 400 && /presence- channels only/.test(error.body));
  });

  it('terminateUserConnections closes the connections signed in as that user', async () => {
    const carol = client('9');
    await connected(carol);
    let signedIn = false;
    carol.connection.bind('message', (message: { event: string }) => {
      if (message.event === 'pusher:signin_success') signedIn = true;
    });
    carol.signin();
    await waitFor(() => signedIn, 'pusher:signin_success');
    const closed = new Promise<number>((resolve) => carol.connection.bind('error', (error: { data?: { code: number } }) => resolve(error.data?.code ?? 0)));
    await serverSdk(fx.server.port).terminateUserConnections('9');
    assert.equal(await closed, CloseCode.terminated);
  });

  it('publishes through the realm: an AutobahnJS subscriber sees API events as args [data] and kwargs {event}', async () => {
    const wamp = await openAutobahn(fx.server.wampUrl);
    const events: unknown[] = [];
    await wamp.session.subscribe('orders.42', (args: unknown[], kwargs: Record<string, unknown>) => events.push([args, kwargs]));
    await serverSdk(fx.server.port).trigger('orders.42', 'created', { total: 10 });
    await serverSdk(fx.server.port).trigger('orders.42', 'note', 'not json');
    await waitFor(() => events.length === 2, 'two events');
    assert.deepEqual(events, [[[{ total: 10 }], { event: 'created' }], [['not json'], { event: 'note' }]]);
    await wamp.close();
  });

  it('refuses a wrong secret, an old timestamp, a tampered body and oversized data, saying why', async () => {
    await assert.rejects(serverSdk(fx.server.port, 'wrong-secret').trigger('news', 'x', {}), (error: { status: number; body: string }) =>
      error.status === 401 && /auth_signature does not match/.test(error.body));
    await assert.rejects(serverSdk(fx.server.port).trigger('news', 'x', 'y'.repeat(10_241)), (error: { status: number; body: string }) =>
      error.status === 413 && /max_event_size \(10240\)/.test(error.body));
    await assert.rejects(serverSdk(fx.server.port).sendToUser('9', 'hello', {}), (error: { status: number; body: string }) =>
      error.status === 400 && /events to users \(sendToUser, #server-to-user-<id>\) are not supported/.test(error.body));

    const body = JSON.stringify({ name: 'x', channels: ['news'], data: '{}' });
    const signed = (timestamp: number, sentBody: string) => {
      const params = new URLSearchParams({ auth_key: APP.key, auth_timestamp: String(timestamp), auth_version: '1.0', body_md5: createHash('md5').update(body).digest('hex') });
      const path = `/apps/${APP.id}/events`;
      const text = `POST\n${path}\n${[...params].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join('&')}`;
      params.set('auth_signature', createHmac('sha256', APP.secret).update(text).digest('hex'));
      return request(`http://127.0.0.1:${fx.server.port}${path}?${params}`, { method: 'POST', body: sentBody, headers: { 'content-type': 'application/json' } });
    };
    const now = Math.floor(Date.now() / 1000);
    const ok = await signed(now, body);
    assert.equal(ok.statusCode, 200);
    await ok.body.dump();
    const old = await signed(now - API_TIMESTAMP_TOLERANCE_S - 5, body);
    assert.equal(old.statusCode, 401);
    assert.match(await old.body.text(), /within 600 s/);
    const tampered = await signed(now, body.replace('news', 'nope'));
    assert.equal(tampered.statusCode, 401);
    assert.match(await tampered.body.text(), /body_md5/);
    const unknownApp = await request(`http://127.0.0.1:${fx.server.port}/apps/999/events`, { method: 'POST', body });
    assert.equal(unknownApp.statusCode, 404);
    await unknownApp.body.dump();
  });
});

describe('pusher HTTP API authorization is the realm\'s', () => {
  it('answers 403 when the app\'s role may not publish on the mapped topic', async () => {
    const config = pusherConfig({ topicPrefix: 'pusher.' });
    // The role may publish only below "pusher.allowed."
    const role = config.realms[0]!.roles.find((candidate) => candidate.name === 'pusher')!;
    if (!('permissions' in role)) throw new Error('static role expected');
    role.permissions = [{ uri: 'pusher.allowed.', match: 'prefix', cache: true, allow: { call: false, register: false, publish: true, subscribe: true }, disclose: { caller: false, publisher: false } }];
    const server = await startPusherNode(config);
    try {
      const sdk = serverSdk(server.port);
      await sdk.trigger('allowed.one', 'x', {});
      await assert.rejects(sdk.trigger('other', 'x', {}), (error: { status: number; body: string }) =>
        error.status === 403 && /not authorized|not allowed|denied/i.test(error.body) && /pusher\.other/.test(error.body));
      const pusher = pusherClient(server.port);
      try {
        await connected(pusher);
        const refused = await once<{ code: number; error: string }>(pusher.subscribe('other'), 'pusher:subscription_error');
        assert.match(refused.error, /refused the subscription to topic "pusher\.other"/);
      } finally {
        pusher.disconnect();
      }
    } finally {
      await server.stop();
      removeDir(server.dataDir);
    }
  });
});
