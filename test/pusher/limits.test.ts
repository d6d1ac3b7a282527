import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { CloseCode } from '../../src/transport/pusher/protocol.js';
import { openAutobahn } from '../support/autobahn.js';
import { waitFor } from '../support/wait.js';
import { APP, pusherConfig, removeDir, serverSdk, startPusherNode, type PusherNode } from './support.js';

/** A raw Pusher connection: its frames and its close. */
function open(port: number): { ws: WebSocket; frames: Record<string, any>[]; closed: Promise<number> } {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${APP.key}?protocol=7`);
  const frames: Record<string, any>[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return { ws, frames, closed };
}

describe('pusher connection limits and lifecycle', () => {
  const servers: PusherNode[] = [];
  const start = async (...args: Parameters<typeof pusherConfig>) => {
    const server = await startPusherNode(pusherConfig(...args));
    servers.push(server);
    return server;
  };
  after(async () => {
    for (const server of servers) {
      await server.stop();
      removeDir(server.dataDir);
    }
  });

  it('pings a silent client after activity_timeout and closes it with 4201 when no pong comes; a client that answers stays', async () => {
    const server = await start({}, { activityTimeoutS: 1, pongTimeoutMs: 300 });
    const silent = open(server.port);
    const polite = open(server.port);
    polite.ws.on('message', (data) => {
      if (JSON.parse(data.toString()).event === 'pusher:ping') polite.ws.send(JSON.stringify({ event: 'pusher:pong', data: {} }));
    });
    assert.equal(await silent.closed, CloseCode.pongNotReceived);
    assert.ok(silent.frames.some((frame) => frame.event === 'pusher:ping'));
    assert.equal(JSON.parse(silent.frames[0]!.data).activity_timeout, 1);
    await waitFor(() => polite.frames.filter((frame) => frame.event === 'pusher:ping').length >= 2, 'a second ping to the polite client', 5_000);
    assert.equal(polite.ws.readyState, WebSocket.OPEN);
    polite.ws.close();
  });

  it('closes connections over max_connections with 4100, and counts them', async () => {
    const server = await start({}, { maxConnections: 1 });
    const first = open(server.port);
    await waitFor(() => first.frames.length === 1, 'the first connection');
    const second = open(server.port);
    assert.equal(await second.closed, CloseCode.overCapacity);
    assert.match(second.frames[0]!.data.message, /holds its 1 connection \(max_connections\)/);
    assert.equal(server.node.metrics.counter('junction_pusher_refused_connections_total', '').value({ code: '4100' }), 1);
    first.ws.close();
  });

  it('each connection is a session of the realm that the meta API lists and can kill (the client is told to reconnect: 4200)', async () => {
    const server = await start();
    const pusher = open(server.port);
    await waitFor(() => pusher.frames.length === 1, 'connection_established');
    const socketId = JSON.parse(pusher.frames[0]!.data).socket_id;
    const wamp = await openAutobahn(server.wampUrl);
    const ids: number[] = await wamp.session.call('wamp.session.list');
    const sessions = await Promise.all(ids.map((id) => wamp.session.call('wamp.session.get', [id])));
    const mine = sessions.find((session) => session.authid === `pusher:${socketId}`);
    assert.ok(mine, 'the Pusher connection\'s session is listed');
    assert.equal(mine.authrole, 'pusher');
    assert.equal(mine.transport.type, 'pusher');
    await wamp.session.call('wamp.session.kill', [mine.session]);
    assert.equal(await pusher.closed, CloseCode.reconnect);
    await wamp.close();
  });

  it('refuses a connection that arrives while the router shuts down (the transport still listens) with pusher:error 4100: pusher-js backs off instead of hammering the stopping node', async () => {
    const server = await start();
    await server.node.router.shutdown(0);
    const late = open(server.port);
    assert.equal(await late.closed, 4100);
    assert.deepEqual(late.frames, [{ event: 'pusher:error', data: { code: 4100, message: 'the server is shutting down: try again shortly' } }]);
    const metrics = server.node.metrics;
    assert.equal(metrics.counter('junction_pusher_refused_connections_total', '').value({ code: '4100' }), 1);
    assert.equal(metrics.counter('junction_messages_unencodable_total', '').value({ type: 'ABORT', serializer: 'json' }), 0);
  });

  it('closes a message over max_message_size with 1009', async () => {
    const server = await start({}, { maxMessageSize: 1024 });
    const pusher = open(server.port);
    await waitFor(() => pusher.frames.length === 1, 'connection_established');
    pusher.ws.send(JSON.stringify({ event: 'client-x', channel: 'private-a', data: 'x'.repeat(2000) }));
    assert.equal(await pusher.closed, 1009);
  });

  it('two pusher transports on one realm share the junction.pusher procedures; kwargs.transport tells same-id apps apart', async () => {
    const config = pusherConfig();
    const first = config.listeners.find((listener) => listener.kind === 'pusher')!;
    config.listeners.push({ ...first, id: 'pusher_two', pusher: { ...first.pusher!, apps: first.pusher!.apps.map((app) => ({ ...app })) } });
    const server = await startPusherNode(config);
    servers.push(server);
    const pusher = open(server.port);
    await waitFor(() => pusher.frames.length === 1, 'connection_established');
    pusher.ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'only-on-one' } }));
    await waitFor(() => pusher.frames.length === 2, 'subscribed');
    const wamp = await openAutobahn(server.wampUrl);
    await assert.rejects(wamp.session.call('junction.pusher.channels'), (error: { error: string; args: string[] }) =>
      error.error === 'wamp.error.invalid_argument' && /several Pusher apps match/.test(error.args[0]!));
    assert.deepEqual(await wamp.session.call('junction.pusher.channels', [], { transport: 'pusher' }), { channels: { 'only-on-one': { subscription_count: 1 } } });
    assert.deepEqual(await wamp.session.call('junction.pusher.channels', [], { transport: 'pusher_two', app: APP.id }), { channels: {} });
    await wamp.close();
    pusher.ws.close();
  });

  it('closes a consumer that does not read once max_buffered_bytes wait to be written, and counts it', async () => {
    const server = await start({}, { maxBufferedBytes: 65_536 });
    const reader = open(server.port);
    const stalled = open(server.port);
    for (const client of [reader, stalled]) {
      await waitFor(() => client.frames.length === 1, 'connection_established');
      client.ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'firehose' } }));
      await waitFor(() => client.frames.length === 2, 'subscribed');
    }
    // The stalled client stops reading: its bytes pile up in the kernel, then in the server's buffer.
    (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const sdk = serverSdk(server.port);
    const data = 'x'.repeat(10_000);
    const closedSlow = () => server.node.metrics.counter('junction_pusher_slow_consumer_closed_total', '').value() > 0;
    for (let round = 0; round < 400 && !closedSlow(); round += 1) {
      await sdk.triggerBatch(Array.from({ length: 10 }, () => ({ channel: 'firehose', name: 'chunk', data })));
    }
    assert.ok(closedSlow(), 'the stalled connection was closed as a slow consumer');
    assert.equal(reader.ws.readyState, WebSocket.OPEN, 'the reading client is unaffected');
    reader.ws.close();
    stalled.ws.terminate();
  });

  it('answers 503 with Retry-After past max_api_requests_in_flight, counts it, and serves again once a request ends', async () => {
    const server = await start({}, { maxApiRequestsInFlight: 1 });
    const metrics = server.node.metrics;
    // A request whose body is still arriving holds the one slot.
    const held = request({ host: '127.0.0.1', port: server.port, method: 'POST', path: `/apps/${APP.id}/events`, headers: { 'content-type': 'application/json', 'content-length': 100 } });
    const heldStatus = new Promise<number>((resolve, reject) => {
      held.on('response', (response) => {
        response.resume();
        resolve(response.statusCode!);
      });
      held.on('error', reject);
    });
    held.write('{"na');
    await waitFor(() => metrics.gauge('junction_pusher_api_requests_in_flight', '').value() === 1, 'the held request in flight');
    const sdk = serverSdk(server.port);
    await assert.rejects(sdk.trigger('news', 'e', { n: 1 }), (error: { status: number; body: string }) =>
      error.status === 503 && /over capacity: this server is handling 1 HTTP API request already \(max_api_requests_in_flight\)/.test(error.body));
    const busy = await fetch(`http://127.0.0.1:${server.port}/apps/${APP.id}/channels`);
    assert.equal(busy.status, 503);
    assert.equal(busy.headers.get('retry-after'), '1');
    assert.equal(metrics.counter('junction_pusher_api_requests_total', '').value({ app: '', status: '503' }), 2);
    held.end('x'.repeat(96)); // the body completes, unsigned
    assert.equal(await heldStatus, 401);
    await waitFor(() => metrics.gauge('junction_pusher_api_requests_in_flight', '').value() === 0, 'the slot free again');
    await sdk.trigger('news', 'e', { n: 2 });
  });
});
