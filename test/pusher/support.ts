import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import { after, before } from 'node:test';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Echo from 'laravel-echo';
import PusherServer from 'pusher';
import pusherJs from 'pusher-js';
import type { Options as PusherOptions } from 'pusher-js';
import WebSocket from 'ws';

/** What the tests use of a pusher-js client (its typings' default export does not resolve under NodeNext). */
export interface PusherChannel {
  bind(event: string, callback: (data: any, metadata?: any) => void): unknown;
  trigger(event: string, data: unknown): boolean;
}
export interface PusherClient {
  connection: { state: string; socket_id: string; bind(event: string, callback: (data: any) => void): unknown };
  subscribe(channel: string): PusherChannel;
  unsubscribe(channel: string): void;
  signin(): void;
  user: { bind(event: string, callback: (data: any) => void): unknown };
  disconnect(): void;
}
import type { JunctionConfig, PusherAppConfig, PusherServiceConfig } from '../../src/config/model.js';
import { pusherDefaults } from '../../src/config/schema-pusher.js';
import type { RunningNode } from '../../src/node/node.js';
import { startTestNode, testConfig } from '../support/node.js';

/** pusher-js's Node build exports its class as module.exports; its typings describe an ES default export. */
export const Pusher = pusherJs as unknown as new (key: string, options: PusherOptions) => PusherClient;

export const APP = { id: '4242', key: 'app-key', secret: 'app-secret-for-tests' };

/**
 * realm1 with a "pusher" role allowed to subscribe and publish everywhere, the usual /ws path for
 * AutobahnJS, and a pusher transport with one app (client events on).
 */
export function pusherConfig(app: Partial<PusherAppConfig> = {}, options: Partial<PusherServiceConfig> = {}): JunctionConfig {
  const config = testConfig();
  const realm = config.realms[0]!;
  realm.roles.push({
    name: 'pusher',
    permissions: [{
      uri: '', match: 'prefix', cache: true,
      allow: { call: false, register: false, publish: true, subscribe: true },
      disclose: { caller: false, publisher: false },
    }],
  });
  config.listeners.push({
    id: 'pusher', kind: 'pusher',
    endpoint: { port: 0, interface: '127.0.0.1' },
    paths: {},
    trustedProxies: [],
    pusher: {
      activityTimeoutS: pusherDefaults.activityTimeoutS,
      pongTimeoutMs: pusherDefaults.pongTimeoutMs,
      maxEventSize: pusherDefaults.maxEventSize,
      maxMessageSize: pusherDefaults.maxMessageSize,
      maxChannelsPerConnection: pusherDefaults.maxChannelsPerConnection,
      maxUserIdLength: pusherDefaults.maxUserIdLength,
      maxUserInfoSize: pusherDefaults.maxUserInfoSize,
      maxPresenceMembers: pusherDefaults.maxPresenceMembers,
      clientEventsPerSecond: pusherDefaults.clientEventsPerSecond,
      maxConnections: pusherDefaults.maxConnections,
      maxPerAddress: pusherDefaults.maxPerAddress,
      maxBufferedBytes: pusherDefaults.maxBufferedBytes,
      maxApiRequestsInFlight: pusherDefaults.maxApiRequestsInFlight,
      ...options,
      apps: [{ ...APP, realm: 'realm1', role: 'pusher', clientEvents: true, topicPrefix: '', webhooks: [], ...app }],
    },
  });
  return config;
}

export interface PusherNode {
  node: RunningNode;
  /** The pusher transport's port. */
  port: number;
  /** ws://127.0.0.1:port/ws for AutobahnJS. */
  wampUrl: string;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startPusherNode(config: JunctionConfig = pusherConfig(), dataDir = mkdtempSync(join(tmpdir(), 'junction-pusher-'))): Promise<PusherNode> {
  const node = await startTestNode(config, { dataDir });
  const port = node.ports.get('pusher')!;
  return {
    node, port, dataDir,
    wampUrl: node.urls[0]!,
    stop: async () => {
      await node.stop();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The `pusher` server SDK pointed at the node, as a Laravel or Node app configures it. */
export function serverSdk(port: number, secret = APP.secret): PusherServer {
  return new PusherServer({ appId: APP.id, key: APP.key, secret, host: '127.0.0.1', port: String(port), useTLS: false });
}

/** The auth endpoint of a small app, signing as Laravel's PusherBroadcaster does (HMAC-SHA256 of the secret). */
export interface AuthApp {
  url: string;
  userUrl: string;
  /** Requests it answered, by channel. */
  authorized: string[];
  close(): Promise<void>;
}

/**
 * POST /broadcasting/auth with socket_id and channel_name (form-encoded, as pusher-js sends them):
 * answers {auth} for private channels and {auth, channel_data} for presence channels, the user
 * being the `X-User` header (Laravel takes it from the logged-in session). Channels named
 * "private-forbidden..." are refused with 403, as a Laravel channel callback returning false.
 * POST /broadcasting/user-auth answers pusher:signin's {auth, user_data}.
 */
export async function startAuthApp(secret = APP.secret): Promise<AuthApp> {
  const authorized: string[] = [];
  const server: Server = createServer(async (request, response) => {
    const form = new URLSearchParams(await readBody(request));
    const socketId = form.get('socket_id') ?? '';
    const channel = form.get('channel_name') ?? '';
    const userId = String(request.headers['x-user'] ?? '1');
    const sign = (text: string): string => `${APP.key}:${createHmac('sha256', secret).update(text).digest('hex')}`;
    response.setHeader('access-control-allow-origin', '*');
    response.setHeader('access-control-allow-headers', '*');
    if (request.method === 'OPTIONS') return void response.end();
    let body: unknown;
    if (request.url === '/broadcasting/user-auth') {
      const userData = JSON.stringify({ id: userId, name: `User ${userId}` });
      body = { auth: sign(`${socketId}::user::${userData}`), user_data: userData };
    } else if (channel.startsWith('private-forbidden')) {
      response.statusCode = 403;
      return void response.end('{"message":"forbidden"}');
    } else if (channel.startsWith('presence-')) {
      const channelData = JSON.stringify({ user_id: Number(userId), user_info: { name: `User ${userId}` } });
      body = { auth: sign(`${socketId}:${channel}:${channelData}`), channel_data: channelData };
    } else {
      body = { auth: sign(`${socketId}:${channel}`) };
    }
    authorized.push(channel);
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/broadcasting/auth`,
    userUrl: `http://127.0.0.1:${port}/broadcasting/user-auth`,
    authorized,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** A pusher-js client (Node build) on the node's pusher port, WebSocket only, no stats. */
export function pusherClient(port: number, options: Record<string, unknown> = {}): PusherClient {
  return new Pusher(APP.key, {
    cluster: 'mt1',
    wsHost: '127.0.0.1',
    wsPort: port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    ...options,
  } as PusherOptions);
}

/** Resolves once the client is connected, with its socket id. */
export function connected(client: PusherClient, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    if (client.connection.state === 'connected') return resolve(client.connection.socket_id);
    const timer = setTimeout(() => reject(new Error(`pusher-js did not connect (state ${client.connection.state})`)), timeoutMs);
    client.connection.bind('connected', () => {
      clearTimeout(timer);
      resolve(client.connection.socket_id);
    });
  });
}

/** Resolves when `event` fires on `target` (a pusher-js channel or connection), with its data. */
export function once<T = unknown>(target: { bind(event: string, callback: (data: T) => void): unknown }, event: string, timeoutMs = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" within ${timeoutMs} ms`)), timeoutMs);
    target.bind(event, (data: T) => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

/** A node and an auth app for one describe block, started before its tests and stopped after them. */
export interface PusherFixture {
  server: PusherNode;
  auth: AuthApp;
  /** Registers a client to disconnect before the node stops; returns it. */
  track<T extends { disconnect(): void }>(client: T): T;
}

export function pusherFixture(config: () => JunctionConfig = () => pusherConfig()): PusherFixture {
  const clients: { disconnect(): void }[] = [];
  const fixture = {
    track<T extends { disconnect(): void }>(client: T): T {
      clients.push(client);
      return client;
    },
  } as PusherFixture;
  before(async () => {
    fixture.server = await startPusherNode(config());
    fixture.auth = await startAuthApp();
  });
  after(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await fixture.auth?.close();
    await fixture.server?.stop();
    if (fixture.server) removeDir(fixture.server.dataDir);
  });
  return fixture;
}

/** Laravel Echo (pusher-js underneath) as a Laravel page configures it, signed in to the app as `user` (here a header; Laravel reads the session cookie). */
export function echoClient(port: number, authUrl: string, user: string): Echo<'pusher'> {
  return new Echo({
    broadcaster: 'pusher', key: APP.key, cluster: 'mt1',
    wsHost: '127.0.0.1', wsPort: port, forceTLS: false, enabledTransports: ['ws'], disableStats: true,
    authEndpoint: authUrl, auth: { headers: { 'X-User': user } },
    Pusher: Pusher as never,
  });
}

export interface Hook {
  headers: IncomingHttpHeaders;
  body: string;
}

/** The app's webhook endpoint: records what it accepts; `down` answers 503 (an outage). */
export class HookReceiver {
  readonly accepted: Hook[] = [];
  refused = 0;
  down = false;
  private server!: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (this.down) {
          this.refused += 1;
          response.writeHead(503).end('maintenance');
          return;
        }
        this.accepted.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/pusher/webhook`;
  }

  /** Every event of every accepted batch, in arrival order. */
  events(): Record<string, unknown>[] {
    return this.accepted.flatMap((hook) => JSON.parse(hook.body).events);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** A raw Pusher connection of a presence member, its subscription signed as the app's auth endpoint would. */
export async function rawMember(port: number, userId: string): Promise<{ ws: WebSocket; subscribe(channel: string): void; outcome: Promise<string> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${APP.key}?protocol=7`);
  let socketId = '';
  let settle: (event: string) => void = () => undefined;
  const outcome = new Promise<string>((resolve) => { settle = resolve; });
  const established = new Promise<void>((resolve) => ws.on('message', (data) => {
    const message = JSON.parse(data.toString());
    if (message.event === 'pusher:connection_established') {
      socketId = JSON.parse(message.data).socket_id;
      resolve();
    } else if (message.event === 'pusher:subscription_error' || message.event === 'pusher_internal:subscription_succeeded') settle(message.event);
  }));
  await established;
  return {
    ws, outcome,
    subscribe(channel) {
      const channelData = JSON.stringify({ user_id: userId });
      const auth = `${APP.key}:${createHmac('sha256', APP.secret).update(`${socketId}:${channel}:${channelData}`).digest('hex')}`;
      ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel, auth, channel_data: channelData } }));
    },
  };
}
