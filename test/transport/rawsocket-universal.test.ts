import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningNode } from '../../src/node/node.js';
import { openAutobahn } from '../support/autobahn.js';
import { startTestNode, testConfig } from '../support/node.js';
import { RawClient } from '../support/raw-client.js';
import { selfSignedCertificate, skipTls } from '../support/tls.js';
import { waitFor } from '../support/wait.js';
import { RawSocketClient } from './rawsocket-client.js';
import { rawSocketSettings } from './rawsocket-support.js';

/** Crossbar's universal transport: one port serves HTTP, WebSocket and (first octet 0x7F) RawSocket. */

const dir = mkdtempSync(join(tmpdir(), 'junction-universal-'));
const tls = selfSignedCertificate(dir);

const config = testConfig({ openHandshakeTimeout: 2_000 });
const web = config.listeners[0]!;
web.kind = 'universal';
web.rawsocket = rawSocketSettings();
if (tls) {
  config.listeners.push({
    ...web, id: 'secure',
    endpoint: { port: 0, interface: '127.0.0.1', tls: { ...tls, chainCertificates: [] } },
  });
  // And a plain `rawsocket` transport over TLS, for comparison.
  config.listeners.push({
    id: 'rss', kind: 'rawsocket', paths: {}, rawsocket: rawSocketSettings(), trustedProxies: [],
    endpoint: { port: 0, interface: '127.0.0.1', tls: { ...tls, chainCertificates: [] } },
  });
}

let node: RunningNode & { url: string };
const port = (id = 'test'): number => node.ports.get(id)!;

before(async () => {
  node = await startTestNode(config);
});

after(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `parts` to a fresh TCP connection one after the other and returns everything read until the server closes. */
async function exchange(parts: string[]): Promise<string> {
  const socket = connectTcp({ host: '127.0.0.1', port: port() });
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  await once(socket, 'connect');
  for (const part of parts) {
    socket.write(part);
    await new Promise((resolve) => setImmediate(resolve)); // separate TCP segments
  }
  await once(socket, 'close');
  return Buffer.concat(received).toString();
}

describe('universal transport', () => {
  it('lists the RawSocket URL among the served URLs', () => {
    assert.ok(node.services.some((served) => served.url === `rs://127.0.0.1:${port()}` && served.service === 'rawsocket'));
    if (tls) assert.ok(node.services.some((served) => served.url === `rss://127.0.0.1:${port('secure')}`));
  });

  it('serves AutobahnJS over WebSocket, plain HTTP and RawSocket on one port, on the same realm', async () => {
    const browser = await openAutobahn(node.url, 'msgpack');
    await browser.session.register('com.browser.hello', (args: string[]) => `hello ${args[0]}`);

    const notFound = await fetch(`http://127.0.0.1:${port()}/nothing-here`);
    assert.equal(notFound.status, 404);
    assert.deepEqual(await notFound.json(), { error: 'not_found', message: 'nothing is served at /nothing-here' });

    const client = await RawSocketClient.open({ port: port() }, { serializer: 'cbor' });
    await client.hello();
    client.send([48, 1, {}, 'com.browser.hello', ['rawsocket']]);
    const result = await client.next((message) => message[0] === 50);
    assert.deepEqual(result[3], ['hello rawsocket']);
    // The web port's sockets are half-open (http.Server): the RawSocket side must still see the client go.
    client.socket.end();
    await client.closed;
    await waitFor(() => node.router.sessionCount === 1, 'the RawSocket session to be cleaned up');
    await browser.close();
  });

  it('hands HTTP to the HTTP server intact when the first octet arrives alone', async () => {
    const response = await exchange(['G', 'ET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    assert.match(response, /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.match(response, /nothing is served at \/nothing/);
  });

  it('still answers malformed HTTP with 400', async () => {
    const response = await exchange(['\x16\x03\x01 not http\r\n\r\n']);
    assert.match(response, /^HTTP\/1\.1 400 Bad Request/);
  });

  it('drops a connection that sends nothing within the opening handshake timeout', async () => {
    const socket = connectTcp({ host: '127.0.0.1', port: port() });
    socket.on('error', () => {});
    await once(socket, 'connect');
    await once(socket, 'close');
  });

  it('refuses a RawSocket handshake as RawSocket does (error replies on the web port)', async () => {
    const { reply } = await RawSocketClient.connect({ port: port() }, { handshake: [0x7f, 0xf1, 0, 1] });
    assert.deepEqual(reply, { ok: false, error: 3, reason: 'use of reserved bits' });
  });

  it('speaks RawSocket inside TLS next to HTTPS and WSS on a TLS port', { skip: skipTls }, async () => {
    const ca = readFileSync(tls!.certificate);
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpsRequest({ host: '127.0.0.1', port: port('secure'), path: '/missing', ca }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      request.end();
    });
    assert.equal(status, 404);

    const wss = await RawClient.open(`wss://127.0.0.1:${port('secure')}/ws`, ['wamp.2.json'], { ca });
    assert.equal((await wss.hello())[0], 2);
    wss.close();

    const client = await RawSocketClient.open({ port: port('secure'), tls: true }, { serializer: 'msgpack' });
    const welcome = await client.hello();
    assert.equal(welcome[0], 2);
    client.send([48, 1, {}, 'wamp.session.get', [welcome[1]]]);
    const info = (await client.next((message) => message[0] === 50))[3] as [{ transport: { type: string } }];
    assert.equal(info[0].transport.type, 'rawsocket');
    client.close();
  });

  it('serves a rawsocket transport over TLS (rss://)', { skip: skipTls }, async () => {
    assert.ok(node.services.some((served) => served.url === `rss://127.0.0.1:${port('rss')}`));
    const client = await RawSocketClient.open({ port: port('rss'), tls: true }, { serializer: 'cbor' });
    assert.equal((await client.hello())[0], 2);
    client.close();
  });
});
