import { createHmac } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startTestNode } from '../support/node.js';
import type { RunningNode } from '../../src/node/node.js';
import { knownCaches, leaves as leaveAll, LeakWatch } from '../support/leak-census.js';
import { LeakBackend, pause } from '../support/leak-peers.js';
import { waitFor } from '../support/wait.js';
import { APP, pusherConfig } from '../pusher/support.js';

/**
 * The leak matrix, Pusher: a connection enters a half-done state (a private or presence channel
 * subscribed, a member present, client events sent, a subscription waiting for the realm's
 * dynamic authorizer), then vanishes: its socket destroyed, reset, or closed cleanly, in turn; an
 * HTTP API request is cut off mid-body. Afterwards every gauge is back where it was, no table
 * reachable from the router has grown, and no kind of heap object has grown by most of the
 * repeats (the door's own tables are held in its listener, out of the tables' reach).
 */

const REPEATS = 200;
const AUTHORIZED_APP = { id: '4343', key: 'authorized-key', secret: 'authorized-secret' };

const config = pusherConfig();
config.realms[0]!.roles.push({ name: 'pusher-user', authorizer: 'test.authorize' });
const pusher = config.listeners.find((listener) => listener.kind === 'pusher')!.pusher!;
pusher.apps.push({ ...pusher.apps[0]!, ...AUTHORIZED_APP, role: 'pusher-user' });

let node: RunningNode & { url: string };
let backend: LeakBackend;
let port: number;
const watch = new LeakWatch(() => node.metrics.exposition(), () => [node.router], knownCaches);
/** `heap`: the door's own tables (channels, members, connections) are held in its listener, out of the tables' reach. */
const leaves = (what: string, step: (index: number) => Promise<void>, options: { heap?: boolean } = {}) => leaveAll(watch, what, step, { repeats: REPEATS, ...options });

before(async () => {
  node = await startTestNode(config);
  port = node.ports.get('pusher')!;
  backend = await LeakBackend.open(node.url);
  await backend.register('test.authorize');
});

after(async () => {
  backend?.peer.vanish(0);
  await node?.stop();
});

/** A Pusher connection (protocol 7) of `app`, once `pusher:connection_established` gave its socket id. */
class PusherPeer {
  readonly events: Array<{ event: string; channel?: string; data?: unknown }> = [];
  socketId = '';

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.events.push(JSON.parse(data.toString()) as { event: string }));
    ws.on('error', () => undefined);
  }

  static async open(app = APP): Promise<PusherPeer> {
    const peer = new PusherPeer(new WebSocket(`ws://127.0.0.1:${port}/app/${app.key}?protocol=7`));
    await waitFor(() => peer.events.some((event) => event.event === 'pusher:connection_established'), 'pusher:connection_established', 10_000);
    peer.socketId = (JSON.parse(peer.events[0]!.data as string) as { socket_id: string }).socket_id;
    return peer;
  }

  send(event: string, data: unknown, channel?: string): void {
    this.ws.send(JSON.stringify({ event, data, ...(channel === undefined ? {} : { channel }) }));
  }

  /** Subscribes to a private or presence channel, signed with `app`'s secret (as the app's auth endpoint does). */
  subscribe(channel: string, app = APP, userId?: string): void {
    const channelData = userId === undefined ? undefined : JSON.stringify({ user_id: userId, user_info: { name: `user ${userId}` } });
    const signed = [this.socketId, channel, ...(channelData === undefined ? [] : [channelData])].join(':');
    const auth = `${app.key}:${createHmac('sha256', app.secret).update(signed).digest('hex')}`;
    this.send('pusher:subscribe', { channel, auth, ...(channelData === undefined ? {} : { channel_data: channelData }) });
  }

  async succeeded(channel: string): Promise<void> {
    await waitFor(() => this.events.some((event) => event.event === 'pusher_internal:subscription_succeeded' && event.channel === channel), `subscription to ${channel}`, 10_000);
  }

  /** 0: socket destroyed; 1: reset; 2: a clean close. */
  vanish(way: number): void {
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    if (way === 0) this.ws.terminate();
    else if (way === 1 && socket) socket.resetAndDestroy();
    else this.ws.close();
  }
}

describe('leak matrix: Pusher connections that vanish half done', { timeout: 120_000 }, () => {
  it('right after connection_established', () => leaves('gone at once', async (index) => {
    (await PusherPeer.open()).vanish(index % 3);
  }));

  it('on a presence channel shared with other members, and a private channel with client events sent', () => leaves('gone from presence and private channels', async (index) => {
    const peer = await PusherPeer.open();
    const presence = `presence-room${index % 4}`;
    const personal = `private-own${index}`;
    peer.subscribe(presence, APP, `user${index}`);
    peer.subscribe(personal);
    await peer.succeeded(presence);
    await peer.succeeded(personal);
    peer.send('client-typing', { at: index }, personal);
    peer.send('client-typing', { at: index }, presence);
    peer.vanish(index % 3);
  }, { heap: true }));

  it('a subscription waiting for the realm\'s dynamic authorizer, which answers after the connection left', () => leaves('gone before the authorizer answered', async (index) => {
    const peer = await PusherPeer.open(AUTHORIZED_APP);
    const channel = index % 2 === 0 ? `private-authz${index}` : `presence-authz${index}`;
    peer.subscribe(channel, AUTHORIZED_APP, index % 2 === 0 ? undefined : `member${index}`);
    const id = await backend.invoked(channel);
    peer.vanish(index % 3);
    await pause(20);
    backend.answer(id, [{ allow: true }]);
  }));

  it('HTTP API requests cut off mid-body', () => leaves('HTTP API request cut off', async (index) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    const body = JSON.stringify({ name: 'event', channel: 'news', data: 'x'.repeat(500) });
    socket.write(`POST /apps/${APP.id}/events?auth_key=${APP.key}&auth_timestamp=${Math.floor(Date.now() / 1000)}&auth_version=1.0&body_md5=0&auth_signature=0 HTTP/1.1\r\n`
      + `Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 100 + (index % 50))}`);
    await pause(10);
    if (index % 2 === 0) socket.resetAndDestroy();
    else socket.destroy();
  }, { heap: true }));
});
