import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import PusherServer from 'pusher';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { DEFAULT_EVENT_NAME } from '../../src/transport/pusher/payload.js';
import { CloseCode, ErrorCode } from '../../src/transport/pusher/protocol.js';
import { openAutobahn } from '../support/autobahn.js';
import { waitFor } from '../support/wait.js';
import { APP, connected, once, pusherClient, pusherConfig, pusherFixture, serverSdk, startAuthApp } from './support.js';

/**
 * The Pusher protocol 7 as pusher-js speaks it, against a node whose realm also has AutobahnJS
 * clients: both see each other's events on the mapped topics.
 */

/** A raw WebSocket on the pusher port: its frames and how it closed. */
async function rawSocket(port: number, path: string): Promise<{ ws: WebSocket; frames: Record<string, any>[]; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  const frames: Record<string, any>[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, frames, closed };
}

describe('pusher protocol 7 with pusher-js', () => {
  const fx = pusherFixture(() => pusherConfig({}, { maxChannelsPerConnection: 5 }));
  const client = (options: Record<string, unknown> = {}) =>
    fx.track(pusherClient(fx.server.port, { channelAuthorization: { endpoint: fx.auth.url, transport: 'ajax' }, ...options }));

  it('a plain GET on /app/{key} gets 426 saying it is a Pusher path (not the WAMP text)', async () => {
    const response = await fetch(`http://127.0.0.1:${fx.server.port}/app/${APP.key}`);
    assert.equal(response.status, 426);
    assert.deepEqual(await response.json(), {
      error: 'upgrade_required', message: 'This is a Pusher Channels WebSocket path: connect with a Pusher client (pusher-js, Laravel Echo) to /app/{key}.',
    });
  });

  it('greets with a socket id "N.N" and the activity timeout, and answers pusher:ping', async () => {
    const { ws, frames } = await rawSocket(fx.server.port, `/app/${APP.key}?protocol=7&client=js&version=8.4.0`);
    await waitFor(() => frames.length >= 1, 'connection_established');
    assert.equal(frames[0]!.event, 'pusher:connection_established');
    const data = JSON.parse(frames[0]!.data);
    assert.match(data.socket_id, /^\d+\.\d+$/);
    assert.equal(data.activity_timeout, 120);
    ws.send(JSON.stringify({ event: 'pusher:ping', data: {} }));
    await waitFor(() => frames.some((frame) => frame.event === 'pusher:pong'), 'pusher:pong');
    ws.close();
  });

  it('closes an unknown key with 4001 and a missing or wrong protocol version with 4008 / 4007', async () => {
    const unknown = await rawSocket(fx.server.port, '/app/nope?protocol=7');
    assert.equal((await unknown.closed).code, CloseCode.unknownApp);
    assert.equal(unknown.frames[0]?.event, 'pusher:error');
    assert.equal(unknown.frames[0]?.data.code, CloseCode.unknownApp);
    assert.equal((await (await rawSocket(fx.server.port, `/app/${APP.key}`)).closed).code, CloseCode.noVersion);
    assert.equal((await (await rawSocket(fx.server.port, `/app/${APP.key}?protocol=5`)).closed).code, CloseCode.unsupportedVersion);
  });

  it('delivers an HTTP API event on a public channel to pusher-js and to an AutobahnJS subscriber of the same topic', async () => {
    const pusher = client();
    await connected(pusher);
    const channel = pusher.subscribe('news');
    await once(channel, 'pusher:subscription_succeeded');
    const wamp = await openAutobahn(fx.server.wampUrl);
    const wampEvents: { args: unknown[]; kwargs: Record<string, unknown> }[] = [];
    await wamp.session.subscribe('news', (args: unknown[], kwargs: Record<string, unknown>) => wampEvents.push({ args, kwargs }));

    const received = once<unknown>(channel, 'breaking');
    await serverSdk(fx.server.port).trigger('news', 'breaking', { title: 'hello' });
    assert.deepEqual(await received, { title: 'hello' });
    await waitFor(() => wampEvents.length === 1, 'the WAMP event');
    assert.deepEqual(wampEvents[0], { args: [{ title: 'hello' }], kwargs: { event: 'breaking' } });

    // And back: a WAMP publication reaches pusher-js as its kwargs.event, or the default name.
    const named = once<unknown>(channel, 'from-wamp');
    wamp.session.publish('news', [{ n: 1 }], { event: 'from-wamp' });
    assert.deepEqual(await named, { n: 1 });
    const unnamed = once<unknown>(channel, DEFAULT_EVENT_NAME);
    wamp.session.publish('news', ['plain text']);
    assert.equal(await unnamed, 'plain text');
    await wamp.close();
  });

  it('leaves its channels at the client\'s close frame, though the client never reads again', async () => {
    const { ws, frames } = await rawSocket(fx.server.port, `/app/${APP.key}?protocol=7&client=js&version=8.4.0`);
    ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'close-frame' } }));
    await waitFor(() => frames.some((frame) => frame.event === 'pusher_internal:subscription_succeeded'), 'subscription_succeeded');
    const wamp = await openAutobahn(fx.server.wampUrl);
    const lookup = async () => await wamp.session.call('wamp.subscription.lookup', ['close-frame']) as unknown;
    assert.notEqual(await lookup(), null);
    // Reads nothing from now on (the close frame answering its own included) and never ends its side of TCP.
    (ws as unknown as { _socket: Socket })._socket.pause();
    ws.close(1000);
    // Within 5 s: ws's close timeout (when its socket would go) is 30 s.
    const deadline = Date.now() + 5_000;
    while (await lookup() !== null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await lookup(), null, 'the channel left within 5 s');
    ws.terminate();
    await wamp.close();
  });

  it('subscribes to private channels through the auth endpoint and refuses a bad signature with 4009', async () => {
    const pusher = client();
    await connected(pusher);
    const channel = pusher.subscribe('private-orders.42');
    await once(channel, 'pusher:subscription_succeeded');
    const received = once<unknown>(channel, 'OrderShipped');
    await serverSdk(fx.server.port).trigger('private-orders.42', 'OrderShipped', { id: 42 });
    assert.deepEqual(await received, { id: 42 });

    // An auth endpoint that signs with another secret: the server refuses the subscription.
    const wrong = await startAuthApp('not-the-secret');
    try {
      const other = client({ channelAuthorization: { endpoint: wrong.url, transport: 'ajax' } });
      await connected(other);
      const refused = once<{ status: number; code: number; error: string }>(other.subscribe('private-orders.43'), 'pusher:subscription_error');
      const error = await refused;
      assert.equal(error.code, ErrorCode.unauthorized);
      assert.equal(error.status, 401);
      assert.match(error.error, /signature does not match/);
    } finally {
      await wrong.close();
    }
  });

  it('keeps presence members: the list on joining, member_added and member_removed', async () => {
    const alice = client({ channelAuthorization: { endpoint: fx.auth.url, transport: 'ajax', headers: { 'X-User': '1' } } });
    const bob = client({ channelAuthorization: { endpoint: fx.auth.url, transport: 'ajax', headers: { 'X-User': '2' } } });
    await Promise.all([connected(alice), connected(bob)]);
    const aliceRoom = alice.subscribe('presence-room') as any;
    await once(aliceRoom, 'pusher:subscription_succeeded');
    const added = once<{ id: string; info: unknown }>(aliceRoom, 'pusher:member_added');
    const bobRoom = bob.subscribe('presence-room') as any;
    const bobMembers = await once<any>(bobRoom, 'pusher:subscription_succeeded');
    assert.equal(bobMembers.count, 2);
    assert.deepEqual((await added), { id: '2', info: { name: 'User 2' } });

    const wamp = await openAutobahn(fx.server.wampUrl);
    const seen = await wamp.session.call('junction.pusher.members', ['presence-room']);
    assert.deepEqual(seen.members.map((member: { user_id: string }) => member.user_id).sort(), ['1', '2']);
    await wamp.close();

    const removed = once<{ id: string }>(aliceRoom, 'pusher:member_removed');
    bob.disconnect();
    assert.equal((await removed).id, '2');
  });

  it('relays client events to the other subscribers and AutobahnJS, never back to the sender', async () => {
    const alice = client();
    const bob = client();
    await Promise.all([connected(alice), connected(bob)]);
    const aliceChannel = alice.subscribe('private-chat');
    const bobChannel = bob.subscribe('private-chat');
    await Promise.all([once(aliceChannel, 'pusher:subscription_succeeded'), once(bobChannel, 'pusher:subscription_succeeded')]);
    const wamp = await openAutobahn(fx.server.wampUrl);
    const wampEvents: unknown[][] = [];
    await wamp.session.subscribe('private-chat', (args: unknown[], kwargs: Record<string, unknown>) => wampEvents.push([args, kwargs]));
    const echoed: unknown[] = [];
    aliceChannel.bind('client-typing', (data: unknown) => echoed.push(data));

    const atBob = once<unknown>(bobChannel, 'client-typing');
    assert.equal(aliceChannel.trigger('client-typing', { who: 'alice' }), true);
    assert.deepEqual(await atBob, { who: 'alice' });
    await waitFor(() => wampEvents.length === 1, 'the WAMP event');
    assert.deepEqual(wampEvents[0], [[{ who: 'alice' }], { event: 'client-typing' }]);
    assert.deepEqual(echoed, []);
    await wamp.close();
  });

  it('refuses client events on public channels and beyond the rate limit, with their codes', async () => {
    const { ws, frames } = await rawSocket(fx.server.port, `/app/${APP.key}?protocol=7`);
    await waitFor(() => frames.length >= 1, 'connection_established');
    ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'lobby' } }));
    await waitFor(() => frames.some((frame) => frame.event === 'pusher_internal:subscription_succeeded'), 'subscribed');
    ws.send(JSON.stringify({ event: 'client-hi', channel: 'lobby', data: {} }));
    await waitFor(() => frames.some((frame) => frame.event === 'pusher:error'), 'the refusal');
    assert.equal(frames.find((frame) => frame.event === 'pusher:error')!.data.code, ErrorCode.clientEventRefused);

    const socketId = JSON.parse(frames[0]!.data).socket_id as string;
    const channel = 'private-rate';
    const signature = (await import('node:crypto')).createHmac('sha256', APP.secret).update(`${socketId}:${channel}`).digest('hex');
    ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel, auth: `${APP.key}:${signature}` } }));
    await waitFor(() => frames.some((frame) => frame.event === 'pusher_internal:subscription_succeeded' && frame.channel === channel), 'subscribed to the private channel');
    for (let index = 0; index < 15; index += 1) ws.send(JSON.stringify({ event: 'client-burst', channel, data: { index } }));
    await waitFor(() => frames.some((frame) => frame.event === 'pusher:error' && frame.data.code === ErrorCode.rateLimited), 'the rate limit');
    ws.send(JSON.stringify({ event: 'client-big', channel, data: 'x'.repeat(11_000) }));
    await waitFor(() => frames.some((frame) => frame.event === 'pusher:error' && frame.data.code === ErrorCode.eventTooLarge), 'the size limit');
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // a fresh second of the rate limit
    ws.send(JSON.stringify({ event: 'client-deep', channel, data: '['.repeat(101) + ']'.repeat(101) }));
    await waitFor(() => frames.some((frame) => frame.event === 'pusher:error' && /more than 100 levels deep/.test(frame.data.message)), 'the nesting limit');
    assert.equal(frames.find((frame) => /levels deep/.test(frame.data?.message))!.data.code, ErrorCode.badMessage);
    ws.close();
  });

  it('refuses a channel past max_channels_per_connection and a channel name that is not one', async () => {
    const { ws, frames } = await rawSocket(fx.server.port, `/app/${APP.key}?protocol=7`);
    for (let index = 0; index < 6; index += 1) ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: `c${index}` } }));
    await waitFor(() => frames.some((frame) => frame.event === 'pusher:error'), 'the refusal');
    const error = frames.find((frame) => frame.event === 'pusher:error')!;
    assert.equal(error.data.code, ErrorCode.tooManyChannels);
    assert.match(error.data.message, /max_channels_per_connection/);
    ws.send(JSON.stringify({ event: 'pusher:unsubscribe', data: { channel: 'c0' } }));
    ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'bad channel!' } }));
    await waitFor(() => frames.some((frame) => frame.event === 'pusher:error' && frame.data.code === ErrorCode.invalidChannel), 'the name refusal');
    ws.send('not json');
    await waitFor(() => frames.some((frame) => frame.event === 'pusher:error' && frame.data.code === ErrorCode.badMessage), 'the bad message');
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close();
  });

  it('answers every kind of bad input with its code and a message, and keeps serving the connection', async () => {
    const { ws, frames } = await rawSocket(fx.server.port, `/app/${APP.key}?protocol=7`);
    await waitFor(() => frames.length >= 1, 'connection_established');
    const socketId = JSON.parse(frames[0]!.data).socket_id as string;
    const { createHmac } = await import('node:crypto');
    const sign = (text: string) => `${APP.key}:${createHmac('sha256', APP.secret).update(text).digest('hex')}`;
    const cases: { send: string | Buffer; code: number; message: RegExp; channel?: string }[] = [
      { send: '[]', code: ErrorCode.badMessage, message: /not a JSON object/ },
      { send: '{"event": 5}', code: ErrorCode.badMessage, message: /no "event" string/ },
      { send: Buffer.from([1, 2, 3]), code: ErrorCode.badMessage, message: /binary messages/ },
      { send: '{"event":"whatever"}', code: ErrorCode.badMessage, message: /unknown event "whatever"/ },
      { send: '{"event":"pusher:subscribe","data":"not json"}', code: ErrorCode.badMessage, message: /needs data/ },
      { send: '{"event":"pusher:subscribe","data":{"channel":123}}', code: ErrorCode.invalidChannel, message: /non-empty string/ },
      { send: '{"event":"pusher:subscribe","data":{"channel":"a..b"}}', code: ErrorCode.invalidChannel, message: /maps to topic "a\.\.b", which realm "realm1" refuses/ },
      { send: '{"event":"pusher:subscribe","data":{"channel":"presence-x","auth":"k:s"}}', code: ErrorCode.badMessage, message: /needs "channel_data"/, channel: 'presence-x' },
      {
        send: JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'presence-y', auth: sign(`${socketId}:presence-y:{}`), channel_data: '{}' } }),
        code: ErrorCode.badMessage, message: /"user_id"/, channel: 'presence-y',
      },
      { send: '{"event":"pusher:signin","data":{}}', code: ErrorCode.badMessage, message: /needs data/ },
      { send: JSON.stringify({ event: 'pusher:signin', data: { auth: `${APP.key}:bad`, user_data: '{"id":"1"}' } }), code: ErrorCode.unauthorized, message: /sign-in refused/ },
      { send: '{"event":"client-x","data":{}}', code: ErrorCode.badMessage, message: /has no "channel"/ },
      { send: '{"event":"client-x","channel":"private-not-mine","data":{}}', code: ErrorCode.clientEventRefused, message: /not subscribed/ },
      { send: '{"event":"pusher:unsubscribe","data":{}}', code: ErrorCode.badMessage, message: /needs data/ },
    ];
    for (const item of cases) {
      const before = frames.length;
      ws.send(item.send);
      await waitFor(() => frames.length > before, `the answer to ${String(item.send)}`);
      const answer = frames[before]!;
      const data = typeof answer.data === 'string' ? JSON.parse(answer.data) : answer.data;
      if (item.channel !== undefined) {
        assert.equal(answer.event, 'pusher:subscription_error', String(item.send));
        assert.equal(answer.channel, item.channel);
        assert.equal(data.code, item.code);
        assert.match(data.error, item.message);
      } else {
        assert.equal(answer.event, 'pusher:error', String(item.send));
        assert.equal(data.code, item.code, String(item.send));
        assert.match(data.message, item.message);
      }
    }
    // Still served: it subscribes and receives.
    ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'after-bad-input' } }));
    await waitFor(() => frames.some((frame) => frame.event === 'pusher_internal:subscription_succeeded' && frame.channel === 'after-bad-input'), 'the subscription');
    await serverSdk(fx.server.port).trigger('after-bad-input', 'ok', { fine: true });
    await waitFor(() => frames.some((frame) => frame.event === 'ok'), 'the event');
    ws.close();
  });

  it('passes private-encrypted- payloads through untouched: pusher-js decrypts, WAMP sees the exact ciphertext', async () => {
    const masterKey = Buffer.alloc(32, 7).toString('base64');
    const app = new PusherServer({ appId: APP.id, key: APP.key, secret: APP.secret, host: '127.0.0.1', port: String(fx.server.port), useTLS: false, encryptionMasterKeyBase64: masterKey });
    // The app's auth endpoint, as the SDK signs it (with the channel's shared_secret).
    const pusher = client({ channelAuthorization: { customHandler: (params: { socketId: string; channelName: string }, callback: (error: Error | null, data: unknown) => void) => callback(null, app.authorizeChannel(params.socketId, params.channelName)) } });
    await connected(pusher);
    const channel = pusher.subscribe('private-encrypted-vault');
    await once(channel, 'pusher:subscription_succeeded');
    const wamp = await openAutobahn(fx.server.wampUrl);
    const wampEvents: unknown[][] = [];
    await wamp.session.subscribe('private-encrypted-vault', (args: unknown[], kwargs: Record<string, unknown>) => wampEvents.push([args, kwargs]));

    const decrypted = once(channel, 'secret');
    await app.trigger('private-encrypted-vault', 'secret', { pin: 1234 });
    assert.deepEqual(await decrypted, { pin: 1234 });
    await waitFor(() => wampEvents.length === 1, 'the WAMP event');
    const [args, kwargs] = wampEvents[0]!;
    assert.deepEqual(kwargs, { event: 'secret' });
    assert.equal(typeof (args as unknown[])[0], 'string');
    assert.deepEqual(Object.keys(JSON.parse((args as string[])[0]!)).sort(), ['ciphertext', 'nonce']);
    assert.doesNotMatch((args as string[])[0]!, /1234/);
    await wamp.close();
  });
});
