/**
 * The DNS rebinding guard through a real node's web listener: a page at a name an attacker points
 * at 127.0.0.1 sends its own name as Host (and as Origin on a WebSocket or a POST). The console
 * refuses any request for such a Host, the HTTP bridge a browser's same-origin one, and the WAMP
 * WebSocket path leaves it to allowed_origins. IP literals, localhost, the TLS certificate's names
 * and allowed_hosts pass; the refusals are counted in junction_http_host_refused_total.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { silentLogger } from '../../src/router/log.js';
import { openssl, skipTls } from '../support/tls.js';

const proxyName = 'wamp.example.org';
const certificateName = 'router.example.net';
const attacker = 'evil.example';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('the Host allow-list of a web transport (DNS rebinding)', { timeout: 30_000 }, () => {
  let node: RunningNode;
  let dir: string;
  let port: number;
  let tlsPort: number | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'junction-host-check-'));
    const transports: unknown[] = [{
      type: 'web', id: 'web',
      endpoint: { type: 'tcp', interface: '127.0.0.1', port: 0 },
      options: { allowed_hosts: [proxyName] },
      paths: {
        ws: { type: 'websocket' },
        console: { type: 'console', realm: 'realm1', auth: { anonymous: { type: 'static', role: 'anonymous' } } },
        publish: { type: 'publisher', realm: 'realm1', role: 'anonymous' },
        metrics: { type: 'metrics' },
      },
    }];
    if (!skipTls) {
      const key = join(dir, 'server.key');
      const certificate = join(dir, 'server.crt');
      openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', certificate, '-days', '1',
        '-subj', `/CN=${certificateName}`, '-addext', `subjectAltName=DNS:${certificateName},DNS:*.apps.example.net,IP:127.0.0.1`);
      transports.push({
        type: 'web', id: 'tls',
        endpoint: { type: 'tcp', interface: '127.0.0.1', port: 0, tls: { key, certificate } },
        paths: { console: { type: 'console', realm: 'realm1', auth: { anonymous: { type: 'static', role: 'anonymous' } } } },
      });
    }
    const config = parseConfig({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }] }] }],
        transports,
      }],
    }, { source: 'host check test', env: {}, baseDir: dir });
    node = await startNode(config, { log: silentLogger, shutdownGraceMs: 200, dataDir: dir });
    port = node.ports.get('web')!;
    tlsPort = node.ports.get('tls');
  });

  after(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** An HTTP request to the node (on 127.0.0.1) naming `host`; an upgrade answers 101 (the socket is then closed). */
  function send(path: string, headers: Record<string, string>, options: { method?: string; body?: string; upgrade?: boolean; tls?: boolean } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const upgrade = options.upgrade ? { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': 'wamp.2.json' } : {};
      const target = { host: '127.0.0.1', path, method: options.method ?? 'GET', headers: { ...upgrade, ...headers } };
      const outgoing = options.tls
        ? httpsRequest({ ...target, port: tlsPort, rejectUnauthorized: false, servername: certificateName })
        : httpRequest({ ...target, port });
      outgoing.on('upgrade', (response, socket) => {
        socket.destroy();
        resolve({ status: response.statusCode!, headers: response.headers, body: '' });
      });
      outgoing.on('response', (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
      });
      outgoing.on('error', reject);
      outgoing.end(options.body);
    });
  }

  const at = (host: string) => ({ host, origin: `http://${host}` });
  const publication = JSON.stringify({ topic: 'com.example.rebound', args: [1] });
  const json = { 'content-type': 'application/json' };

  async function refusals(): Promise<number> {
    const text = (await send('/metrics', { host: `127.0.0.1:${port}` })).body;
    return [...text.matchAll(/^junction_http_host_refused_total\{transport="web"\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
  }

  it("refuses the console's page and WebSocket to a rebinding page's Host, with 421 and a reason", async () => {
    const before = await refusals();
    const page = await send('/console', { host: `${attacker}:${port}` });
    assert.equal(page.status, 421);
    const answer = JSON.parse(page.body) as { error: string; message: string };
    assert.equal(answer.error, 'host_not_allowed');
    assert.match(answer.message, /does not answer to the host name "evil\.example" \(a guard against DNS rebinding\).*add "evil\.example" to the transport's options\.allowed_hosts/);
    const socket = await send('/console/ws', at(`${attacker}:${port}`), { upgrade: true });
    assert.equal(socket.status, 421);
    assert.match((await send('/console/ws', at(attacker), { upgrade: true })).status.toString(), /^421$/);
    assert.equal(await refusals(), before + 3);
  });

  it('serves the console to an IP literal, localhost and a name of allowed_hosts', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${proxyName}`, `WAMP.example.org:${port}`]) {
      assert.equal((await send('/console', { host })).status, 200, host);
      assert.equal((await send('/console/ws', at(host), { upgrade: true })).status, 101, host);
    }
  });

  it("refuses a browser's same-origin POST to the HTTP bridge for a rebinding Host, and takes the others", async () => {
    const refused = await send('/publish', { ...at(`${attacker}:${port}`), ...json }, { method: 'POST', body: publication });
    assert.equal(refused.status, 421);
    assert.equal((JSON.parse(refused.body) as { error: string }).error, 'host_not_allowed');
    // No Origin: no browser's page (curl, a backend) — the bridge's own checks decide.
    assert.equal((await send('/publish', { host: `${attacker}:${port}`, ...json }, { method: 'POST', body: publication })).status, 200);
    // Another origin: not rebinding, so not a 421; the bridge's own cross-site check refuses it (http-cross-site.test.ts).
    const crossSite = await send('/publish', { host: `${proxyName}`, origin: 'https://app.example.org', ...json }, { method: 'POST', body: publication });
    assert.deepEqual([crossSite.status, (JSON.parse(crossSite.body) as { error: string }).error], [403, 'origin_not_allowed']);
    assert.equal((await send('/publish', { ...at(`127.0.0.1:${port}`), ...json }, { method: 'POST', body: publication })).status, 200);
    assert.equal((await send('/publish', { ...at(proxyName), ...json }, { method: 'POST', body: publication })).status, 200);
  });

  it('leaves the WAMP WebSocket path to allowed_origins: any page may already reach it from its own origin', async () => {
    assert.equal((await send('/ws', at(`${attacker}:${port}`), { upgrade: true })).status, 101);
  });

  it("answers to the TLS certificate's names on a TLS transport", { skip: skipTls }, async () => {
    assert.equal((await send('/console', { host: `${certificateName}:${tlsPort}` }, { tls: true })).status, 200);
    assert.equal((await send('/console', { host: 'x.apps.example.net' }, { tls: true })).status, 200);
    assert.equal((await send('/console', { host: `127.0.0.1:${tlsPort}` }, { tls: true })).status, 200);
    assert.equal((await send('/console', { host: `${attacker}:${tlsPort}` }, { tls: true })).status, 421);
    assert.equal((await send('/console', { host: proxyName }, { tls: true })).status, 421, 'allowed_hosts is per transport');
  });
});
