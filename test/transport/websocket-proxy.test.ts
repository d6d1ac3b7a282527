/**
 * Crossbar's websocket-reverseproxy through a real node: clients connect to the node's proxy paths,
 * which relay to a `ws` server of the test's own on a free loopback port. Text and binary both
 * ways, the backend's subprotocol, close codes and reasons both ways, backends on a Unix socket
 * and over TLS, origins, a backend that is down or silent (502 / 504), one that drops the
 * connection or stops answering pings (1014), messages over the limit (1009), a backend that
 * stops reading (the proxy's buffers stay bounded, nothing is lost), and the connection caps.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { loadDocument } from '../../src/config/test-support.js';
import type { RunningNode } from '../../src/node/node.js';
import { freePort, openRouterConfig } from '../support/cli.js';
import { startTestNode } from '../support/node.js';
import { selfSignedCertificate, skipTls } from '../support/tls.js';
import { waitFor } from '../support/wait.js';
import { closed, labelledMetric as metric, nextMessage, opened, refusal } from '../support/ws-probes.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const SLOW_LIMIT = 256 * 1024;
const SLOW_MESSAGE = 64 * 1024;
/** Enough that kernel socket buffers (a few MiB each way on loopback) cannot hide a missing bound. */
const SLOW_COUNT = 400;

interface BackendConnection {
  ws: WebSocket;
  request: IncomingMessage;
  received: { data: Buffer; isBinary: boolean }[];
  closed?: { code: number; reason: string };
}

describe('websocket-reverseproxy path service', { timeout: 120_000 }, () => {
  let dir: string;
  let backend: WebSocketServer;
  let backendPort: number;
  let unixServer: HttpServer;
  let tlsServer: HttpsServer | undefined;
  let mute: WebSocketServer;
  const connections: BackendConnection[] = [];
  /** Every backend: /echo greets and echoes, /drop drops the connection at the first message, /slow reads nothing until resumed. */
  const serve = (ws: WebSocket, request: IncomingMessage): void => {
    const connection: BackendConnection = { ws, request, received: [] };
    connections.push(connection);
    ws.on('message', (data: Buffer, isBinary) => {
      connection.received.push({ data, isBinary });
      if (request.url === '/echo') ws.send(data, { binary: isBinary });
      if (request.url === '/drop') ws.terminate();
    });
    ws.on('close', (code, reason) => (connection.closed = { code, reason: reason.toString() }));
    if (request.url === '/echo') ws.send('welcome');
    if (request.url === '/slow') ws.pause();
  };
  let silent: Server;
  const silentSockets: Socket[] = [];
  let node: RunningNode;
  let base: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'junction-wsproxy-'));
    const handleProtocols = (offers: Set<string>) => [...offers].at(-1) ?? false;
    backend = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols });
    await new Promise((resolve) => backend.once('listening', resolve));
    backendPort = (backend.address() as { port: number }).port;
    backend.on('connection', serve);
    // The same backend on a Unix socket, and (with openssl) over TLS.
    const unixPath = join(dir, 'backend.sock');
    unixServer = createHttpServer();
    new WebSocketServer({ server: unixServer, handleProtocols }).on('connection', serve);
    await new Promise<void>((resolve) => unixServer.listen(unixPath, resolve));
    const certificate = selfSignedCertificate(dir);
    let tlsPort = 0;
    if (certificate) {
      tlsServer = createHttpsServer({ key: readFileSync(certificate.key), cert: readFileSync(certificate.certificate) });
      new WebSocketServer({ server: tlsServer, handleProtocols }).on('connection', serve);
      await new Promise<void>((resolve) => tlsServer!.listen(0, '127.0.0.1', resolve));
      tlsPort = (tlsServer.address() as { port: number }).port;
    }
    // A backend that never answers pings: the proxy's keepalive finds it dead.
    mute = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: false });
    await new Promise((resolve) => mute.once('listening', resolve));
    mute.on('connection', serve);
    const mutePort = (mute.address() as { port: number }).port;
    silent = createServer((socket) => silentSockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    const downPort = await freePort();
    const to = (path: string, port = backendPort, extra: Record<string, unknown> = {}) => ({
      type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port, ...extra }, url: `ws://localhost:${port}${path}`,
    });
    const proxy = (path: string, options: Record<string, unknown> = {}, port?: number, extra?: Record<string, unknown>) =>
      ({ type: 'websocket-reverseproxy', options, backend: to(path, port, extra) });
    const tlsPaths: Record<string, object> = certificate === undefined ? {} : {
      tls: proxy('/echo', {}, tlsPort, { tls: { hostname: 'localhost', ca_certificates: [certificate.certificate] } }),
      untrusted: proxy('/echo', {}, tlsPort, { tls: {} }),
    };
    node = await startTestNode(loadDocument(openRouterConfig({
      ws: { type: 'websocket' },
      echo: proxy('/echo'),
      drop: proxy('/drop'),
      slow: proxy('/slow', { max_buffered_bytes: SLOW_LIMIT }),
      capped: proxy('/capped', { max_connections: 2, max_per_address: 0 }),
      peraddr: proxy('/peraddr', { max_per_address: 1 }),
      origins: proxy('/echo', { allowed_origins: ['https://app.example.com'] }),
      down: proxy('/', {}, downPort),
      silent: proxy('/', {}, silentPort, { timeout: 1 }),
      small: proxy('/echo', { max_message_size: 1024 }),
      mute: { type: 'websocket-reverseproxy', backend: { ...to('/echo', mutePort), options: { auto_ping_interval: 200, auto_ping_timeout: 300 } } },
      unix: { type: 'websocket-reverseproxy', backend: { type: 'websocket', endpoint: { type: 'unix', path: unixPath }, url: 'ws://backend.local/echo' } },
      ...tlsPaths,
    })));
    base = node.urls[0]!.replace(/\/ws$/, '');
  });

  after(async () => {
    await node?.stop();
    for (const socket of silentSockets) socket.destroy();
    silent?.close();
    for (const { ws } of connections) ws.terminate();
    backend?.close();
    mute?.close();
    unixServer?.close();
    tlsServer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('relays text and binary both ways, with the subprotocol the backend chose and the client address', async () => {
    const client = new WebSocket(`${base}/echo`, ['x.first', 'x.second']);
    const welcome = nextMessage(client);
    await opened(client);
    assert.equal(client.protocol, 'x.second', 'the backend chose the last offer; the client hears that choice');
    assert.deepEqual(await welcome, { data: Buffer.from('welcome'), isBinary: false });
    const connection = connections.at(-1)!;
    assert.deepEqual(connection.request.headers['sec-websocket-protocol'], 'x.first,x.second');
    assert.equal(connection.request.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(connection.request.headers.host, `localhost:${backendPort}`, 'the Host of the backend URL');

    const text = nextMessage(client);
    client.send('héllo');
    assert.deepEqual(await text, { data: Buffer.from('héllo'), isBinary: false });
    const binary = nextMessage(client);
    client.send(Buffer.from([0, 1, 2, 255]));
    assert.deepEqual(await binary, { data: Buffer.from([0, 1, 2, 255]), isBinary: true });
    assert.deepEqual(connection.received.map(({ data, isBinary }) => [data.toString('hex'), isBinary]),
      [[Buffer.from('héllo').toString('hex'), false], ['000102ff', true]]);

    const labels = { path: '/echo' };
    assert.equal(metric(node, 'junction_ws_proxy_messages_total', { ...labels, direction: 'to_backend' }), 2);
    assert.equal(metric(node, 'junction_ws_proxy_messages_total', { ...labels, direction: 'to_client' }), 3);
    assert.equal(metric(node, 'junction_ws_proxy_bytes_total', { ...labels, direction: 'to_backend' }), Buffer.byteLength('héllo') + 4);
    assert.equal(metric(node, 'junction_ws_proxy_connections', labels), 1);
    client.close();
    await waitFor(() => metric(node, 'junction_ws_proxy_connections', labels) === 0, 'the connection gauge back to 0');
  });

  it("passes close codes and reasons through, the client's and the backend's", async () => {
    const first = new WebSocket(`${base}/echo`);
    await opened(first);
    const byClient = connections.at(-1)!;
    const firstClosed = closed(first);
    first.close(4002, 'see you later');
    await firstClosed;
    await waitFor(() => byClient.closed !== undefined, 'the backend hears the close');
    assert.deepEqual(byClient.closed, { code: 4002, reason: 'see you later' });

    const second = new WebSocket(`${base}/echo`);
    await opened(second);
    const secondClosed = closed(second);
    connections.at(-1)!.ws.close(4001, 'bye from the backend');
    assert.deepEqual(await secondClosed, { code: 4001, reason: 'bye from the backend' });
  });

  it('a message over max_message_size closes both connections with 1009', async () => {
    const client = new WebSocket(`${base}/small`);
    await opened(client);
    const connection = connections.at(-1)!;
    const clientClosed = closed(client);
    client.send(Buffer.alloc(2048));
    assert.equal((await clientClosed).code, 1009);
    await waitFor(() => connection.closed !== undefined, 'the backend hears the close');
    assert.equal(connection.closed!.code, 1009);
    assert.deepEqual(connection.received, [], 'the oversized message went nowhere');
  });

  it("a backend that stops answering pings is dropped by the backend side's keepalive: the client gets 1014", async () => {
    const client = new WebSocket(`${base}/mute`);
    await opened(client);
    assert.deepEqual(await closed(client), { code: 1014, reason: 'backend connection lost' });
  });

  it('a backend that drops the connection closes the client with 1014', async () => {
    const client = new WebSocket(`${base}/drop`);
    await opened(client);
    const clientClosed = closed(client);
    client.send('anything');
    assert.deepEqual(await clientClosed, { code: 1014, reason: 'backend connection lost' });
  });

  it('reaches a backend on a Unix socket, with the handshake URL\'s Host', async () => {
    const unix = new WebSocket(`${base}/unix`, ['x.unix']);
    const greeting = nextMessage(unix);
    await opened(unix);
    assert.equal(unix.protocol, 'x.unix');
    assert.deepEqual(await greeting, { data: Buffer.from('welcome'), isBinary: false });
    assert.equal(connections.at(-1)!.request.headers.host, 'backend.local');
    unix.close();
  });

  it('over TLS: the backend is checked against ca_certificates and hostname; an untrusted one gets 502', { skip: skipTls }, async () => {
    const secure = new WebSocket(`${base}/tls`);
    const greeting = nextMessage(secure);
    await opened(secure);
    assert.deepEqual(await greeting, { data: Buffer.from('welcome'), isBinary: false });
    assert.equal(connections.at(-1)!.request.headers['x-forwarded-proto'], 'http');
    secure.close();
    const untrusted = await refusal(`${base}/untrusted`);
    assert.equal(untrusted.status, 502);
    assert.match(untrusted.body, /self-signed certificate/);
  });

  it('a plain GET on a proxy path gets 426, saying it is a WebSocket proxy path, and reaches no backend', async () => {
    const before = connections.length;
    const response = await fetch(`${base.replace('ws://', 'http://')}/echo`);
    assert.equal(response.status, 426);
    assert.deepEqual(await response.json(), {
      error: 'upgrade_required',
      message: 'This is a WebSocket proxy path: connect with a WebSocket client; the connection is relayed to its backend.',
    });
    assert.equal(connections.length, before);
  });

  it('an origin allowed_origins does not list gets 403, before any backend connection', async () => {
    const before = connections.length;
    const refused = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${base}/origins`, { origin: 'https://evil.example' });
      ws.once('open', () => reject(new Error('accepted')));
      ws.once('unexpected-response', (_request, response) => resolve(response.statusCode!));
      ws.on('error', () => {});
    });
    assert.equal(refused, 403);
    assert.equal(connections.length, before);
    assert.equal(metric(node, 'junction_ws_proxy_refused_total', { path: '/origins', reason: 'origin' }), 1);
    const allowed = new WebSocket(`${base}/origins`, { origin: 'https://app.example.com' });
    await opened(allowed);
    allowed.close();
  });

  it('a backend that is down: 502; one that does not answer in time: 504; both counted and said', async () => {
    const down = await refusal(`${base}/down`);
    assert.equal(down.status, 502);
    assert.match(down.body, /^The backend of this WebSocket endpoint is not available: connect ECONNREFUSED 127\.0\.0\.1:\d+\.\n$/);
    assert.equal(metric(node, 'junction_ws_proxy_refused_total', { path: '/down', reason: 'backend_unreachable' }), 1);
    const slow = await refusal(`${base}/silent`);
    assert.deepEqual(slow, { status: 504, body: 'The backend of this WebSocket endpoint is not available: it did not complete its handshake within 1000 ms.\n' });
    assert.equal(metric(node, 'junction_ws_proxy_refused_total', { path: '/silent', reason: 'backend_timeout' }), 1);
    assert.equal(metric(node, 'junction_ws_proxy_connections', { path: '/down' }), 0);
  });

  it('max_connections (503) and max_per_address (429) bound the connections of a path', async () => {
    const held = [new WebSocket(`${base}/capped`), new WebSocket(`${base}/capped`)];
    await Promise.all(held.map(opened));
    const full = await refusal(`${base}/capped`);
    assert.equal(full.status, 503);
    assert.match(full.body, /holds 2 connections already \(max_connections\)/);
    assert.equal(metric(node, 'junction_ws_proxy_refused_total', { path: '/capped', reason: 'too_many_connections' }), 1);
    const mine = new WebSocket(`${base}/peraddr`);
    await opened(mine);
    const perAddress = await refusal(`${base}/peraddr`);
    assert.equal(perAddress.status, 429);
    assert.equal(metric(node, 'junction_ws_proxy_refused_total', { path: '/peraddr', reason: 'too_many_from_address' }), 1);
    // A slot is free again once its connection has closed.
    const gone = closed(held[0]!);
    held[0]!.close();
    await gone;
    await waitFor(() => metric(node, 'junction_ws_proxy_connections', { path: '/capped' }) === 1, 'one capped connection left');
    const again = new WebSocket(`${base}/capped`);
    await opened(again);
    for (const ws of [...held, mine, again]) ws.close();
  });

  it('a backend that stops reading: the proxy stops reading the client, its buffers stay bounded, nothing is lost', async () => {
    const client = new WebSocket(`${base}/slow`);
    await opened(client);
    const connection = connections.at(-1)!;
    for (let index = 0; index < SLOW_COUNT; index++) {
      const message = Buffer.alloc(SLOW_MESSAGE, index % 251);
      message.writeUInt32BE(index, 0);
      client.send(message);
    }
    const labels = { path: '/slow' };
    await waitFor(() => metric(node, 'junction_ws_proxy_paused_total', { ...labels, direction: 'to_backend' }) >= 1, 'the proxy pausing the client side');
    // The flow stalls: the client keeps most of what it sent, the proxy holds little.
    let last = -1;
    for (let round = 0; round < 80 && client.bufferedAmount !== last; round++) {
      last = client.bufferedAmount;
      await sleep(250);
    }
    assert.ok(client.bufferedAmount > SLOW_COUNT * SLOW_MESSAGE / 2, `the client still holds most of its messages (${client.bufferedAmount} bytes)`);
    // The limit, one message sent past it, and what ws had read before it paused (a socket read of 64 KiB and a message).
    const bound = SLOW_LIMIT + 3 * SLOW_MESSAGE;
    for (let sample = 0; sample < 5; sample++) {
      const buffered = metric(node, 'junction_ws_proxy_buffered_bytes', labels);
      assert.ok(buffered <= bound, `the proxy holds ${buffered} bytes, more than ${bound}`);
      await sleep(100);
    }
    connection.ws.resume();
    await waitFor(() => connection.received.length === SLOW_COUNT, `all ${SLOW_COUNT} messages at the backend`, 60_000);
    assert.deepEqual(connection.received.map(({ data }) => data.readUInt32BE(0)), Array.from({ length: SLOW_COUNT }, (_, index) => index));
    client.close();
  });

  it('a TLS file of the backend that cannot be read stops the start, naming the path and the file', async () => {
    const missing = join(dir, 'no-such-ca.pem');
    const config = loadDocument(openRouterConfig({
      feed: { type: 'websocket-reverseproxy', backend: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: 1, tls: { ca_certificates: [missing] } } } },
    }));
    await assert.rejects(startTestNode(config), (error: Error) => {
      assert.match(error.message, new RegExp(`^transport "[a-z0-9_]+" path "/feed": cannot read its backend\\.endpoint\\.tls\\.ca_certificates ${missing.replace(/[.]/g, '\\.')}: no such file`));
      return true;
    });
  });
});
